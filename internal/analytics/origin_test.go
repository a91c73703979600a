package analytics

import (
	"net/url"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/platform/weborigin"
)

func TestAllowsOrigin(t *testing.T) {
	in := Integration{Domains: []string{"example.com", "*.cdn.example.net", "WWW.Shop.Example"}}
	for _, tc := range []struct {
		origin string
		want   bool
	}{
		{"https://example.com", true},
		{"https://www.example.com:8443", true},
		{"HTTPS://EXAMPLE.COM/path?q#f", true},
		{"https://a.example.com", false},
		{"https://evilexample.com", false},
		{"https://a.cdn.example.net", true},
		{"https://a.b.cdn.example.net", true},
		{"https://cdn.example.net", false},
		{"https://shop.example", true},
		{"https://www.shop.example", true},
		{"capacitor://example.com", true},
		{"http://localhost:3000", true},
		{"http://127.0.0.1", true},
		{"http://[::1]:8080", true},
		{"null", false},
		{"", false},
		{"https://user@example.com", false},
		{"https://example.com.", false},
		{"https://example.com:123456", false},
		{"https://example.com:", false},
		{"//example.com", false},
	} {
		if got := in.AllowsOrigin(tc.origin); got != tc.want {
			t.Errorf("AllowsOrigin(%q): got %v, want %v", tc.origin, got, tc.want)
		}
	}
	if (&Integration{}).AllowsOrigin("https://example.com") {
		t.Errorf("no domains: got allowed, want refused")
	}
}

func TestAllowsBundleID(t *testing.T) {
	in := Integration{BundleIDs: []string{"com.example.Player"}}
	if !in.AllowsBundleID("com.example.Player") || in.AllowsBundleID("com.example.player") {
		t.Errorf("bundle ids must compare exactly")
	}
}

// allowsOriginSlow is AllowsOrigin written from its documentation with
// net/url and strings, without regard for allocations.
func allowsOriginSlow(domains []string, origin string) bool {
	i := strings.Index(origin, "://")
	if i <= 0 || !weborigin.IsScheme(origin[:i]) {
		return false
	}
	rest := origin[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	u, err := url.Parse("x://" + rest)
	if err != nil || u.User != nil || u.Host != rest {
		return false
	}
	host, port := u.Hostname(), u.Port()
	if strings.HasPrefix(rest, "[") {
		if host != "::1" || rest[:5] != "[::1]" {
			return false
		}
		host = "[::1]"
	} else {
		if host == "" || len(host) > weborigin.MaxHostLen {
			return false
		}
		for _, label := range strings.Split(host, ".") {
			if label == "" {
				return false
			}
			for _, c := range []byte(label) {
				if !isAlnum(c) && c != '-' {
					return false
				}
			}
		}
	}
	if strings.Contains(rest[len(strings.TrimSuffix(rest, ":"+port)):], ":") || strings.HasSuffix(rest, ":") {
		if port == "" {
			return false
		}
	}
	if len(port) > 5 || strings.Trim(port, "0123456789") != "" {
		return false
	}
	host = strings.ToLower(host)
	if host == "localhost" || host == "127.0.0.1" || host == "[::1]" {
		return true
	}
	for _, d := range domains {
		d = strings.ToLower(d)
		if w, ok := strings.CutPrefix(d, "*."); ok {
			if w != "" && strings.HasSuffix(host, "."+w) {
				return true
			}
			continue
		}
		if r, ok := strings.CutPrefix(d, "www."); ok && strings.Contains(r, ".") {
			d = r
		}
		if d != "" && (host == d || host == "www."+d) {
			return true
		}
	}
	return false
}

// FuzzAllowsOrigin checks AllowsOrigin against allowsOriginSlow for a
// domain as the configs service stores them and any origin.
func FuzzAllowsOrigin(f *testing.F) {
	f.Add("example.com", "https://www.example.com:8443/x")
	f.Add("*.example.com", "http://a.b.example.com")
	f.Add("www.example.com", "http://EXAMPLE.com")
	f.Add("example.com", "http://[::1]:80")
	f.Fuzz(func(t *testing.T, domain, origin string) {
		if !canonicalDomain(domain) {
			return
		}
		in := Integration{Domains: []string{domain}}
		if got, want := in.AllowsOrigin(origin), allowsOriginSlow(in.Domains, origin); got != want {
			t.Fatalf("domain %q, origin %q: got %v, want %v", domain, origin, got, want)
		}
	})
}

// canonicalDomain reports whether d has the form the configs service
// sends: letters, digits, '-' and non-empty dot-separated labels,
// optionally behind "*.".
func canonicalDomain(d string) bool {
	d = strings.TrimPrefix(d, "*.")
	if d == "" || len(d) > weborigin.MaxHostLen {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" {
			return false
		}
		for _, c := range []byte(label) {
			if !isAlnum(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

func BenchmarkAllowsOrigin(b *testing.B) {
	in := Integration{Domains: []string{"example.com", "player.example.org", "*.cdn.example.net", "*.customer.tv"}}
	b.ReportAllocs()
	for b.Loop() {
		in.AllowsOrigin("https://a.b.customer.tv:8443")
		in.AllowsOrigin("https://evil.example.com")
	}
}
