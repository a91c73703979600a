package configs

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func mustDomains(tb testing.TB, ss ...string) Domains {
	tb.Helper()
	var ds Domains
	for _, s := range ss {
		d, err := ParseDomain(s)
		if err != nil {
			tb.Fatalf("ParseDomain(%q): %v", s, err)
		}
		ds = append(ds, d)
	}
	return ds
}

func TestParseDomain(t *testing.T) {
	ok := []struct{ in, want string }{
		{"example.com", "example.com"},
		{"Example.COM", "example.com"},
		{"  example.com\t", "example.com"},
		{"www.example.com", "example.com"},
		{"WWW.example.com", "example.com"},
		{"www.com", "www.com"},
		{"*.example.com", "*.example.com"},
		{"*.www.example.com", "*.www.example.com"},
		{"a-b.example.co.uk", "a-b.example.co.uk"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"localhost", "localhost"},
		{"app.internal", "app.internal"},
		{strings.Repeat("a", 63) + ".com", strings.Repeat("a", 63) + ".com"},
	}
	for _, c := range ok {
		t.Run(c.in, func(t *testing.T) {
			d, err := ParseDomain(c.in)
			if err != nil {
				t.Fatalf("got error %v, want %q", err, c.want)
			}
			if d.String() != c.want {
				t.Errorf("got %q, want %q", d.String(), c.want)
			}
		})
	}
	bad := []struct{ in, reason string }{
		{"", "domain is empty"},
		{"https://example.com", "remove the scheme https://"},
		{"http://example.com/", "remove the scheme http://"},
		{"ftp://example.com", "remove the scheme before ://"},
		{"user@example.com", "remove the user name and @"},
		{"example.com/player", "remove the path; give the host name only"},
		{"example.com?x", "remove the path; give the host name only"},
		{"example.com:8080", "remove the port; every port of an allowed domain is allowed"},
		{"bücher.example", "give an internationalised domain in its punycode form (xn--...)"},
		{"a.*.example.com", "a wildcard is allowed only as the first label, as in *.example.com"},
		{"*", "a wildcard is allowed only as the first label, as in *.example.com"},
		{"ex_ample.com", "domain may hold only letters, digits, '.' and '-'"},
		{"exa mple.com", "domain may hold only letters, digits, '.' and '-'"},
		{"example..com", "domain has an empty label"},
		{".example.com", "domain has an empty label"},
		{"example.com.", "remove the trailing dot"},
		{strings.Repeat("a", 64) + ".com", "domain has a label longer than 63 characters"},
		{strings.Repeat("abcdefghi.", 26) + "com", "domain is longer than 253 characters"},
		{"-a.example.com", "a label of a domain may not start or end with '-'"},
		{"a-.example.com", "a label of a domain may not start or end with '-'"},
		{"192.168.0.1", "give a domain, not an IP address; loopback addresses are always allowed"},
		{"com", "domain is a public suffix; give a name under it, such as example.com"},
		{"co.uk", "domain is a public suffix; give a name under it, such as example.com"},
		{"*.com", "domain is a public suffix; give a name under it, such as example.com"},
		{"*.github.io", "domain is a public suffix; give a name under it, such as example.com"},
		{"intranet", "domain is a public suffix; give a name under it, such as example.com"},
	}
	for _, c := range bad {
		t.Run("bad/"+c.in, func(t *testing.T) {
			d, err := ParseDomain(c.in)
			if err == nil {
				t.Fatalf("got %q, want error %q", d, c.reason)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
			if err.Error() != c.reason {
				t.Errorf("got reason %q, want %q", err.Error(), c.reason)
			}
		})
	}
}

func TestAllowsOrigin(t *testing.T) {
	ds := mustDomains(t, "example.com", "*.cdn.example.net", "www.player.org")
	cases := []struct {
		origin string
		want   bool
	}{
		{"https://example.com", true},
		{"http://example.com", true},
		{"https://EXAMPLE.com", true},
		{"https://www.example.com", true},
		{"https://example.com:8443", true},
		{"https://example.com/watch?v=1#t=3", true},
		{"https://example.com?x", true},
		{"capacitor://example.com", true},
		{"https://player.org", true},
		{"https://www.player.org/", true},
		{"https://a.cdn.example.net", true},
		{"https://a.b.cdn.example.net:443/p", true},
		{"https://www.cdn.example.net", true},
		{"http://localhost:3000", true},
		{"http://LocalHost", true},
		{"http://127.0.0.1:8080", true},
		{"http://[::1]:8080/x", true},
		// Refused.
		{"https://cdn.example.net", false},
		{"https://a.example.com", false},
		{"https://www.www.example.com", false},
		{"https://example.com.evil.com", false},
		{"https://evilexample.com", false},
		{"https://example.org", false},
		{"https://example.com.", false},
		{"https://example.com@evil.com", false},
		{"https://user@example.com", false},
		{"https://example.com:", false},
		{"https://example.com:123456", false},
		{"https://example.com:80a", false},
		{"https://exa_mple.com", false},
		{"https://.example.com", false},
		{"https://a..cdn.example.net", false},
		{"example.com", false},
		{"//example.com", false},
		{"https:/example.com", false},
		{"1http://example.com", false},
		{"null", false},
		{"", false},
		{"https://", false},
		{"https://[::2]", false},
		{"https://127.0.0.2", false},
		{"https://[::1]x", false},
	}
	for _, c := range cases {
		t.Run(c.origin, func(t *testing.T) {
			if got := ds.AllowsOrigin(c.origin); got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
			if got := allowsOriginSlow(ds, c.origin); got != c.want {
				t.Errorf("slow reference: got %v, want %v", got, c.want)
			}
		})
	}
	if Domains(nil).AllowsOrigin("https://example.com") {
		t.Error("empty list allowed example.com")
	}
	if !Domains(nil).AllowsOrigin("http://localhost") {
		t.Error("empty list refused localhost")
	}
}

// originRE is the origin syntax of AllowsOrigin's doc comment, written out.
var originRE = regexp.MustCompile(`^(?s)[a-zA-Z][a-zA-Z0-9+.-]*://(\[::1\]|[a-zA-Z0-9.-]+)(:[0-9]{1,5})?([/?#].*)?$`)

// allowsOriginSlow is AllowsOrigin as the rules read, with a regular
// expression, lower-casing and string splitting, allocations and all.
func allowsOriginSlow(ds Domains, origin string) bool {
	m := originRE.FindStringSubmatch(origin)
	if m == nil {
		return false
	}
	host := strings.ToLower(m[1])
	if len(host) > MaxDomainLen || slicesContains(strings.Split(host, "."), "") {
		return false
	}
	switch host {
	case "localhost", "127.0.0.1", "[::1]":
		return true
	}
	for _, d := range ds {
		name := strings.TrimPrefix(d.String(), "*.")
		if d.Wildcard() {
			if strings.HasSuffix(host, "."+name) && host != "."+name {
				return true
			}
		} else if host == name || host == "www."+name {
			return true
		}
	}
	return false
}

func slicesContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// FuzzAllowsOrigin parses a domain and checks an origin against it with
// AllowsOrigin and with allowsOriginSlow, which must agree.
func FuzzAllowsOrigin(f *testing.F) {
	f.Add("example.com", "https://www.example.com:8443/x")
	f.Add("*.example.com", "http://a.b.example.com")
	f.Fuzz(func(t *testing.T, domain, origin string) {
		d, err := ParseDomain(domain)
		if err != nil {
			return
		}
		if back, err := ParseDomain(d.String()); err != nil || back != d {
			t.Fatalf("ParseDomain(%q) = %q, which parses back as %q, %v", domain, d, back, err)
		}
		ds := Domains{d}
		if got, want := ds.AllowsOrigin(origin), allowsOriginSlow(ds, origin); got != want {
			t.Fatalf("domain %q, origin %q: got %v, want %v", d, origin, got, want)
		}
	})
}

func BenchmarkAllowsOrigin(b *testing.B) {
	ds := mustDomains(b, "example.com", "player.example.org", "*.cdn.example.net", "*.customer.tv", "www.news.example")
	origins := []string{
		"https://www.news.example",     // exact, through www.
		"https://a.b.customer.tv:8443", // wildcard, last in list but one
		"https://evil.example.com",     // refused after the whole list
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, o := range origins {
			ds.AllowsOrigin(o)
		}
	}
}
