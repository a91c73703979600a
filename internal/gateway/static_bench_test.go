package gateway

import (
	"io"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkStaticAsset measures the gateway's cost of serving a small
// content-hashed script (2 KiB, with a .br variant the client accepts):
// routing beside 18 API routes, hygiene, metrics, the access log (to
// io.Discard), variant selection, ETag and http.ServeContent. The client
// side is a recorder. "embedded" serves from memory; "dir" opens the file
// and stats its variants through an os.Root on every request.
func BenchmarkStaticAsset(b *testing.B) {
	asset := strings.Repeat("export const x = 1;\n", 100)
	files := fstest.MapFS{
		"index.html":              {Data: []byte(indexHTML)},
		"assets/app-1a2b3c.js":    {Data: []byte(asset)},
		"assets/app-1a2b3c.js.br": {Data: []byte(asset[:600])},
	}
	dir := b.TempDir()
	for name, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var routes strings.Builder
	for _, p := range []string{"orgs", "members", "configs", "integrations", "keys", "sessions", "metrics", "beacons", "profiles"} {
		routes.WriteString("  - {name: " + p + ", methods: [GET], path: \"/v1/" + p + "/{id}\", service: a}\n")
		routes.WriteString("  - {name: " + p + "-list, methods: [GET, POST], path: /v1/" + p + ", service: a}\n")
	}
	for _, bc := range []struct{ name, source string }{
		{"embedded", "embedded: dashboard"},
		{"dir", "dir: \"" + dir + "\""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := mustConfig(b, `
version: 1
services:
  a: {targets: ["http://127.0.0.1:1"]}
routes:
`+routes.String()+`  - name: app
    methods: [GET, HEAD]
    path: "/{path...}"
    static: {`+bc.source+`, fallback: index.html, immutable: [/assets/]}
`, nil)
			gw, err := New(cfg, Options{
				Logger:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
				AccessLog:  io.Discard,
				Registerer: prometheus.NewRegistry(),
				Files:      map[string]fs.FS{"dashboard": files},
			})
			if err != nil {
				b.Fatal(err)
			}
			defer gw.Close()
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", "http://gw.example/assets/app-1a2b3c.js", nil)
				req.RemoteAddr = "192.0.2.10:5555"
				req.Header.Set("Accept", "*/*")
				req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
				req.Header.Set("User-Agent", "bench")
				w := httptest.NewRecorder()
				gw.ServeHTTP(w, req)
				if w.Code != 200 || w.Header().Get("Content-Encoding") != "br" {
					b.Fatalf("status %d %q: %s", w.Code, w.Header().Get("Content-Encoding"), w.Body)
				}
			}
		})
	}
}
