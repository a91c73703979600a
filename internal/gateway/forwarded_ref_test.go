package gateway

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// refSetForwarded is setForwarded written the obvious way, string by
// string: the reference its single-buffer version must match.
func refSetForwarded(in *http.Request, out http.Header, peer netip.Addr, trusted bool) {
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
		xff = strings.Join(in.Header.Values("X-Forwarded-For"), ", ")
		if p := in.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
			proto = p
		}
		if h := in.Header.Get("X-Forwarded-Host"); h != "" {
			host = h
		}
		fwd = strings.Join(in.Header.Values("Forwarded"), ", ")
	}
	switch {
	case peerStr == "":
	case xff != "":
		xff += ", " + peerStr
	default:
		xff = peerStr
	}
	elem := "for=unknown"
	switch {
	case peerStr != "" && peer.Is6():
		elem = `for="[` + peerStr + `]"`
	case peerStr != "":
		elem = "for=" + peerStr
	}
	elem += ";proto=" + proto
	switch {
	case in.Host == "" || !validForwardedHost(in.Host):
	case strings.ContainsAny(in.Host, ":[]"):
		elem += `;host="` + in.Host + `"`
	default:
		elem += ";host=" + in.Host
	}
	if fwd != "" {
		fwd += ", " + elem
	} else {
		fwd = elem
	}
	if xff != "" {
		out["X-Forwarded-For"] = []string{xff}
	} else {
		delete(out, "X-Forwarded-For")
	}
	out["X-Forwarded-Proto"] = []string{proto}
	out["X-Forwarded-Host"] = []string{host}
	out["Forwarded"] = []string{fwd}
}

// checkForwarded compares what setForwarded writes for r with the
// reference, trusting the peer and not.
func checkForwarded(t *testing.T, r *http.Request) {
	t.Helper()
	peer := peerAddr(r)
	for _, trusted := range []bool{false, true} {
		got, want := http.Header{"X-Forwarded-For": {"stale"}}, http.Header{"X-Forwarded-For": {"stale"}}
		setForwarded(r, got, peer, trusted)
		refSetForwarded(r, want, peer, trusted)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trusted=%v: got %q\nwant %q", trusted, got, want)
		}
	}
}

func TestSetForwardedMatchesReference(t *testing.T) {
	cases := []struct {
		name, remote, host string
		tls                bool
		header             map[string][]string
	}{
		{name: "ipv4", remote: "192.0.2.10:5555", host: "api.example"},
		{name: "ipv6", remote: "[2001:db8::1]:443", host: "api.example", tls: true},
		{name: "ipv6 with zone", remote: "[fe80::1%eth0]:80", host: "api.example"},
		{name: "ipv4-mapped", remote: "[::ffff:192.0.2.10]:80", host: "api.example"},
		{name: "no peer", remote: "pipe", host: "api.example"},
		{name: "host with port", remote: "192.0.2.10:1", host: "api.example:8443"},
		{name: "ipv6 host", remote: "192.0.2.10:1", host: "[2001:db8::2]:80"},
		{name: "host not sent in Forwarded", remote: "192.0.2.10:1", host: `a"b`},
		{name: "no host", remote: "192.0.2.10:1"},
		{name: "priors", remote: "10.0.0.1:1", host: "h", header: map[string][]string{
			"X-Forwarded-For":   {"198.51.100.2, 10.0.0.3", "203.0.113.4"},
			"X-Forwarded-Proto": {"https"},
			"X-Forwarded-Host":  {"outer.example"},
			"Forwarded":         {"for=198.51.100.2;proto=https", "for=10.0.0.3"},
		}},
		{name: "empty priors", remote: "10.0.0.1:1", host: "h", header: map[string][]string{
			"X-Forwarded-For": {""}, "X-Forwarded-Proto": {"ftp"}, "X-Forwarded-Host": {""}, "Forwarded": {"", ""},
		}},
		{name: "priors without peer", remote: "unix", host: "h", header: map[string][]string{
			"X-Forwarded-For": {"198.51.100.2"}, "Forwarded": {"for=198.51.100.2"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr, r.Host = c.remote, c.host
			if c.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, vv := range c.header {
				r.Header[k] = vv
			}
			checkForwarded(t, r)
		})
	}
}

// FuzzSetForwardedMatchesReference checks setForwarded against the
// reference on arbitrary addresses, hosts and prior forwarding fields.
func FuzzSetForwardedMatchesReference(f *testing.F) {
	f.Add("192.0.2.10:5555", "api.example", false, "198.51.100.2, 10.0.0.1", "", "https", "outer", "for=1.2.3.4", "")
	f.Add("[2001:db8::1]:443", "[::1]:80", true, "", "", "", "", "", "")
	f.Add("[fe80::1%eth0]:80", "", false, "a", "b", "http", "", "", "for=x")
	f.Fuzz(func(t *testing.T, remote, host string, isTLS bool, xff, xff2, proto, fwdHost, fwd, fwd2 string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr, r.Host = remote, host
		if isTLS {
			r.TLS = &tls.ConnectionState{}
		}
		for k, vv := range map[string][]string{
			"X-Forwarded-For":   {xff, xff2},
			"X-Forwarded-Proto": {proto},
			"X-Forwarded-Host":  {fwdHost},
			"Forwarded":         {fwd, fwd2},
		} {
			for _, v := range vv {
				if v != "" {
					r.Header.Add(k, v)
				}
			}
		}
		checkForwarded(t, r)
	})
}

// BenchmarkSetForwarded is setForwarded alone, for a client connecting
// directly and for one behind a trusted proxy.
func BenchmarkSetForwarded(b *testing.B) {
	for _, c := range []struct {
		name, remote, xff string
		trusted           bool
	}{
		{name: "untrusted", remote: "192.0.2.10:5555"},
		{name: "trusted with prior", remote: "10.0.0.1:5555", xff: "198.51.100.2", trusted: true},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "http://api.example/v1/items/42", nil)
			r.RemoteAddr = c.remote
			if c.xff != "" {
				r.Header.Set("X-Forwarded-For", c.xff)
				r.Header.Set("Forwarded", "for="+c.xff)
			}
			peer, out := peerAddr(r), http.Header{}
			b.ReportAllocs()
			for b.Loop() {
				setForwarded(r, out, peer, c.trusted)
			}
		})
	}
}
