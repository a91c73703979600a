package aggregate

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// mustCompile compiles spec or fails the test.
func mustCompile(tb testing.TB, spec PlanSpec) *Plan {
	tb.Helper()
	p, err := Compile(spec, Options{})
	if err != nil {
		tb.Fatalf("Compile: %v", err)
	}
	return p
}

// urlDoer sends each service's requests to one base URL through a
// transport tuned as the gateway tunes its own.
type urlDoer struct {
	bases map[string]*url.URL
	rt    http.RoundTripper
}

func newTransport() *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
}

// mustDoer returns a Doer over servers (service name -> server), closing
// its connections at the end of the test.
func mustDoer(tb testing.TB, servers map[string]*httptest.Server) *urlDoer {
	tb.Helper()
	d := &urlDoer{bases: make(map[string]*url.URL), rt: newTransport()}
	for name, s := range servers {
		u, err := url.Parse(s.URL)
		if err != nil {
			tb.Fatal(err)
		}
		d.bases[name] = u
	}
	tb.Cleanup(d.rt.(*http.Transport).CloseIdleConnections)
	return d
}

func (d *urlDoer) Do(ctx context.Context, service string, req *http.Request) (*http.Response, error) {
	u := d.bases[service]
	req.URL.Scheme, req.URL.Host = u.Scheme, u.Host
	return d.rt.RoundTrip(req)
}

// mustServer starts an upstream closed at the end of the test.
func mustServer(tb testing.TB, h http.HandlerFunc) *httptest.Server {
	tb.Helper()
	s := httptest.NewServer(h)
	tb.Cleanup(s.Close)
	return s
}

// jsonHandler answers every request with body as JSON.
func jsonHandler(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}
}

// statusHandler answers status with a body that must never reach the client.
func statusHandler(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		io.WriteString(w, "internal detail: db password wrong at line 42")
	}
}

// mustDecode decodes JSON or fails the test.
func mustDecode(tb testing.TB, b []byte) any {
	tb.Helper()
	v, err := decodeJSON(b)
	if err != nil {
		tb.Fatalf("decode %q: %v", b, err)
	}
	return v
}

// wantJSON fails unless got and want are the same JSON value.
func wantJSON(tb testing.TB, got []byte, want string) {
	tb.Helper()
	g, w := mustDecode(tb, got), mustDecode(tb, []byte(want))
	if !reflect.DeepEqual(g, w) {
		tb.Errorf("got body %s, want %s", got, want)
	}
}

// mustExecute runs p and releases the result at the end of the test.
func mustExecute(tb testing.TB, ctx context.Context, p *Plan, in *Input, d Doer) *Result {
	tb.Helper()
	res := p.Execute(ctx, in, d)
	tb.Cleanup(res.Release)
	return res
}

// outcome returns the named step's outcome or fails the test.
func outcome(tb testing.TB, res *Result, step string) StepOutcome {
	tb.Helper()
	for _, o := range res.Steps {
		if o.Step == step {
			return o
		}
	}
	tb.Fatalf("no outcome for step %q in %+v", step, res.Steps)
	return StepOutcome{}
}

// problemBody renders a failed Result through Write, as the gateway would.
func problemBody(tb testing.TB, res *Result) (int, http.Header, string) {
	tb.Helper()
	w := httptest.NewRecorder()
	res.Write(w, httptest.NewRequest("GET", "/v1/route", nil))
	return w.Code, w.Header(), w.Body.String()
}

// decodeMap decodes a JSON object or fails the test.
func decodeMap(tb testing.TB, b []byte) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("decode %s: %v", b, err)
	}
	return m
}

func wantContains(tb testing.TB, what, got, want string) {
	tb.Helper()
	if !strings.Contains(got, want) {
		tb.Errorf("%s: got %q, want it to contain %q", what, got, want)
	}
}

// headDoer is a urlDoer with DoHead: Execute builds its steps' requests in
// the slots it reuses, and the upstream gets each request as built.
type headDoer struct{ *urlDoer }

func (d headDoer) DoHead(ctx context.Context, service string, req *http.Request, h *Head) (io.ReadCloser, error) {
	resp, err := d.Do(ctx, service, req.Clone(ctx))
	if err != nil {
		return nil, err
	}
	*h = Head{Status: resp.StatusCode, ContentLength: resp.ContentLength, ContentType: resp.Header.Get("Content-Type")}
	return resp.Body, nil
}
