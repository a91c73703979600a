package configshttp

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// FuzzParseIfMatch holds parseIfMatch to its rules: never a panic; a
// version only for exactly the ETag of that version; every refusal one of
// 400, 412 or 428.
func FuzzParseIfMatch(f *testing.F) {
	f.Add(`"v1"`)
	f.Add(`W/"v2"`)
	f.Fuzz(func(t *testing.T, v string) {
		n, err := parseIfMatch([]string{v})
		if err == nil {
			if got := (configs.SettingsVersion{Version: n}).ETag(); got != strings.TrimSpace(v) {
				t.Fatalf("%q: got version %d, whose ETag is %s", v, n, got)
			}
			return
		}
		if pp, ok := errors.AsType[*problem.Problem](err); ok {
			if pp.Status != 400 && pp.Status != 428 {
				t.Fatalf("%q: got status %d", v, pp.Status)
			}
			return
		}
		if configs.Code(err) != configs.ErrStale {
			t.Fatalf("%q: got %v", v, err)
		}
	})
}

// FuzzSDKQuery holds the allocation-free query reader to url.ParseQuery
// on every query that parses.
func FuzzSDKQuery(f *testing.F) {
	f.Add("property=live&bundle_id=com.example.app")
	f.Add("property=a%20b&property=second")
	f.Fuzz(func(t *testing.T, raw string) {
		prop, bundle, ok := sdkQuery(raw)
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if !ok || prop != q.Get("property") || bundle != q.Get("bundle_id") {
			t.Fatalf("%q: got (%q, %q, %v), want (%q, %q)", raw, prop, bundle, ok, q.Get("property"), q.Get("bundle_id"))
		}
	})
}

// FuzzRefererOrigin checks refererOrigin on every Referer AllowsOrigin
// accepts: the origin is a prefix with "://", no path, query or fragment
// after it, and what follows it in the Referer starts one.
func FuzzRefererOrigin(f *testing.F) {
	f.Add("https://example.com/watch?v=1")
	f.Add("http://localhost:8080#x")
	d, _ := configs.ParseDomain("example.com")
	ds := configs.Domains{d}
	f.Fuzz(func(t *testing.T, ref string) {
		if !ds.AllowsOrigin(ref) {
			return
		}
		o := refererOrigin(ref)
		scheme, rest, ok := strings.Cut(o, "://")
		if !ok || !strings.HasPrefix(ref, o) || scheme == "" || strings.ContainsAny(rest, "/?#") {
			t.Fatalf("%q: got origin %q", ref, o)
		}
		if tail := ref[len(o):]; tail != "" && !strings.ContainsAny(tail[:1], "/?#") {
			t.Fatalf("%q: origin %q is followed by %q", ref, o, tail)
		}
		if !ds.AllowsOrigin(o) {
			t.Fatalf("%q: the origin %q is not allowed itself", ref, o)
		}
	})
}

// FuzzETagListMatches holds etagListMatches to a slow reference written
// from RFC 9110's If-None-Match: a list of entity tags compared weakly, or
// "*".
func FuzzETagListMatches(f *testing.F) {
	f.Add(`"a", W/"b"`, `"b"`)
	f.Add(`*`, `"x"`)
	f.Fuzz(func(t *testing.T, header, etag string) {
		if !validEntityTag(etag) || strings.Contains(etag, ",") {
			return
		}
		want := false
		for _, tag := range strings.Split(header, ",") {
			tag = strings.Trim(tag, " \t")
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				want = true
			}
		}
		if got := etagListMatches([]string{header}, etag); got != want {
			t.Fatalf("%q against %q: got %v, want %v", header, etag, got, want)
		}
	})
}
