package gateway

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
	"github.com/portico-gw/portico/internal/gateway/config"
)

// Contents of the app mustDist builds.
const (
	indexHTML = "<!doctype html><title>app</title><script type=module src=/assets/app-1a2b3c.js></script>\n"
	appJS     = "console.log('portico dashboard');\n"
	appCSS    = "body { margin: 0 }\n"
	secret    = "SECRET=outside-the-root\n"
)

// mustDist writes a built single-page app into a new directory and returns
// it: an index, hashed assets with precompressed variants of the script,
// a directory with and one without an index, hidden files, a file outside
// the root, and symbolic links to a file inside and to the one outside.
func mustDist(tb testing.TB) string {
	tb.Helper()
	base := tb.TempDir()
	dist := filepath.Join(base, "dist")
	files := map[string]string{
		"index.html":                 indexHTML,
		"assets/app-1a2b3c.js":       appJS,
		"assets/app-1a2b3c.js.br":    "brotli bytes of the script",
		"assets/app-1a2b3c.js.gz":    mustGzip(tb, appJS),
		"assets/style-9f8e7d.css":    appCSS,
		"assets/font-0a1b.woff2":     "wOF2",
		"logo.svg":                   "<svg xmlns='http://www.w3.org/2000/svg'/>",
		"manifest.webmanifest":       "{}",
		"docs/index.html":            "<p>docs</p>",
		"empty/readme":               "no index here",
		"big.bin":                    strings.Repeat("0123456789", 100),
		".env":                       secret,
		".git/config":                secret,
		"assets/.secret/key.js":      secret,
		"../secret.txt":              secret,
		"sub/dir/deep-file.txt":      "deep",
		"assets/chunk with space.js": "spaced",
	}
	for name, content := range files {
		p := filepath.Join(dist, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	for link, target := range map[string]string{"leak.txt": "../secret.txt", "inside.html": "index.html", "up": ".."} {
		if err := os.Symlink(target, filepath.Join(dist, link)); err != nil {
			tb.Skipf("symbolic links unavailable: %v", err)
		}
	}
	return dist
}

func mustGzip(tb testing.TB, s string) string {
	tb.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.WriteString(zw, s)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

// staticConfig serves ${DIST} at the root beside an API route to ${API};
// route holds more keys of the static route, each line indented six spaces.
func staticConfig(static string) string {
	return `
version: 1
services:
  api: {targets: ["${API}"]}
routes:
  - {name: api, methods: [GET], path: "/v1/items/{id}", service: api}
  - name: app
    methods: [GET, HEAD]
    path: "/{path...}"
    static:
      dir: "${DIST}"
      fallback: index.html
      immutable: [/assets/]
` + static
}

// mustStatic starts a gateway serving a new mustDist with staticConfig.
func mustStatic(tb testing.TB, static string) (*testGateway, string) {
	tb.Helper()
	dist := mustDist(tb)
	api := mustUpstream(tb, echoHandler("api"))
	return mustGateway(tb, staticConfig(static), map[string]string{"DIST": dist, "API": api.URL}), dist
}

// get sends method to the gateway with header fields given as name, value
// pairs.
func get(tb testing.TB, tg *testGateway, method, target string, kv ...string) (*http.Response, []byte) {
	tb.Helper()
	req := mustRequest(tb, method, tg.srv.URL+target, nil)
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "identity") // the transport would ask for gzip itself
	}
	return mustDo(tb, req)
}

func TestStaticServesFiles(t *testing.T) {
	tg, _ := mustStatic(t, "")
	cases := []struct {
		name, method, target string
		status               int
		body, ctype, cache   string
	}{
		{"root serves the index", "GET", "/", 200, indexHTML, "text/html; charset=utf-8", "no-cache"},
		{"index by name", "GET", "/index.html", 200, indexHTML, "text/html; charset=utf-8", "no-cache"},
		{"hashed script is immutable", "GET", "/assets/app-1a2b3c.js", 200, appJS, "text/javascript; charset=utf-8", config.StaticImmutableCacheControl},
		{"hashed style is immutable", "GET", "/assets/style-9f8e7d.css", 200, appCSS, "text/css; charset=utf-8", config.StaticImmutableCacheControl},
		{"font type", "GET", "/assets/font-0a1b.woff2", 200, "wOF2", "font/woff2", config.StaticImmutableCacheControl},
		{"svg type", "GET", "/logo.svg", 200, "<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", "no-cache"},
		{"manifest type", "GET", "/manifest.webmanifest", 200, "{}", "application/manifest+json", "no-cache"},
		{"unknown type is not sniffed", "GET", "/big.bin", 200, strings.Repeat("0123456789", 100), "application/octet-stream", "no-cache"},
		{"directory with a slash serves its index", "GET", "/docs/", 200, "<p>docs</p>", "text/html; charset=utf-8", "no-cache"},
		{"escaped name", "GET", "/assets/chunk%20with%20space.js", 200, "spaced", "text/javascript; charset=utf-8", config.StaticImmutableCacheControl},
		{"deep file", "GET", "/sub/dir/deep-file.txt", 200, "deep", "text/plain; charset=utf-8", "no-cache"},
		{"symbolic link inside the root", "GET", "/inside.html", 200, indexHTML, "text/html; charset=utf-8", "no-cache"},
		{"HEAD has no body", "HEAD", "/assets/app-1a2b3c.js", 200, "", "text/javascript; charset=utf-8", config.StaticImmutableCacheControl},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := get(t, tg, c.method, c.target)
			if resp.StatusCode != c.status || string(body) != c.body {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body, c.status, c.body)
			}
			h := resp.Header
			if got := h.Get("Content-Type"); got != c.ctype {
				t.Errorf("Content-Type = %q, want %q", got, c.ctype)
			}
			if got := h.Get("Cache-Control"); got != c.cache {
				t.Errorf("Cache-Control = %q, want %q", got, c.cache)
			}
			if et := h.Get("Etag"); len(et) < 10 || et[0] != '"' || strings.HasPrefix(et, "W/") {
				t.Errorf("ETag = %q, want a strong quoted tag", et)
			}
			if h.Get("Last-Modified") == "" || h.Get("X-Request-Id") == "" || h.Get("Accept-Ranges") != "bytes" {
				t.Errorf("Last-Modified %q, X-Request-Id %q, Accept-Ranges %q: want all set", h.Get("Last-Modified"), h.Get("X-Request-Id"), h.Get("Accept-Ranges"))
			}
			if c.method == "HEAD" && resp.ContentLength != int64(len(appJS)) {
				t.Errorf("HEAD Content-Length = %d, want %d", resp.ContentLength, len(appJS))
			}
			checkStaticHeaders(t, h, config.DefaultStaticCSP)
		})
	}
	t.Run("directory without a slash redirects", func(t *testing.T) {
		resp, _ := get(t, tg, "GET", "/docs?tab=1")
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/docs/?tab=1" {
			t.Errorf("got %d Location %q, want 301 /docs/?tab=1", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// checkStaticHeaders checks the security fields of every static response.
func checkStaticHeaders(tb testing.TB, h http.Header, csp string) {
	tb.Helper()
	want := map[string]string{
		"Content-Security-Policy":    csp,
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "strict-origin-when-cross-origin",
		"Cross-Origin-Opener-Policy": "same-origin",
		"X-Frame-Options":            "DENY",
	}
	for k, v := range want {
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			tb.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestStaticFallback(t *testing.T) {
	tg, _ := mustStatic(t, "")
	const html = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	cases := []struct {
		name, target, accept string
		want                 int // 200: the index; 404: a problem
	}{
		{"client-side route from a browser", "/settings/profile", html, 200},
		{"client-side route, asked for by a program without Accept", "/orgs/o1", "", 404},
		{"client-side route, asked for by a program accepting anything", "/orgs/o1", "*/*", 404},
		{"client-side route, text/* only", "/orgs/o1", "text/*", 404},
		{"client-side route, HTML asked for by name", "/orgs/o1", "application/json;q=0.5, TEXT/HTML", 200},
		{"directory without index", "/empty/", html, 200},
		{"API call to an unknown path", "/v1/nope", "application/json", 404},
		{"API call under an API prefix", "/v1/items", "application/problem+json, application/json", 404},
		{"HTML refused explicitly", "/settings", "text/html;q=0, */*", 404},
		{"text/* refused", "/settings", "text/*;q=0, application/json", 404},
		{"missing file with an extension", "/assets/missing-0000.js", html, 404},
		{"missing image", "/favicon.ico", html, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var kv []string
			if c.accept != "" {
				kv = []string{"Accept", c.accept}
			}
			resp, body := get(t, tg, "GET", c.target, kv...)
			if c.want == 200 {
				if resp.StatusCode != 200 || string(body) != indexHTML {
					t.Fatalf("got %d %q, want the index", resp.StatusCode, body)
				}
				if resp.Header.Get("Cache-Control") != "no-cache" {
					t.Errorf("Cache-Control = %q, want no-cache", resp.Header.Get("Cache-Control"))
				}
			} else {
				mustProblem(t, resp, body, 404, "not-found")
				if strings.Contains(string(body), "doctype") {
					t.Errorf("a 404 carries the index: %s", body)
				}
			}
			if vary := resp.Header.Values("Vary"); !hasExtension(c.target) && !slices.Contains(vary, "Accept") {
				t.Errorf("Vary = %q, want Accept: the answer depends on it", vary)
			}
			checkStaticHeaders(t, resp.Header, config.DefaultStaticCSP)
		})
	}
	t.Run("API routes still win", func(t *testing.T) {
		resp, body := get(t, tg, "GET", "/v1/items/42", "Accept", "application/json")
		if resp.StatusCode != 200 || mustEchoed(t, body).Path != "/v1/items/42" {
			t.Fatalf("got %d %s, want the API's echo", resp.StatusCode, body)
		}
		if resp.Header.Get("Content-Security-Policy") != "" {
			t.Errorf("the API's answer got the static route's CSP")
		}
	})
}

func TestStaticFallbackOff(t *testing.T) {
	dist := mustDist(t)
	tg := mustGateway(t, `
version: 1
routes:
  - {name: app, path: "/{path...}", static: {dir: "${DIST}"}}
`, map[string]string{"DIST": dist})
	resp, body := get(t, tg, "GET", "/settings", "Accept", "text/html")
	mustProblem(t, resp, body, 404, "not-found")
	if v := resp.Header.Get("Vary"); v != "" {
		t.Errorf("Vary = %q without a fallback, want none", v)
	}
}

func TestStaticRefusesTraversal(t *testing.T) {
	tg, _ := mustStatic(t, "")
	addr := tg.srv.Listener.Addr().String()
	cases := []struct {
		name, target string
		status       int
	}{
		{"dot-dot above the root", "/../secret.txt", 400},
		{"encoded dot-dot above the root", "/%2e%2e/secret.txt", 400},
		{"mixed encoded dot-dot", "/assets/.%2E/%2E./secret.txt", 400},
		{"three dots are a name", "/..%2e/secret.txt", 404},
		{"encoded slash", "/assets%2F..%2F..%2Fsecret.txt", 400},
		{"encoded backslash", "/..%5Csecret.txt", 400},
		{"backslash", "/assets\\..\\..\\secret.txt", 400},
		{"encoded NUL", "/index.html%00.js", 400},
		{"dot-semicolon", "/..;/secret.txt", 400},
		{"dotfile", "/.env", 404},
		{"encoded dotfile", "/%2eenv", 404},
		{"hidden directory", "/.git/config", 404},
		{"hidden directory below", "/assets/.secret/key.js", 404},
		{"symbolic link out of the root", "/leak.txt", 404},
		{"symbolic link to the parent", "/up/secret.txt", 404},
		{"double-encoded dot-dot stays a name", "/%252e%252e/secret.txt", 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := mustRaw(t, addr, "GET "+c.target+" HTTP/1.1\r\nHost: gw.test\r\nAccept: text/css\r\nConnection: close\r\n\r\n")
			if resp.StatusCode != c.status {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, body, c.status)
			}
			if strings.Contains(string(body), "SECRET") {
				t.Fatalf("the answer leaks a file outside the root or hidden: %s", body)
			}
			problemOf(t, resp, body)
		})
	}
	t.Run("dot-dot inside the root resolves", func(t *testing.T) {
		resp, body := mustRaw(t, addr, "GET /assets/%2e%2e/index.html HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n")
		if resp.StatusCode != 200 || string(body) != indexHTML {
			t.Fatalf("got %d %q, want the index", resp.StatusCode, body)
		}
	})
}

func TestStaticConditionalRequests(t *testing.T) {
	tg, _ := mustStatic(t, "")
	resp, _ := get(t, tg, "GET", "/assets/style-9f8e7d.css")
	etag, mod := resp.Header.Get("Etag"), resp.Header.Get("Last-Modified")
	cases := []struct {
		name   string
		kv     []string
		status int
	}{
		{"If-None-Match matches", []string{"If-None-Match", etag}, 304},
		{"If-None-Match among others", []string{"If-None-Match", `"other", ` + etag}, 304},
		{"If-None-Match weak form matches", []string{"If-None-Match", "W/" + etag}, 304},
		{"If-None-Match differs", []string{"If-None-Match", `"other"`}, 200},
		{"If-Modified-Since the modification", []string{"If-Modified-Since", mod}, 304},
		{"If-Modified-Since long ago", []string{"If-Modified-Since", time.Unix(0, 0).UTC().Format(http.TimeFormat)}, 200},
		{"If-Match differs", []string{"If-Match", `"other"`}, 412},
		{"If-Match matches", []string{"If-Match", etag}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := get(t, tg, "GET", "/assets/style-9f8e7d.css", c.kv...)
			switch c.status {
			case 304:
				if resp.StatusCode != 304 || len(body) != 0 || resp.Header.Get("Etag") != etag ||
					resp.Header.Get("Cache-Control") != config.StaticImmutableCacheControl {
					t.Fatalf("got %d %q ETag %q Cache-Control %q, want an empty 304 with the tag and caching",
						resp.StatusCode, body, resp.Header.Get("Etag"), resp.Header.Get("Cache-Control"))
				}
			case 412:
				mustProblem(t, resp, body, 412, "precondition-failed")
				if resp.Header.Get("Etag") != "" || resp.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("412 ETag %q Cache-Control %q, want none and no-store", resp.Header.Get("Etag"), resp.Header.Get("Cache-Control"))
				}
			default:
				if resp.StatusCode != c.status || string(body) != appCSS {
					t.Fatalf("got %d %q, want %d with the file", resp.StatusCode, body, c.status)
				}
			}
		})
	}
}

func TestStaticRanges(t *testing.T) {
	tg, _ := mustStatic(t, "")
	full := strings.Repeat("0123456789", 100)
	resp, _ := get(t, tg, "GET", "/big.bin")
	etag := resp.Header.Get("Etag")

	resp, body := get(t, tg, "GET", "/big.bin", "Range", "bytes=10-19")
	if resp.StatusCode != 206 || string(body) != full[10:20] || resp.Header.Get("Content-Range") != "bytes 10-19/1000" {
		t.Errorf("got %d %q Content-Range %q, want 206 of bytes 10-19/1000", resp.StatusCode, body, resp.Header.Get("Content-Range"))
	}
	resp, body = get(t, tg, "GET", "/big.bin", "Range", "bytes=-5")
	if resp.StatusCode != 206 || string(body) != full[995:] {
		t.Errorf("suffix range: got %d %q, want the last 5 bytes", resp.StatusCode, body)
	}
	resp, body = get(t, tg, "GET", "/big.bin", "Range", "bytes=0-1,5-6")
	if resp.StatusCode != 206 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/byteranges") {
		t.Errorf("two ranges: got %d %s, want a multipart 206", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, body = get(t, tg, "GET", "/big.bin", "Range", "bytes=5000-")
	mustProblem(t, resp, body, 416, "range-not-satisfiable")
	if resp.Header.Get("Content-Range") != "bytes */1000" {
		t.Errorf("416 Content-Range = %q, want bytes */1000", resp.Header.Get("Content-Range"))
	}
	resp, body = get(t, tg, "GET", "/big.bin", "Range", "bytes=0-9", "If-Range", etag)
	if resp.StatusCode != 206 || string(body) != full[:10] {
		t.Errorf("If-Range current: got %d, want 206", resp.StatusCode)
	}
	resp, body = get(t, tg, "GET", "/big.bin", "Range", "bytes=0-9", "If-Range", `"stale"`)
	if resp.StatusCode != 200 || string(body) != full {
		t.Errorf("If-Range stale: got %d, want the whole file", resp.StatusCode)
	}
}

func TestStaticPrecompressed(t *testing.T) {
	tg, _ := mustStatic(t, "")
	const js = "/assets/app-1a2b3c.js"
	resp, _ := get(t, tg, "GET", js, "Accept-Encoding", "identity")
	identityTag := resp.Header.Get("Etag")
	cases := []struct {
		accept, want string // want: the Content-Encoding, "" for the file itself
	}{
		{"br, gzip", "br"},
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"x-gzip", "gzip"},
		{"GZIP", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"br;q=0.5, gzip;q=0.8", "gzip"},
		{"br;q=0, gzip;q=0", ""},
		{"br;q=0, gzip;q=0.000", ""},
		{"*", "br"},
		{"*;q=0", ""},
		{"gzip;q=0, *", "br"},
		{"br;q=0, *;q=0.1", "gzip"},
		{"identity", ""},
		{"br;q=2", ""},
		{"br;q=abc, gzip", "gzip"},
		{"deflate", ""},
	}
	tags := map[string]string{}
	for _, c := range cases {
		t.Run(c.accept, func(t *testing.T) {
			resp, body := get(t, tg, "GET", js, "Accept-Encoding", c.accept)
			if resp.StatusCode != 200 {
				t.Fatalf("got %d, want 200", resp.StatusCode)
			}
			h := resp.Header
			if got := h.Get("Content-Encoding"); got != c.want {
				t.Fatalf("Content-Encoding = %q, want %q", got, c.want)
			}
			if !slices.Contains(h.Values("Vary"), "Accept-Encoding") {
				t.Errorf("Vary = %q, want Accept-Encoding on every answer of a file with variants", h.Values("Vary"))
			}
			if h.Get("Content-Type") != "text/javascript; charset=utf-8" || h.Get("Cache-Control") != config.StaticImmutableCacheControl {
				t.Errorf("Content-Type %q Cache-Control %q: want the script's", h.Get("Content-Type"), h.Get("Cache-Control"))
			}
			switch c.want {
			case "gzip":
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if plain, _ := io.ReadAll(zr); string(plain) != appJS {
					t.Errorf("gzip body decodes to %q, want the script", plain)
				}
			case "br":
				if string(body) != "brotli bytes of the script" {
					t.Errorf("got %q, want the .br file", body)
				}
			default:
				if string(body) != appJS {
					t.Errorf("got %q, want the script", body)
				}
			}
			if resp.ContentLength != int64(len(body)) {
				t.Errorf("Content-Length = %d, want %d", resp.ContentLength, len(body))
			}
			tags[c.want] = h.Get("Etag")
		})
	}
	if tags["br"] == identityTag || tags["gzip"] == identityTag || tags["br"] == tags["gzip"] {
		t.Errorf("ETags br %s, gzip %s, identity %s: want one per encoding", tags["br"], tags["gzip"], identityTag)
	}
	t.Run("304 for the encoded variant", func(t *testing.T) {
		resp, _ := get(t, tg, "GET", js, "Accept-Encoding", "br", "If-None-Match", tags["br"])
		if resp.StatusCode != 304 || !slices.Contains(resp.Header.Values("Vary"), "Accept-Encoding") {
			t.Errorf("got %d Vary %q, want 304 with Vary", resp.StatusCode, resp.Header.Values("Vary"))
		}
		resp, _ = get(t, tg, "GET", js, "Accept-Encoding", "identity", "If-None-Match", tags["br"])
		if resp.StatusCode != 200 {
			t.Errorf("the br tag validated the identity file: got %d", resp.StatusCode)
		}
	})
	t.Run("range of the encoded variant", func(t *testing.T) {
		resp, body := get(t, tg, "GET", js, "Accept-Encoding", "br", "Range", "bytes=0-5")
		if resp.StatusCode != 206 || string(body) != "brotli" || resp.Header.Get("Content-Encoding") != "br" {
			t.Errorf("got %d %q %q, want bytes 0-5 of the .br file", resp.StatusCode, body, resp.Header.Get("Content-Encoding"))
		}
	})
	t.Run("file without variants has no Vary", func(t *testing.T) {
		resp, _ := get(t, tg, "GET", "/assets/style-9f8e7d.css", "Accept-Encoding", "br, gzip")
		if resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Vary") != "" {
			t.Errorf("Content-Encoding %q Vary %q, want neither", resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
		}
	})
	t.Run("variant by its own name is a plain file", func(t *testing.T) {
		resp, body := get(t, tg, "GET", js+".gz", "Accept-Encoding", "gzip")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Content-Type") != "application/gzip" ||
			string(body) != mustGzip(t, appJS) {
			t.Errorf("got %d Content-Encoding %q Content-Type %q, want the gzip file as application/gzip",
				resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Type"))
		}
	})
}

func TestStaticHeadersAndRules(t *testing.T) {
	tg, _ := mustStatic(t, `      content_security_policy: "default-src 'self' https://cdn.example"
      cache_control: "public, max-age=60"
    response_headers:
      set: {X-Frame-Options: SAMEORIGIN, X-Build: "42"}
      remove: [Cross-Origin-Opener-Policy]
`)
	resp, _ := get(t, tg, "GET", "/")
	h := resp.Header
	if h.Get("Content-Security-Policy") != "default-src 'self' https://cdn.example" || h.Get("Cache-Control") != "public, max-age=60" {
		t.Errorf("CSP %q Cache-Control %q: want the configured ones", h.Get("Content-Security-Policy"), h.Get("Cache-Control"))
	}
	if h.Get("X-Frame-Options") != "SAMEORIGIN" || h.Get("X-Build") != "42" || h.Get("Cross-Origin-Opener-Policy") != "" {
		t.Errorf("X-Frame-Options %q X-Build %q COOP %q: want the response_headers rules applied",
			h.Get("X-Frame-Options"), h.Get("X-Build"), h.Get("Cross-Origin-Opener-Policy"))
	}
	resp, _ = get(t, tg, "GET", "/assets/app-1a2b3c.js")
	if resp.Header.Get("Cache-Control") != config.StaticImmutableCacheControl {
		t.Errorf("Cache-Control = %q, want immutable under /assets/", resp.Header.Get("Cache-Control"))
	}
	resp, body := get(t, tg, "GET", "/nope.png")
	mustProblem(t, resp, body, 404, "not-found")
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("a 404 lacks the security fields: %v", resp.Header)
	}
}

func TestStaticMethods(t *testing.T) {
	dist := mustDist(t)
	tg := mustGateway(t, `
version: 1
routes:
  - {name: app, methods: [GET, HEAD], path: "/app/{file...}", static: {dir: "${DIST}"}}
  - {name: any, path: "/any/{file...}", static: {dir: "${DIST}"}}
`, map[string]string{"DIST": dist})
	for _, target := range []string{"/app/index.html", "/any/index.html"} {
		for _, method := range []string{"POST", "PUT", "DELETE", "OPTIONS"} {
			t.Run(method+" "+target, func(t *testing.T) {
				resp, body := get(t, tg, method, target)
				mustProblem(t, resp, body, 405, "method-not-allowed")
				if a := resp.Header.Get("Allow"); a != "GET, HEAD" {
					t.Errorf("Allow = %q, want GET, HEAD", a)
				}
			})
		}
	}
}

func TestStaticEmbedded(t *testing.T) {
	mod := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	files := fstest.MapFS{
		"index.html":              {Data: []byte(indexHTML)},
		"assets/app-1a2b3c.js":    {Data: []byte(appJS)},
		"assets/app-1a2b3c.js.gz": {Data: []byte(mustGzip(t, appJS))},
		"robots.txt":              {Data: []byte("User-agent: *\n"), ModTime: mod},
		".hidden":                 {Data: []byte(secret)},
		".well/known.txt":         {Data: []byte(secret)},
		"docs/index.html":         {Data: []byte("<p>docs</p>")},
	}
	cfg := `
version: 1
routes:
  - name: app
    path: "/{path...}"
    static: {embedded: dashboard, fallback: index.html, immutable: [/assets/]}
`
	tg := mustGatewayWith(t, cfg, nil, Options{Files: map[string]fs.FS{"dashboard": files}})
	cases := []struct {
		target, accept string
		status         int
		body           string
	}{
		{"/", "", 200, indexHTML},
		{"/assets/app-1a2b3c.js", "", 200, appJS},
		{"/robots.txt", "", 200, "User-agent: *\n"},
		{"/docs/", "", 200, "<p>docs</p>"},
		{"/settings", "text/html", 200, indexHTML},
		{"/settings", "application/json", 404, ""},
		{"/.hidden", "", 404, ""},
		{"/.well/known.txt", "", 404, ""},
	}
	for _, c := range cases {
		t.Run(c.target+" "+c.accept, func(t *testing.T) {
			var kv []string
			if c.accept != "" {
				kv = []string{"Accept", c.accept}
			}
			resp, body := get(t, tg, "GET", c.target, kv...)
			if c.status == 404 {
				mustProblem(t, resp, body, 404, "not-found")
				return
			}
			if resp.StatusCode != c.status || string(body) != c.body {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body, c.status, c.body)
			}
			if resp.Header.Get("Etag") == "" {
				t.Errorf("no ETag")
			}
			checkStaticHeaders(t, resp.Header, config.DefaultStaticCSP)
		})
	}
	resp, _ := get(t, tg, "GET", "/assets/app-1a2b3c.js", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("Content-Encoding %q Vary %q, want the gzip variant", resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		t.Errorf("Last-Modified = %q for a file without a time, want none", lm)
	}
	resp, _ = get(t, tg, "GET", "/robots.txt")
	if lm := resp.Header.Get("Last-Modified"); lm != mod.Format(http.TimeFormat) {
		t.Errorf("Last-Modified = %q, want the filesystem's %s", lm, mod.Format(http.TimeFormat))
	}
	etag := resp.Header.Get("Etag")
	resp, _ = get(t, tg, "GET", "/robots.txt", "If-None-Match", etag)
	if resp.StatusCode != 304 {
		t.Errorf("If-None-Match: got %d, want 304", resp.StatusCode)
	}
}

func TestStaticEmbeddedMustBeRegistered(t *testing.T) {
	cfg := mustConfig(t, `
version: 1
routes:
  - {name: app, path: "/{path...}", static: {embedded: dashbaord}}
`, nil)
	for _, files := range []map[string]fs.FS{nil, {"dashboard": fstest.MapFS{}, "docs": fstest.MapFS{}}} {
		_, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry(), Files: files})
		if err == nil || !strings.Contains(err.Error(), `route app: static.embedded: no filesystem named "dashbaord"`) {
			t.Fatalf("got %v, want the unknown filesystem named", err)
		}
		if files != nil && !strings.Contains(err.Error(), "registers dashboard, docs") {
			t.Errorf("got %v, want the registered names listed", err)
		}
	}
}

func TestStaticReload(t *testing.T) {
	tg, dist := mustStatic(t, "")
	resp, body := get(t, tg, "GET", "/")
	first := resp.Header.Get("Etag")

	// A rebuilt app is served without a reload, with a new tag.
	const rebuilt = "<!doctype html><title>app v2</title>\n"
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte(rebuilt), 0o644); err != nil {
		t.Fatal(err)
	}
	resp, body = get(t, tg, "GET", "/", "If-None-Match", first)
	if resp.StatusCode != 200 || string(body) != rebuilt || resp.Header.Get("Etag") == first {
		t.Fatalf("after a rebuild: got %d %q ETag %s, want the new index with a new tag", resp.StatusCode, body, resp.Header.Get("Etag"))
	}

	// A build that removes and recreates the directory is followed.
	if err := os.RemoveAll(dist); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dist, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	const v3 = "<!doctype html><title>app v3</title>\n"
	os.WriteFile(filepath.Join(dist, "index.html"), []byte(v3), 0o644)
	os.WriteFile(filepath.Join(dist, "assets", "app-4d5e6f.js"), []byte("v3"), 0o644)
	resp, body = get(t, tg, "GET", "/assets/app-4d5e6f.js")
	if resp.StatusCode != 200 || string(body) != "v3" {
		t.Fatalf("after recreating the directory: got %d %q, want the new script", resp.StatusCode, body)
	}
	if _, body = get(t, tg, "GET", "/"); string(body) != v3 {
		t.Fatalf("after recreating the directory: got %q, want the new index", body)
	}

	// A reload that changes the static block takes effect.
	other := mustDist(t)
	os.WriteFile(filepath.Join(other, "index.html"), []byte("other"), 0o644)
	cfg := mustConfig(t, staticConfig("      cache_control: \"no-store\"\n"), map[string]string{"DIST": other, "API": "http://127.0.0.1:1"})
	if err := tg.gw.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	resp, body = get(t, tg, "GET", "/")
	if string(body) != "other" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("after reload: got %q Cache-Control %q, want the other directory with no-store", body, resp.Header.Get("Cache-Control"))
	}

	// A reload naming a directory that is gone keeps the serving one.
	gone := mustConfig(t, staticConfig(""), map[string]string{"DIST": other, "API": "http://127.0.0.1:1"})
	os.RemoveAll(other)
	if err := tg.gw.Reload(gone); err == nil || !strings.Contains(err.Error(), "static.dir") {
		t.Fatalf("reload with a missing directory: got %v, want a static.dir error", err)
	}
}

func TestStaticPipeline(t *testing.T) {
	fa := mustPeopleAuth(t)
	dist := mustDist(t)
	tg := mustGatewayWith(t, `
version: 1
auth: {url: "${AUTH}", issuer: "${ISSUER}"}
routes:
  - name: app
    methods: [GET]
    path: "/{path...}"
    public: true
    static: {dir: "${DIST}"}
  - name: admin
    methods: [GET]
    path: "/admin/{path...}"
    static: {dir: "${DIST}"}
    require: {staff: true}
`, map[string]string{"AUTH": fa.URL, "ISSUER": authntest.Issuer, "DIST": dist}, Options{AuthWorkloadToken: fa.WorkloadToken()})

	resp, body := get(t, tg, "GET", "/admin/index.html")
	mustProblem(t, resp, body, 401, "unauthenticated")
	resp, body = get(t, tg, "GET", "/admin/index.html", "Cookie", "__Host-portico_session="+viewerSession)
	mustProblem(t, resp, body, 403, "forbidden")
	resp, body = get(t, tg, "GET", "/admin/index.html", "Cookie", "__Host-portico_session="+staffSession)
	if resp.StatusCode != 200 || string(body) != indexHTML {
		t.Fatalf("staff: got %d %q, want the index", resp.StatusCode, body)
	}
	if resp, _ = get(t, tg, "GET", "/index.html"); resp.StatusCode != 200 {
		t.Fatalf("public route: got %d, want 200", resp.StatusCode)
	}

	all := series(t, tg.reg)
	if m := matching(all, "portico_gateway_requests_total{", "route=admin", "service=static", "code=200"); len(m) != 1 {
		t.Errorf("got %q, want the static route's requests counted", matching(all, "route=admin"))
	}
	var lines []map[string]any
	for _, rec := range tg.logs.records(t, "request") {
		if rec["route"] == "admin" {
			lines = append(lines, rec)
		}
	}
	if len(lines) != 3 || lines[2]["service"] != "static" || lines[2]["subject"] != "idn_staff" {
		t.Errorf("got access log lines %v, want three for the admin route, the last by idn_staff", lines)
	}
}

func TestExplainStatic(t *testing.T) {
	dist := mustDist(t)
	cfg := mustConfig(t, staticConfig(""), map[string]string{"DIST": dist, "API": "http://127.0.0.1:1"})
	cases := []struct {
		method, target string
		want           []string
	}{
		{"GET", "/assets/app-1a2b3c.js", []string{"route     app", "static    dir " + dist, "file      assets/app-1a2b3c.js (Cache-Control: public, max-age=31536000, immutable)", "missing   404"}},
		{"GET", "/settings", []string{"file      settings (Cache-Control: no-cache)", "missing   index.html (200) when the request's Accept admits text/html"}},
		{"GET", "/docs/", []string{"file      docs/index.html"}},
		{"GET", "/.env", []string{"404 not-found: the name is hidden"}},
		{"POST", "/", []string{"405 method-not-allowed (Allow: GET, HEAD)"}},
		{"GET", "/v1/items/1", []string{"upstream  GET api /v1/items/1"}},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.target, func(t *testing.T) {
			out, err := Explain(cfg, c.method, "", c.target)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestStaticCORSAndRateLimits(t *testing.T) {
	dist := mustDist(t)
	tg := mustGateway(t, `
version: 1
rate_limits:
  policies:
    per-route: {key: [route], rate: 1/h, burst: 2}
routes:
  - name: app
    methods: [GET, HEAD]
    path: "/{path...}"
    static: {dir: "${DIST}"}
    cors: {allow_origins: ["https://app.example"]}
    rate_limits: [per-route]
`, map[string]string{"DIST": dist})
	resp, _ := get(t, tg, "OPTIONS", "/assets/style-9f8e7d.css",
		"Origin", "https://app.example", "Access-Control-Request-Method", "GET")
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Fatalf("preflight: got %d %q, want 204 allowing the origin", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	resp, body := get(t, tg, "GET", "/assets/style-9f8e7d.css", "Origin", "https://app.example")
	if resp.StatusCode != 200 || string(body) != appCSS || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Fatalf("got %d %q ACAO %q, want the file with CORS", resp.StatusCode, body, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	get(t, tg, "GET", "/index.html")
	resp, body = get(t, tg, "GET", "/index.html")
	mustProblem(t, resp, body, 429, "rate-limited")
}

// TestStaticEmbeddedGzipInMemory: a registered filesystem without
// compressed copies gets gzip variants of its larger text files, made
// once; small files and files of other types are sent as they are.
func TestStaticEmbeddedGzipInMemory(t *testing.T) {
	big := strings.Repeat("export const answer = 42; // the same line again\n", 100)
	png := strings.Repeat("\x89PNG", 600)
	files := fstest.MapFS{
		"assets/app-9f8e7d.js": {Data: []byte(big)},
		"assets/tiny-1.css":    {Data: []byte("a{b:c}")},
		"assets/logo-2.png":    {Data: []byte(png)},
	}
	cfg := `
version: 1
routes:
  - name: app
    path: "/{path...}"
    static: {embedded: dashboard, immutable: [/assets/]}
`
	tg := mustGatewayWith(t, cfg, nil, Options{Files: map[string]fs.FS{"dashboard": files}})
	resp, body := get(t, tg, "GET", "/assets/app-9f8e7d.js", "Accept-Encoding", "br;q=1, gzip;q=0.5")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("got %d, Content-Encoding %q, Vary %q; want the gzip variant made in memory", resp.StatusCode,
			resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || string(plain) != big {
		t.Fatalf("the variant decompresses to %d bytes (%v), want the file's %d", len(plain), err, len(big))
	}
	if len(body) >= len(big)/4 {
		t.Errorf("variant of %d bytes for a %d-byte file, want it compressed", len(body), len(big))
	}
	gzETag := resp.Header.Get("Etag")
	resp, body = get(t, tg, "GET", "/assets/app-9f8e7d.js")
	if resp.Header.Get("Content-Encoding") != "" || string(body) != big || resp.Header.Get("Etag") == gzETag {
		t.Errorf("without Accept-Encoding: Content-Encoding %q, ETag %q (gzip's %q); want the file itself under its own ETag",
			resp.Header.Get("Content-Encoding"), resp.Header.Get("Etag"), gzETag)
	}
	for _, name := range []string{"/assets/tiny-1.css", "/assets/logo-2.png"} {
		resp, _ := get(t, tg, "GET", name, "Accept-Encoding", "gzip")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: got %d, Content-Encoding %q; want it sent as it is", name, resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
	}
}

// TestStaticRoutesComeLast: a static route at /{path...} answers only
// paths no other route matches, whatever the method, so the API keeps its
// own 405s and Allow lists, and a path of neither gets the files' answer.
func TestStaticRoutesComeLast(t *testing.T) {
	files := fstest.MapFS{"index.html": {Data: []byte(indexHTML)}}
	up := mustUpstream(t, echoHandler("api"))
	cfg := `
version: 1
services:
  api: {targets: ["` + up.URL + `"]}
routes:
  - {name: login, methods: [POST], path: /v1/login, service: api}
  - {name: items, methods: [GET, DELETE], path: "/v1/items/{id}", service: api}
  - name: app
    methods: [GET, HEAD]
    path: "/{path...}"
    static: {embedded: dashboard, fallback: index.html}
`
	tg := mustGatewayWith(t, cfg, nil, Options{Files: map[string]fs.FS{"dashboard": files}})
	const html = "text/html,*/*;q=0.8"
	for _, c := range []struct {
		method, target string
		status         int
		allow          string
	}{
		{"GET", "/v1/login", 405, "POST"},
		{"PATCH", "/v1/login", 405, "POST"},
		{"PUT", "/v1/items/7", 405, "DELETE, GET, HEAD"},
		{"POST", "/v1/other", 405, "GET, HEAD"},
		{"GET", "/orgs/o1", 200, ""},
		{"GET", "/", 200, ""},
	} {
		resp, body := get(t, tg, c.method, c.target, "Accept", html)
		if resp.StatusCode != c.status || resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s = %d Allow %q, want %d Allow %q: %s", c.method, c.target, resp.StatusCode, resp.Header.Get("Allow"), c.status, c.allow, body)
		}
		if c.status == 200 && string(body) != indexHTML {
			t.Errorf("%s %s = %q, want the index", c.method, c.target, body)
		}
	}
	out, err := Explain(tg.gw.Config(), "GET", "", "/v1/login")
	if err != nil || !strings.Contains(out, "405 method-not-allowed (Allow: POST)") {
		t.Errorf("explain GET /v1/login = %q (%v), want 405 allowing POST", out, err)
	}
}
