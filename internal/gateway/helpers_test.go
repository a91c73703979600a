package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/gateway/router"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lines returns the JSON log records whose msg is msg.
func (s *syncBuffer) records(tb testing.TB, msg string) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			tb.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

type testGateway struct {
	gw   *Gateway
	srv  *httptest.Server
	logs *syncBuffer
	reg  *prometheus.Registry
}

// mustConfig parses a YAML configuration, with vars available as ${NAME}.
func mustConfig(tb testing.TB, yaml string, vars map[string]string) *config.Config {
	tb.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml), func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	})
	if err != nil {
		tb.Fatalf("config: %v", err)
	}
	return cfg
}

// mustGateway starts a gateway for yaml behind a real HTTP server.
func mustGateway(tb testing.TB, yaml string, vars map[string]string) *testGateway {
	tb.Helper()
	cfg := mustConfig(tb, yaml, vars)
	logs := &syncBuffer{}
	var w io.Writer = logs
	if testing.Verbose() && os.Getenv("PORTICO_TEST_LOGS") != "" {
		w = io.MultiWriter(logs, os.Stderr)
	}
	reg := prometheus.NewRegistry()
	cfg.Server.AccessLogFlush = 0 // tests read each line as soon as the request ends
	gw, err := New(cfg, Options{
		Logger:     slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})),
		AccessLog:  w,
		Registerer: reg,
	})
	if err != nil {
		tb.Fatalf("gateway: %v", err)
	}
	srv := httptest.NewUnstartedServer(gw)
	srv.Config.MaxHeaderBytes = 2 * int(cfg.Server.MaxHeaderBytes)
	srv.Start()
	tb.Cleanup(func() {
		srv.Close()
		gw.Close()
	})
	return &testGateway{gw: gw, srv: srv, logs: logs, reg: reg}
}

// echo is an upstream that answers with what it received.
type echoed struct {
	Method string              `json:"method"`
	Path   string              `json:"path"`
	Raw    string              `json:"raw"`
	Query  string              `json:"query"`
	Host   string              `json:"host"`
	Header map[string][]string `json:"header"`
	Body   string              `json:"body"`
}

func echoHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Upstream", name)
		json.NewEncoder(w).Encode(echoed{
			Method: r.Method, Path: r.URL.Path, Raw: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Host: r.Host, Header: r.Header, Body: string(body),
		})
	})
}

func mustUpstream(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	s := httptest.NewServer(h)
	tb.Cleanup(s.Close)
	return s
}

func mustDo(tb testing.TB, req *http.Request) (*http.Response, []byte) {
	tb.Helper()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read body: %v", err)
	}
	return resp, body
}

func mustRequest(tb testing.TB, method, url string, body io.Reader) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

func mustEchoed(tb testing.TB, body []byte) echoed {
	tb.Helper()
	var e echoed
	if err := json.Unmarshal(body, &e); err != nil {
		tb.Fatalf("upstream answer is not the echo: %q", body)
	}
	return e
}

// problemOf decodes a problem document and checks its media type.
func problemOf(tb testing.TB, resp *http.Response, body []byte) map[string]any {
	tb.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("Content-Type = %q, want application/problem+json (body %q)", ct, body)
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		tb.Fatalf("problem body: %v", err)
	}
	return p
}

type netTCPAddr = net.TCPAddr

func itoa(n int) string { return strconv.Itoa(n) }

type routerParams = router.Params
