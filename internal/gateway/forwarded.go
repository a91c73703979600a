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
// extended.
func setForwarded(in *http.Request, out http.Header, peer netip.Addr, trusted bool) {
	new(forwardedValues).set(in, out, peer, trusted)
}

// forwardedValues holds the values of the four fields setForwarded
// writes: the outbound header's value slices share its array, so that a
// caller that already allocates per request (the forwarder) can hold it
// and save an allocation.
type forwardedValues [4]string

// set is setForwarded with v as the values' array. It runs on every
// proxied request, so X-Forwarded-For and Forwarded are written one after
// the other into a buffer on the stack, the peer's address appended to it
// as text, and cut from one string: one allocation for both.
func (v *forwardedValues) set(in *http.Request, out http.Header, peer netip.Addr, trusted bool) {
	proto := "http"
	if in.TLS != nil {
		proto = "https"
	}
	host := in.Host
	var priorXFF, priorFwd []string
	if trusted {
		priorXFF = in.Header.Values("X-Forwarded-For")
		if p := in.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
			proto = p
		}
		if h := in.Header.Get("X-Forwarded-Host"); h != "" {
			host = h
		}
		priorFwd = in.Header.Values("Forwarded")
	}

	var buf [256]byte
	b := appendJoined(buf[:0], priorXFF)
	if peer.IsValid() {
		if len(b) > 0 {
			b = append(b, ", "...)
		}
		b = peer.AppendTo(b)
	}
	xffLen := len(b)
	b = appendJoined(b, priorFwd)
	if len(b) > xffLen {
		b = append(b, ", "...)
	}
	b = appendForwardedElement(b, peer, proto, in.Host)
	s := string(b)

	v[0], v[1], v[2], v[3] = s[:xffLen], proto, host, s[xffLen:]
	if xffLen > 0 {
		out["X-Forwarded-For"] = v[0:1:1]
	} else {
		delete(out, "X-Forwarded-For")
	}
	out["X-Forwarded-Proto"] = v[1:2:2]
	out["X-Forwarded-Host"] = v[2:3:3]
	out["Forwarded"] = v[3:4:4]
}

// appendJoined appends strings.Join(vals, ", ") to b.
func appendJoined(b []byte, vals []string) []byte {
	for i, s := range vals {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, s...)
	}
	return b
}

// stripSpoofable removes the forwarding headers of an untrusted peer.
func stripSpoofable(h http.Header) {
	for _, k := range spoofableHeaders {
		delete(h, k)
	}
}

// appendForwardedElement appends one RFC 7239 forwarded-element to b: for
// the peer (unknown when it is not valid), quoted when it is IPv6.
func appendForwardedElement(b []byte, peer netip.Addr, proto, host string) []byte {
	b = append(b, "for="...)
	switch {
	case !peer.IsValid():
		b = append(b, "unknown"...)
	case peer.Is6():
		b = append(b, `"[`...)
		b = peer.AppendTo(b)
		b = append(b, `]"`...)
	default:
		b = peer.AppendTo(b)
	}
	b = append(b, ";proto="...)
	b = append(b, proto...)
	switch {
	case host == "" || !validForwardedHost(host):
	case strings.ContainsAny(host, ":[]"):
		b = append(b, `;host="`...)
		b = append(b, host...)
		b = append(b, '"')
	default:
		b = append(b, ";host="...)
		b = append(b, host...)
	}
	return b
}

func validForwardedHost(h string) bool {
	return !strings.ContainsAny(h, "\" ,;\\")
}
