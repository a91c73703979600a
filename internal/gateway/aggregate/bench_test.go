package aggregate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time (user and system) the process has used.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ns/op metric: the process's CPU time per iteration,
// every goroutine and thread included (the in-process upstreams too), which
// wall time per op hides when steps run in parallel.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
}

// benchDoc returns a JSON object of about n bytes, shaped like a service's
// answer: scalars, a nested object and an array of objects.
func benchDoc(n int) string {
	var b strings.Builder
	b.WriteString(`{"id":"org_12345","name":"Example Streaming","plan":{"tier":"enterprise","seats":50},"items":[`)
	for i := 0; b.Len() < n-40; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"int_%04d","domain":"cdn%d.example.com","live":%t,"secret":"k%d"}`, i, i, i%2 == 0, i)
	}
	b.WriteString(`],"total":42}`)
	return b.String()
}

// BenchmarkExecuteThreeSteps composes three independent calls of about
// 1 KB of JSON each, placed under keys without shaping, against real
// loopback upstreams through a tuned transport.
func BenchmarkExecuteThreeSteps(b *testing.B) {
	doc := benchDoc(1024)
	servers := map[string]*httptest.Server{}
	for _, name := range []string{"accounts", "configs", "analytics"} {
		servers[name] = mustServer(b, jsonHandler(doc))
	}
	d := mustDoer(b, servers)
	p := mustCompile(b, PlanSpec{
		Budget: 5 * time.Second,
		Params: []string{"org"},
		Steps: []StepSpec{
			{Name: "org", Service: "accounts", Path: "/internal/orgs/{path.org}", Timeout: time.Second, Into: "org"},
			{Name: "integrations", Service: "configs", Path: "/internal/orgs/{path.org}/integrations", Timeout: time.Second, Into: "integrations"},
			{Name: "usage", Service: "analytics", Path: "/internal/usage", Query: map[string]string{"org": "{path.org}", "from": "{query.from|}"}, Timeout: time.Second, Into: "usage"},
		},
	})
	in := &Input{
		Path:   MapParams{"org": "org_12345"},
		Query:  url.Values{"from": {"2024-01-01"}},
		Header: http.Header{"X-Request-Id": {"req-1"}},
	}
	ctx := context.Background()
	b.ReportAllocs()
	cpu := processCPU(b)
	for b.Loop() {
		res := p.Execute(ctx, in, d)
		if res.Status != 200 {
			b.Fatalf("status %d: %+v", res.Status, res.Steps)
		}
		res.Release()
	}
	reportCPU(b, cpu)
}

// memDoer answers each service with a fixed JSON body, without a network,
// so that a benchmark measures composition alone.
type memDoer map[string][]byte

func (d memDoer) Do(ctx context.Context, service string, req *http.Request) (*http.Response, error) {
	body := d[service]
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
	}, nil
}

// BenchmarkExecuteLargeResults composes two steps with about 20 KB of JSON
// each, of which the plan reads a few fields: one step's two fields feed
// another step's path and query, and the other is shaped by an allow-list
// of four fields. Services answer from memory.
func BenchmarkExecuteLargeResults(b *testing.B) {
	doc := []byte(benchDoc(20 << 10))
	d := memDoer{"accounts": doc, "auth": []byte(`{"name":"Ada"}`), "analytics": doc}
	p := mustCompile(b, PlanSpec{
		Budget: 5 * time.Second,
		Steps: []StepSpec{
			{Name: "org", Service: "accounts", Path: "/internal/orgs/1", Timeout: time.Second},
			{Name: "owner", Service: "auth", Path: "/internal/users/{steps.org.id}",
				Query: map[string]string{"tier": "{steps.org.plan.tier}"}, Into: "owner"},
			{Name: "usage", Service: "analytics", Path: "/internal/usage", Into: "usage",
				Allow: []string{"id", "name", "plan.tier", "total"}},
		},
	})
	ctx := context.Background()
	b.SetBytes(int64(2 * len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		res := p.Execute(ctx, nil, d)
		if res.Status != 200 {
			b.Fatalf("status %d: %+v", res.Status, res.Steps)
		}
		res.Release()
	}
}

// BenchmarkPassthrough is the baseline of the 2.5x target: one request
// through httputil.ReverseProxy and the same transport to the same kind of
// upstream, as the gateway proxies a route (without its routing, metrics
// and logging, which only make the real passthrough dearer).
func BenchmarkPassthrough(b *testing.B) {
	up := mustServer(b, jsonHandler(benchDoc(1024)))
	target, _ := url.Parse(up.URL)
	tr := newTransport()
	b.Cleanup(tr.CloseIdleConnections)
	proxy := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport: tr,
	}
	b.ReportAllocs()
	cpu := processCPU(b)
	for b.Loop() {
		req := httptest.NewRequest("GET", "http://gw.example/v1/orgs/org_12345", nil)
		w := httptest.NewRecorder()
		proxy.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkShape decodes a 1 KB answer, applies Select, Allow, Deny and
// Rename through its array, and encodes the result: the whole cost of a
// shaped step beyond its call.
func BenchmarkShape(b *testing.B) {
	doc := []byte(benchDoc(1024))
	sh, errs := newShaper("", []string{"id", "name", "items.id", "items.domain", "items.secret"}, []string{"items.secret"},
		map[string]string{"items.domain": "host"})
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
	buf := make([]byte, 0, 2048)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		v, err := decodeJSON(doc)
		if err != nil {
			b.Fatal(err)
		}
		if v, err = sh.apply(v); err != nil {
			b.Fatal(err)
		}
		if buf, err = appendJSON(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTemplate expands a path with a parameter and a step reference,
// and a query value, as one call of a chained step does.
func BenchmarkTemplate(b *testing.B) {
	path := mustTemplate(b, "/internal/orgs/{path.org}/users/{steps.org.owner.id}")
	path.parts[3].ref.step = 0
	query := mustTemplate(b, "{query.from|}")
	e := &env{
		in:      &Input{Path: MapParams{"org": "org 1"}, Query: url.Values{"from": {"2024-01-01T00:00:00Z"}}},
		results: []any{map[string]any{"owner": map[string]any{"id": "u_42"}}},
	}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = path.expand(buf[:0], e, escPath); err != nil {
			b.Fatal(err)
		}
		if buf, err = query.expand(buf, e, escQuery); err != nil {
			b.Fatal(err)
		}
	}
}
