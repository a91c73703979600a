package gateway

import (
	"bufio"
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
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/gateway/router"
	"github.com/portico-gw/portico/internal/platform/frontdoor"
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
	return mustGatewayWith(tb, yaml, vars, Options{})
}

// mustGatewayWith is mustGateway with o's AuthWorkloadToken, AuthKeys and
// Files.
func mustGatewayWith(tb testing.TB, yaml string, vars map[string]string, o Options) *testGateway {
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
		Logger:            slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})),
		AccessLog:         w,
		Registerer:        reg,
		AuthWorkloadToken: o.AuthWorkloadToken,
		AuthKeys:          o.AuthKeys,
		Files:             o.Files,
	})
	if err != nil {
		tb.Fatalf("gateway: %v", err)
	}
	srv := httptest.NewUnstartedServer(gw)
	// As cmd/portico serves the gateway (see platform/server.New).
	srv.Config.MaxHeaderBytes = 2 * int(cfg.Server.MaxHeaderBytes)
	srv.Config.ReadHeaderTimeout = cfg.Server.ReadHeaderTimeout.D()
	srv.Config.ReadTimeout = cfg.Server.ReadTimeout.D()
	srv.Config.WriteTimeout = cfg.Server.WriteTimeout.D()
	srv.Config.IdleTimeout = cfg.Server.IdleTimeout.D()
	if cfg.Server.H2C {
		srv.Config.Protocols = new(http.Protocols)
		srv.Config.Protocols.SetHTTP1(true)
		srv.Config.Protocols.SetUnencryptedHTTP2(true)
	}
	stop := srv.Close
	if testFrontDoor && cfg.Server.FrontDoorOn() {
		// As cmd/portico serves it: plain HTTP/1.1 on the front door.
		fd := frontdoor.New(srv.Config)
		srv.URL = "http://" + srv.Listener.Addr().String()
		go fd.Serve(srv.Listener)
		stop = func() { fd.Close() }
	} else {
		srv.Start()
	}
	tb.Cleanup(func() {
		stop()
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

// mustRaw writes raw, hand-written request bytes to addr on a new
// connection and reads one response, so that no client normalises the
// request. The deadline only keeps a broken gateway from hanging the test.
func mustRaw(tb testing.TB, addr, raw string) (*http.Response, []byte) {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		tb.Fatalf("write: %v", err)
	}
	return mustReadResponse(tb, bufio.NewReader(c))
}

// mustReadResponse reads one response and its body from br.
func mustReadResponse(tb testing.TB, br *bufio.Reader) (*http.Response, []byte) {
	tb.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		tb.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read response body: %v", err)
	}
	return resp, body
}

// mustProblem checks that resp is a problem document of the given status
// and type (the part after problem.TypeBase).
func mustProblem(tb testing.TB, resp *http.Response, body []byte, status int, typ string) {
	tb.Helper()
	p := problemOf(tb, resp, body)
	if resp.StatusCode != status || p["type"] != "https://portico.dev/problems/"+typ {
		tb.Errorf("got %d %v, want %d %s (body %s)", resp.StatusCode, p["type"], status, typ, body)
	}
}

// proxyConfig is one catch-all route to the service a at ${A}, with server
// holding more lines of the server section (each indented two spaces and
// ending in a newline).
func proxyConfig(server string) string {
	return "version: 1\nserver:\n  trusted_proxies: [192.0.2.1]\n" + server +
		"services:\n  a: {targets: [\"${A}\"]}\nroutes:\n  - {name: all, path: \"/{rest...}\", service: a}\n"
}
