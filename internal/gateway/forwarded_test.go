package gateway

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClientAddr(t *testing.T) {
	tp, err := parseTrustedProxies([]string{"10.0.0.0/8", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer is the client", "203.0.113.5", []string{"1.2.3.4"}, "203.0.113.5"},
		{"trusted peer without header", "10.1.1.1", nil, "10.1.1.1"},
		{"right-most untrusted entry wins", "10.1.1.1", []string{"6.6.6.6, 198.51.100.2, 10.2.2.2"}, "198.51.100.2"},
		{"several header lines", "192.0.2.7", []string{"6.6.6.6", "198.51.100.2"}, "198.51.100.2"},
		{"garbage stops the walk", "10.1.1.1", []string{"198.51.100.2, junk"}, "10.1.1.1"},
		{"ipv4-mapped ipv6 peer", "::ffff:10.1.1.1", []string{"198.51.100.9"}, "198.51.100.9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			peer := netip.MustParseAddr(c.peer).Unmap()
			if got := tp.clientAddr(r, peer).String(); got != c.want {
				t.Errorf("clientAddr = %s, want %s", got, c.want)
			}
		})
	}
}

func TestParseTrustedProxiesRejectsGarbage(t *testing.T) {
	if _, err := parseTrustedProxies([]string{"10.0.0.0/8", "not-an-ip"}); err == nil {
		t.Error("got nil error for a bad entry, want one")
	}
}

// FuzzForwarded feeds arbitrary client-controlled forwarding headers through
// the trust logic: it must never panic, and what it sends upstream must
// never contain a line break.
func FuzzForwarded(f *testing.F) {
	f.Add("198.51.100.2, 10.0.0.1", "https", "example.com", "for=1.2.3.4;proto=https", "10.0.0.9:1234")
	f.Add("", "", "", "", "[::1]:80")
	f.Add("junk,,,", "ftp", "a\"b", "for=\"[::1]\"", "garbage")
	f.Fuzz(func(t *testing.T, xff, proto, host, fwd, remote string) {
		tp, _ := parseTrustedProxies([]string{"10.0.0.0/8", "::1"})
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Host = host
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("X-Forwarded-Proto", proto)
		r.Header.Set("Forwarded", fwd)
		peer := peerAddr(r)
		_ = tp.clientAddr(r, peer)
		out := http.Header{}
		setForwarded(r, out, peer, tp.contains(peer))
		for k, vs := range out {
			for _, v := range vs {
				if strings.ContainsAny(v, "\r\n") && !strings.ContainsAny(xff+proto+host+fwd, "\r\n") {
					t.Fatalf("%s = %q introduces a line break", k, v)
				}
			}
		}
		if p := out.Get("X-Forwarded-Proto"); p != "http" && p != "https" {
			t.Fatalf("X-Forwarded-Proto = %q, want http or https", p)
		}
	})
}
