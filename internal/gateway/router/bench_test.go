package router

import (
	"fmt"
	"testing"
)

// benchRoutes returns n routes shaped like a real gateway's: versioned
// resource collections with ids and sub-resources, a few host-specific and
// wildcard routes.
func benchRoutes(n int) []testRoute {
	rs := []testRoute{
		{[]string{"GET", "POST"}, "api.example.com", "/v1/orgs/{org}/members/{rest...}"},
		{nil, "*.tenant.example.com", "/v1/svc2/items"},
		{[]string{"GET"}, "", "/static/{path...}"},
		{[]string{"GET"}, "", "/healthz"},
	}
	for i := 0; len(rs) < n; i++ {
		svc := fmt.Sprintf("svc%d", i)
		rs = append(rs,
			testRoute{[]string{"GET", "POST"}, "", "/v1/" + svc + "/items"},
			testRoute{[]string{"GET", "PUT", "DELETE"}, "", "/v1/" + svc + "/items/{id}"},
			testRoute{[]string{"GET"}, "", "/v1/" + svc + "/items/{id}/details"},
			testRoute{[]string{"GET"}, "", "/v1/" + svc + "/items/{id}/children/{child}"},
			testRoute{nil, "", "/v2/" + svc + "/{rest...}"},
		)
	}
	return rs[:n]
}

type benchPath struct{ method, host, path string }

// benchPaths returns requests that each match one of benchRoutes(n).
func benchPaths(n int) []benchPath {
	var ps []benchPath
	for i := 0; i*5 < n-4; i++ {
		svc := fmt.Sprintf("svc%d", i)
		ps = append(ps,
			benchPath{"GET", "", "/v1/" + svc + "/items"},
			benchPath{"PUT", "", "/v1/" + svc + "/items/12345"},
			benchPath{"HEAD", "", "/v1/" + svc + "/items/12345/details"},
			benchPath{"GET", "", "/v1/" + svc + "/items/12345/children/abc"},
			benchPath{"GET", "", "/v2/" + svc + "/a/b/c"},
		)
	}
	ps = ps[:n-4]
	ps = append(ps, benchPath{"GET", "API.example.com:443", "/v1/orgs/acme/members/42/roles"})
	return ps
}

func BenchmarkNormalize(b *testing.B) {
	for _, c := range []struct{ name, in string }{
		{"canonical-short", "/v1/users/42"},
		{"canonical-long", "/v1/orgs/acme/members/12345/roles/admin/permissions/read;v=2"},
		{"canonical-escaped", "/files/caf%C3%A9/r%C3%A9sum%C3%A9.pdf"},
		{"dirty-slashes-dots", "//v1/./orgs//acme/members/../members/12345/"},
		{"dirty-encoded", "/files/caf%c3%a9/%7Euser/%2e%2e/r%c3%a9sum%c3%a9.pdf"},
		{"dirty-raw-unicode", "/files/café/résumé.pdf"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Normalize(c.in)
			}
		})
	}
}

func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{50, 500} {
		r := build(b, benchRoutes(n))
		paths := benchPaths(n)
		var p Params
		for _, bp := range paths {
			if _, res, _ := r.Match(bp.method, bp.host, bp.path, &p); res != Matched {
				b.Fatalf("%v: %v", bp, res)
			}
		}
		b.Run(fmt.Sprintf("routes=%d/mixed", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				bp := paths[i%len(paths)]
				r.Match(bp.method, bp.host, bp.path, &p)
				i++
			}
		})
		for _, c := range []struct {
			name string
			bp   benchPath
		}{
			{"literal", benchPath{"GET", "", fmt.Sprintf("/v1/svc%d/items", n/10)}},
			{"params", benchPath{"GET", "", fmt.Sprintf("/v1/svc%d/items/12345/children/abc", n/10)}},
			{"host-wildcard", benchPath{"GET", "API.example.com:443", "/v1/orgs/acme/members/42/roles"}},
			{"not-found", benchPath{"GET", "", "/v1/unknown/x/y"}},
			{"method-not-allowed", benchPath{"PATCH", "", fmt.Sprintf("/v1/svc%d/items/1", n/10)}},
		} {
			b.Run(fmt.Sprintf("routes=%d/%s", n, c.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					r.Match(c.bp.method, c.bp.host, c.bp.path, &p)
				}
			})
		}
	}
}

func BenchmarkRewriteExpand(b *testing.B) {
	rw := MustParseRewrite("/internal/orgs/{org}/members/{rest...}")
	var p Params
	p.Add("org", "acme corp")
	p.Add("rest", "42/roles/admin")
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = rw.Expand(buf[:0], &p)
	}
}
