package gateway

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// trustedProxies decides whose forwarding headers are believed. The zero
// value trusts nobody.
type trustedProxies struct {
	prefixes []netip.Prefix
}

func parseTrustedProxies(list []string) (trustedProxies, error) {
	var t trustedProxies
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			t.prefixes = append(t.prefixes, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return t, fmt.Errorf("trusted proxy %q: not an IP address or CIDR", s)
		}
		t.prefixes = append(t.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return t, nil
}

func (t trustedProxies) contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr returns the address of the connection's other end.
func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// clientAddr returns the address of the original client: the peer itself,
// or, when the peer is a trusted proxy, the right-most address in
// X-Forwarded-For that is not a trusted proxy. Left-most entries are never
// believed because any client can write them.
func (t trustedProxies) clientAddr(r *http.Request, peer netip.Addr) netip.Addr {
	if len(t.prefixes) == 0 || !t.contains(peer) {
		return peer
	}
	client := peer
	xff := r.Header.Values("X-Forwarded-For")
	for i := len(xff) - 1; i >= 0; i-- {
		parts := strings.Split(xff[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return client
			}
			client = a.Unmap()
			if !t.contains(client) {
				return client
			}
		}
	}
	return client
}

// spoofableHeaders is the set of headers a client may use to claim another
// address, host or scheme. They are removed from requests of untrusted peers
// before anything reads them.
var spoofableHeaders = []string{
	"Forwarded",
	"X-Forwarded-For",
	"X-Forwarded-Host",
	"X-Forwarded-Proto",
	"X-Forwarded-Port",
	"X-Forwarded-Prefix",
	"X-Forwarded-Server",
	"X-Real-Ip",
	"X-Client-Ip",
	"True-Client-Ip",
	"X-Original-Forwarded-For",
	"X-Cluster-Client-Ip",
	"Cf-Connecting-Ip",
}

// identityPrefix marks headers that only Portico itself may set: they carry
// identity between the gateway and services, so a client's copy is removed.
const identityPrefix = "X-Portico-"

// stripIdentityHeaders removes every header a client must not send upstream
// by itself. "_" counts as "-" in the prefix, so that X_Portico_Identity,
// which a CGI-style service reads as X-Portico-Identity, goes too even
// when server.underscore_headers passes underscores.
func stripIdentityHeaders(h http.Header) {
	for k := range h {
		if hasIdentityPrefix(k) {
			delete(h, k)
		}
	}
}

// hasIdentityPrefix reports whether k starts with identityPrefix, without
// case and with "_" for "-".
func hasIdentityPrefix(k string) bool {
	if len(k) < len(identityPrefix) {
		return false
	}
	for i := 0; i < len(identityPrefix); i++ {
		c, p := k[i], identityPrefix[i]
		if p == '-' {
			if c != '-' && c != '_' {
				return false
			}
			continue
		}
		if c|0x20 != p|0x20 {
			return false
		}
	}
	return true
}

// setForwarded writes X-Forwarded-For/Proto/Host and Forwarded on the
// outbound header. in is the client's request, out the upstream's header;
// trusted says whether the peer's own forwarding headers are kept and
// extended. It runs on every proxied request, so the four values share one
// backing array and each string is built in one concatenation.
func setForwarded(in *http.Request, out http.Header, peer netip.Addr, trusted bool) {
	proto := "http"
	if in.TLS != nil {
		proto = "https"
	}
	host := in.Host
	peerStr := ""
	if peer.IsValid() {
		peerStr = peer.String()
	}
	var xff, fwd string
	if trusted {
		if prior := in.Header.Values("X-Forwarded-For"); len(prior) > 0 {
			xff = strings.Join(prior, ", ")
		}
		if p := in.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
			proto = p
		}
		if h := in.Header.Get("X-Forwarded-Host"); h != "" {
			host = h
		}
		if prior := in.Header.Values("Forwarded"); len(prior) > 0 {
			fwd = strings.Join(prior, ", ")
		}
	}
	switch {
	case peerStr == "":
	case xff != "":
		xff += ", " + peerStr
	default:
		xff = peerStr
	}
	elem := forwardedElement(peerStr, peer.Is6(), proto, in.Host)
	if fwd != "" {
		fwd += ", " + elem
	} else {
		fwd = elem
	}
	vals := make([]string, 4)
	vals[0], vals[1], vals[2], vals[3] = xff, proto, host, fwd
	if xff != "" {
		out["X-Forwarded-For"] = vals[0:1:1]
	} else {
		delete(out, "X-Forwarded-For")
	}
	out["X-Forwarded-Proto"] = vals[1:2:2]
	out["X-Forwarded-Host"] = vals[2:3:3]
	out["Forwarded"] = vals[3:4:4]
}

// stripSpoofable removes the forwarding headers of an untrusted peer.
func stripSpoofable(h http.Header) {
	for _, k := range spoofableHeaders {
		delete(h, k)
	}
}

// forwardedElement builds one RFC 7239 forwarded-element.
func forwardedElement(peer string, v6 bool, proto, host string) string {
	switch {
	case peer == "":
		peer = "unknown"
	case v6:
		peer = `"[` + peer + `]"`
	}
	if host == "" || !validForwardedHost(host) {
		return "for=" + peer + ";proto=" + proto
	}
	if strings.ContainsAny(host, ":[]") {
		return "for=" + peer + ";proto=" + proto + `;host="` + host + `"`
	}
	return "for=" + peer + ";proto=" + proto + ";host=" + host
}

func validForwardedHost(h string) bool {
	return !strings.ContainsAny(h, "\" ,;\\")
}
