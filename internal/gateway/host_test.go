package gateway

import (
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

var validHostCases = []struct {
	in   string
	want bool
}{
	{"a", true},
	{"a.example", true},
	{"A.Example.COM", true},
	{"a.example.", true},
	{"a.example:8080", true},
	{"a.example.:443", true},
	{"svc_1.internal", true},
	{"my-service", true},
	{"3com.example", true},
	{"xn--caf-dma.example", true},
	{"localhost:1", true},
	{"localhost:65535", true},
	{"127.0.0.1", true},
	{"127.0.0.1:8080", true},
	{"[::1]", true},
	{"[::1]:8080", true},
	{"[2001:db8::1]", true},
	{"[::ffff:192.0.2.1]", true},
	{strings.Repeat("a", 63) + ".example", true},
	{strings.Repeat("a.", 126) + "a", true}, // 253 bytes
	{strings.Repeat("a.", 126) + "a.", true},

	{"", false},
	{":80", false},
	{"a,b", false},
	{"a.example,b.example", false},
	{"user@a.example", false},
	{"a example", false},
	{"a/b", false},
	{"a\\b", false},
	{"a%2eb", false},
	{"a;b", false},
	{"a..example", false},
	{".a.example", false},
	{".", false},
	{"a.example..", false},
	{"a.example:", false},
	{"a.example:0", false},
	{"a.example:080", false},
	{"a.example:65536", false},
	{"a.example:99999", false},
	{"a.example:123456", false},
	{"a.example:8o", false},
	{"a.example:+80", false},
	{"a.example:80:80", false},
	{"a:b:c", false},
	{"::1", false},
	{"[::1", false},
	{"[::1]x", false},
	{"[::1]:", false},
	{"[::1]:0", false},
	{"[1.2.3.4]", false},
	{"[fe80::1%25eth0]", false},
	{"[fe80::1%eth0]", false},
	{"[v1.x]", false},
	{"[]", false},
	{"1.2.3.999", false},
	{"1.2.3", false},
	{"2130706433", false},
	{"0177.0.0.1", false},
	{"1.2.3.4.", false},
	{"a.123", false},
	{strings.Repeat("a", 64) + ".example", false},
	{strings.Repeat("a.", 126) + "ab", false}, // 254 bytes
	{"café.example", false},
	{"a\x00b", false},
	{"a.example\r\n", false},
}

func TestValidHost(t *testing.T) {
	for _, c := range validHostCases {
		if got := validHost(c.in); got != c.want {
			t.Errorf("validHost(%q) = %v, want %v", c.in, got, c.want)
		}
		if got := refValidHost(c.in); got != c.want {
			t.Errorf("refValidHost(%q) = %v, want %v (the reference disagrees with the table)", c.in, got, c.want)
		}
	}
}

func TestValidHostDoesNotAllocate(t *testing.T) {
	for _, h := range []string{"api.example.com", "api.example.com:8443", "10.1.2.3:80", "[2001:db8::1]:443"} {
		if n := testing.AllocsPerRun(100, func() { validHost(h) }); n != 0 {
			t.Errorf("validHost(%q) allocates %v times", h, n)
		}
	}
}

// FuzzValidHost checks the fast validHost against refValidHost, a slow
// one written straight from the rule.
func FuzzValidHost(f *testing.F) {
	for _, c := range validHostCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if got, want := validHost(h), refValidHost(h); got != want {
			t.Fatalf("validHost(%q) = %v, reference says %v", h, got, want)
		}
	})
}

var (
	refLabel = regexp.MustCompile(`^[A-Za-z0-9_-]{1,63}$`)
	refPort  = regexp.MustCompile(`^[1-9][0-9]{0,4}$`)
)

// refValidHost is the host rule spelt out: split off the port at the last
// colon (after the bracket of an IPv6 literal), then take the host as an
// IPv6 literal, an IPv4 address or a name of labels.
func refValidHost(h string) bool {
	host, port, hasPort := h, "", false
	if strings.HasPrefix(h, "[") {
		end := strings.Index(h, "]")
		if end < 0 {
			return false
		}
		host = h[:end+1]
		if rest := h[end+1:]; rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return false
			}
			port, hasPort = rest[1:], true
		}
	} else if i := strings.LastIndex(h, ":"); i >= 0 {
		host, port, hasPort = h[:i], h[i+1:], true
	}
	if hasPort {
		if !refPort.MatchString(port) {
			return false
		}
		if n, err := strconv.Atoi(port); err != nil || n > 65535 {
			return false
		}
	}
	if strings.HasPrefix(host, "[") {
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		return err == nil && a.Is6() && a.Zone() == ""
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Is4()
	}
	name := strings.TrimSuffix(host, ".")
	if name == "" || len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if !refLabel.MatchString(l) {
			return false
		}
	}
	// A name's last label is never all digits; such a host is an address.
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

// TestRequestHostIsOneValidHost sends hosts as an attacker would, on raw
// connections: what net/http lets through must be refused by the gateway
// with a problem document, and nothing refused may reach the upstream.
func TestRequestHostIsOneValidHost(t *testing.T) {
	var hits atomic.Int32
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		echoHandler("a").ServeHTTP(w, r)
	}))
	tg := mustGateway(t, `
version: 1
services:
  a: {targets: ["${A}"]}
routes:
  - {name: a, host: a.example, path: "/{rest...}", service: a, request_headers: {set: {X-Route: a}}}
  - {name: b, host: b.example, path: "/{rest...}", service: a, request_headers: {set: {X-Route: b}}}
  - {name: any, path: "/{rest...}", service: a, request_headers: {set: {X-Route: any}}}
`, map[string]string{"A": up.URL})
	addr := tg.srv.Listener.Addr().String()

	refused := []struct {
		name, raw string
		// byGateway says the request reaches the gateway, which answers
		// with a problem document; otherwise net/http refuses it first.
		byGateway bool
	}{
		{"list of hosts", "GET /x HTTP/1.1\r\nHost: a.example,b.example\r\n\r\n", true},
		{"two host fields", "GET /x HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", false},
		{"user information", "GET /x HTTP/1.1\r\nHost: user@a.example\r\n\r\n", false},
		{"space", "GET /x HTTP/1.1\r\nHost: a .example\r\n\r\n", false},
		{"empty port", "GET /x HTTP/1.1\r\nHost: a.example:\r\n\r\n", true},
		{"port out of range", "GET /x HTTP/1.1\r\nHost: a.example:99999\r\n\r\n", true},
		{"port zero", "GET /x HTTP/1.1\r\nHost: a.example:0\r\n\r\n", true},
		{"port not numeric", "GET /x HTTP/1.1\r\nHost: a.example:http\r\n\r\n", true},
		{"semicolon", "GET /x HTTP/1.1\r\nHost: a.example;b\r\n\r\n", true},
		{"empty label", "GET /x HTTP/1.1\r\nHost: a..example\r\n\r\n", true},
		{"unclosed bracket", "GET /x HTTP/1.1\r\nHost: [::1\r\n\r\n", true},
		{"zone", "GET /x HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n", true},
		{"bad address", "GET /x HTTP/1.1\r\nHost: 10.0.0.999\r\n\r\n", true},
		{"empty host on HTTP/1.1", "GET /x HTTP/1.1\r\nHost: \r\n\r\n", true},
		{"no host on HTTP/1.1", "GET /x HTTP/1.1\r\n\r\n", false},
		{"absolute form with user information", "GET http://user:pw@b.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n", true},
		{"absolute form with a list", "GET http://a.example,b.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n", true},
		{"absolute form with a bad port", "GET http://b.example:99999/x HTTP/1.1\r\nHost: a.example\r\n\r\n", true},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			before := hits.Load()
			resp, body := mustRaw(t, addr, c.raw)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400 (body %q)", resp.StatusCode, body)
			}
			if c.byGateway {
				mustProblem(t, resp, body, http.StatusBadRequest, "bad-request")
			} else if resp.Header.Get("Content-Type") == "application/problem+json" {
				t.Errorf("got a problem document; the test assumes net/http refuses this before the gateway")
			}
			if hits.Load() != before {
				t.Errorf("the upstream received the request")
			}
		})
	}

	served := []struct {
		name, raw, route, forwardedHost string
	}{
		{"name", "GET /x HTTP/1.1\r\nHost: a.example\r\n\r\n", "a", "a.example"},
		{"name with port, any case", "GET /x HTTP/1.1\r\nHost: A.Example:8080\r\n\r\n", "a", "A.Example:8080"},
		{"name with trailing dot", "GET /x HTTP/1.1\r\nHost: b.example.\r\n\r\n", "b", "b.example."},
		{"IPv6 literal", "GET /x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "any", "[::1]:8080"},
		{"IPv4 address", "GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "any", "127.0.0.1"},
		{"HTTP/1.0 without host", "GET /x HTTP/1.0\r\n\r\n", "any", ""},
		// RFC 9112 §3.2.2: the target's authority wins over Host, and
		// net/http drops the Host field; the gateway routes and forwards
		// that one authority, after validating it.
		{"absolute form", "GET http://b.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n", "b", "b.example"},
	}
	for _, c := range served {
		t.Run(c.name, func(t *testing.T) {
			resp, body := mustRaw(t, addr, c.raw)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %q)", resp.StatusCode, body)
			}
			e := mustEchoed(t, body)
			if got := strings.Join(e.Header["X-Route"], ","); got != c.route {
				t.Errorf("routed to %q, want %q", got, c.route)
			}
			if got := strings.Join(e.Header["X-Forwarded-Host"], ","); got != c.forwardedHost {
				t.Errorf("X-Forwarded-Host = %q, want %q", got, c.forwardedHost)
			}
			fwd := strings.Join(e.Header["Forwarded"], ",")
			if c.forwardedHost != "" && !strings.Contains(fwd, c.forwardedHost) {
				t.Errorf("Forwarded = %q, want host %s", fwd, c.forwardedHost)
			}
			if e.Path != "/x" || e.Raw != "/x" {
				t.Errorf("upstream path = %q (raw %q), want /x", e.Path, e.Raw)
			}
		})
	}
}
