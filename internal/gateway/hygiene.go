package gateway

import (
	"net/http"
	"strings"

	"github.com/portico-gw/portico/internal/gateway/config"
)

// underscorePolicy is a compiled server.underscore_headers.
type underscorePolicy uint8

const (
	underscoreDrop underscorePolicy = iota
	underscoreReject
	underscorePass
)

func parseUnderscorePolicy(s string) underscorePolicy {
	switch s {
	case config.UnderscoreReject:
		return underscoreReject
	case config.UnderscorePass:
		return underscorePass
	}
	return underscoreDrop
}

// applyUnderscores applies the policy to the client's header fields whose
// names contain "_" and reports false when the request must be refused.
// CGI (and the frameworks that follow it: PHP, WSGI, Rack) turn "-" into
// "_" in HTTP_* variables, so for them X_Forwarded_For and X-Forwarded-For
// are one field: a client could pass a forwarding or identity header past
// the hygiene below under the other spelling. The common request has no
// such name, and then this only scans the keys.
func applyUnderscores(h http.Header, p underscorePolicy) bool {
	if p == underscorePass {
		return true
	}
	for k := range h {
		if strings.IndexByte(k, '_') < 0 {
			continue
		}
		if p == underscoreReject {
			return false
		}
		delete(h, k)
	}
	return true
}

// sanitizeUpgrade lets only a WebSocket upgrade through and reports
// whether r is one. A request is a WebSocket upgrade when its Upgrade
// header is exactly one token, "websocket" (any case), and Connection
// lists "upgrade". Any other Upgrade — "h2c" above all, which would turn
// the upstream connection into an HTTP/2 one that the gateway then only
// copies bytes through (h2c smuggling), but also "TLS/1.0" or a list such
// as "websocket, h2c" — is removed with HTTP2-Settings and with the
// "upgrade" token of Connection, and the request is served as an ordinary
// one. (httputil.ReverseProxy removes the other fields Connection names.)
func sanitizeUpgrade(h http.Header) bool {
	up, ok := h["Upgrade"]
	if !ok {
		return false
	}
	if len(up) == 1 && strings.EqualFold(strings.TrimSpace(up[0]), "websocket") && hasToken(h["Connection"], "upgrade") {
		return true
	}
	delete(h, "Upgrade")
	delete(h, "Http2-Settings")
	if c, ok := h["Connection"]; ok {
		if rest := withoutToken(c, "upgrade"); len(rest) > 0 {
			h["Connection"] = rest
		} else {
			delete(h, "Connection")
		}
	}
	return false
}

// hasToken reports whether the comma-separated lists in values hold token,
// compared without case.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), token) {
				return true
			}
		}
	}
	return false
}

// withoutToken returns the comma-separated lists in values without token
// (compared without case) and without empty elements, as one value.
func withoutToken(values []string, token string) []string {
	var kept []string
	for _, v := range values {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" && !strings.EqualFold(f, token) {
				kept = append(kept, f)
			}
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return []string{strings.Join(kept, ", ")}
}
