package aggregate

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// barrierTimeout bounds every wait of a test upstream for its peers; it is
// generous because only a broken plan reaches it, and then the test fails.
const barrierTimeout = 10 * time.Second

// barrier releases its waiters once n have arrived; wait reports false if
// barrierTimeout passed first.
type barrier struct {
	mu      sync.Mutex
	n       int
	arrived int
	all     chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, all: make(chan struct{})} }

func (b *barrier) wait() bool {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		return true
	case <-time.After(barrierTimeout):
		return false
	}
}

func TestIndependentStepsRunConcurrently(t *testing.T) {
	// Each upstream answers only once all three requests have arrived: run
	// one after another, the steps would never get past the first.
	b := newBarrier(3)
	handler := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !b.wait() {
				http.Error(w, "barrier timed out", http.StatusInternalServerError)
				return
			}
			jsonHandler(body)(w, r)
		}
	}
	d := mustDoer(t, map[string]*httptest.Server{
		"accounts":  mustServer(t, handler(`{"id":"o1"}`)),
		"configs":   mustServer(t, handler(`{"items":[]}`)),
		"analytics": mustServer(t, handler(`{"viewers":3}`)),
	})
	p := mustCompile(t, PlanSpec{
		Budget: 30 * time.Second,
		Steps: []StepSpec{
			{Name: "org", Service: "accounts", Path: "/orgs/o1", Into: "org"},
			{Name: "integrations", Service: "configs", Path: "/integrations", Into: "integrations"},
			{Name: "usage", Service: "analytics", Path: "/usage", Into: "usage"},
		},
	})
	res := mustExecute(t, context.Background(), p, nil, d)
	if res.Status != 200 {
		t.Fatalf("got status %d (%+v), want 200", res.Status, res.Steps)
	}
	wantJSON(t, res.Body, `{"org":{"id":"o1"},"integrations":{"items":[]},"usage":{"viewers":3}}`)
	if res.Partial {
		t.Errorf("got partial, want complete")
	}
	if got := res.Header.Get("Cache-Control"); got != "" {
		t.Errorf("got Cache-Control %q on a complete result, want none", got)
	}
}

func TestChaining(t *testing.T) {
	var gotPath, gotQuery, gotHeader string
	d := mustDoer(t, map[string]*httptest.Server{
		"accounts": mustServer(t, jsonHandler(`{"id":"o1","owner":{"id":"u 1/x"},"plan":{"tier":2}}`)),
		"auth": mustServer(t, func(w http.ResponseWriter, r *http.Request) {
			gotPath, gotQuery, gotHeader = r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("X-Tier")
			jsonHandler(`{"name":"Ada"}`)(w, r)
		}),
	})
	p := mustCompile(t, PlanSpec{
		Budget: 5 * time.Second,
		Params: []string{"org"},
		Steps: []StepSpec{
			{Name: "user", Service: "auth", Path: "/users/{steps.org.owner.id}",
				Query:   map[string]string{"org": "{path.org}", "by": "{identity.sub}", "from": "{query.from|}", "limit": "{query.limit|20}"},
				Headers: map[string]string{"X-Tier": "tier-{steps.org.plan.tier}"},
				Into:    "owner"},
			{Name: "org", Service: "accounts", Path: "/orgs/{path.org}", Into: "org", Timeout: time.Second},
		},
	})
	in := &Input{Path: MapParams{"org": "o1"}, Identity: map[string]any{"sub": "a&b"}}
	res := mustExecute(t, context.Background(), p, in, d)
	if res.Status != 200 {
		t.Fatalf("got status %d (%+v), want 200", res.Status, res.Steps)
	}
	if want := "/users/u%201%2Fx"; gotPath != want {
		t.Errorf("got path %q, want %q", gotPath, want)
	}
	if want := "by=a%26b&limit=20&org=o1"; gotQuery != want {
		t.Errorf("got query %q, want %q", gotQuery, want)
	}
	if want := "tier-2"; gotHeader != want {
		t.Errorf("got X-Tier %q, want %q", gotHeader, want)
	}
	wantJSON(t, res.Body, `{"owner":{"name":"Ada"},"org":{"id":"o1","owner":{"id":"u 1/x"},"plan":{"tier":2}}}`)
}

func TestFanOut(t *testing.T) {
	const items, capacity = 7, 2
	var inflight, maxInflight atomic.Int32
	first := newBarrier(capacity) // the first calls wait for each other: the cap is reached, not just respected
	var arrived atomic.Int32
	stats := mustServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for m := maxInflight.Load(); n > m && !maxInflight.CompareAndSwap(m, n); m = maxInflight.Load() {
		}
		if arrived.Add(1) <= capacity && !first.wait() {
			http.Error(w, "barrier timed out", http.StatusInternalServerError)
			return
		}
		jsonHandler(`{"id":"`+r.PathValue("id")+`","views":1}`)(w, r)
	})
	mux := http.NewServeMux()
	mux.Handle("/stats/{id}", stats.Config.Handler)
	stats.Config.Handler = mux
	list := `{"items":[`
	for i := range items {
		if i > 0 {
			list += ","
		}
		list += `{"id":"i` + strconv.Itoa(i) + `"}`
	}
	list += `]}`
	d := mustDoer(t, map[string]*httptest.Server{
		"configs":   mustServer(t, jsonHandler(list)),
		"analytics": stats,
	})
	spec := func(maxItems int) PlanSpec {
		return PlanSpec{
			Budget: 30 * time.Second,
			Steps: []StepSpec{
				{Name: "integrations", Service: "configs", Path: "/integrations", Timeout: time.Second},
				{Name: "stats", Service: "analytics", Path: "/stats/{item.id}", ForEach: "steps.integrations.items",
					MaxItems: maxItems, Concurrency: capacity, Into: "stats", Allow: []string{"id"}},
			},
		}
	}

	t.Run("within cap", func(t *testing.T) {
		res := mustExecute(t, context.Background(), mustCompile(t, spec(10)), nil, d)
		if res.Status != 200 {
			t.Fatalf("got status %d (%+v), want 200", res.Status, res.Steps)
		}
		wantJSON(t, res.Body, `{"stats":[{"id":"i0"},{"id":"i1"},{"id":"i2"},{"id":"i3"},{"id":"i4"},{"id":"i5"},{"id":"i6"}]}`)
		if got := maxInflight.Load(); got != capacity {
			t.Errorf("got at most %d concurrent calls, want %d", got, capacity)
		}
		o := outcome(t, res, "stats")
		if o.Items != items || o.Calls != items {
			t.Errorf("got items %d calls %d, want %d and %d", o.Items, o.Calls, items, items)
		}
		wantContains(t, OutcomeHeader, res.Header.Get(OutcomeHeader), "stats;status=200;dur=")
	})
	t.Run("over cap", func(t *testing.T) {
		res := mustExecute(t, context.Background(), mustCompile(t, spec(items-1)), nil, d)
		if res.Status != http.StatusBadGateway {
			t.Errorf("got status %d, want 502", res.Status)
		}
		if o := outcome(t, res, "stats"); o.Kind != KindTooManyItems || o.Calls != 0 {
			t.Errorf("got kind %s after %d calls, want %s after none", o.Kind, o.Calls, KindTooManyItems)
		}
	})
}

func TestFanOutItemFailureCancelsTheRest(t *testing.T) {
	canceled := make(chan struct{}, 8)
	slowArrived := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/stats/bad", func(w http.ResponseWriter, r *http.Request) {
		// Fail only once the slow item's request is in flight, so that its
		// cancellation is what the test sees.
		select {
		case <-slowArrived:
		case <-time.After(barrierTimeout):
		}
		statusHandler(500)(w, r)
	})
	mux.HandleFunc("/stats/{id}", func(w http.ResponseWriter, r *http.Request) {
		close(slowArrived)
		select {
		case <-r.Context().Done():
			canceled <- struct{}{}
		case <-time.After(barrierTimeout):
		}
	})
	d := mustDoer(t, map[string]*httptest.Server{
		"configs":   mustServer(t, jsonHandler(`{"items":[{"id":"slow"},{"id":"bad"}]}`)),
		"analytics": mustServer(t, mux.ServeHTTP),
	})
	p := mustCompile(t, PlanSpec{
		Budget: 30 * time.Second,
		Steps: []StepSpec{
			{Name: "integrations", Service: "configs", Path: "/integrations", Timeout: time.Second},
			{Name: "stats", Service: "analytics", Path: "/stats/{item.id}", ForEach: "steps.integrations.items",
				Concurrency: 2, Into: "stats", OnFailure: Fallback, Fallback: []any{}},
		},
	})
	res := mustExecute(t, context.Background(), p, nil, d)
	if res.Status != 200 {
		t.Fatalf("got status %d, want 200", res.Status)
	}
	wantJSON(t, res.Body, `{"stats":[]}`)
	if o := outcome(t, res, "stats"); o.Kind != KindStatus5xx || o.Status != 500 || o.Use != UseFallback {
		t.Errorf("got %s %d %s, want status_5xx 500 fallback", o.Kind, o.Status, o.Use)
	}
	select {
	case <-canceled:
	case <-time.After(barrierTimeout):
		t.Fatal("the slow item's request was never canceled")
	}
}

func TestBodyBuilding(t *testing.T) {
	var got map[string]any
	var gotType, gotMethod string
	d := mustDoer(t, map[string]*httptest.Server{
		"configs": mustServer(t, jsonHandler(`{"items":[{"id":"a","n":12345678901234567890},{"id":"b","n":2}]}`)),
		"analytics": mustServer(t, func(w http.ResponseWriter, r *http.Request) {
			gotType, gotMethod = r.Header.Get("Content-Type"), r.Method
			dec := json.NewDecoder(r.Body)
			dec.UseNumber()
			if err := dec.Decode(&got); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			jsonHandler(`{"ok":true}`)(w, r)
		}),
	})
	p := mustCompile(t, PlanSpec{
		Budget: 5 * time.Second,
		Params: []string{"org"},
		Steps: []StepSpec{
			{Name: "integrations", Service: "configs", Path: "/integrations", Timeout: time.Second},
			{Name: "query", Service: "analytics", Method: "POST", Path: "/query", Into: "result",
				Body: map[string]any{
					"org":      "{path.org}",
					"ids":      "{steps.integrations.items.id}",
					"big":      "{steps.integrations.items.0.n}",
					"note":     "for \"{identity.sub}\" {{literal}}",
					"limit":    float64(3),
					"filters":  []any{"country", map[string]any{"by": "{query.by|none}"}},
					"caller":   "{body.who}",
					"constant": map[string]any{"a": true, "b": nil},
				}},
		},
	})
	if !p.UsesBody() {
		t.Errorf("got UsesBody false, want true")
	}
	in := &Input{
		Path:     MapParams{"org": "o1"},
		Identity: map[string]any{"sub": "u\n1"},
		Body:     []byte(`{"who":{"name":"x"}}`),
	}
	res := mustExecute(t, context.Background(), p, in, d)
	if res.Status != 200 {
		t.Fatalf("got status %d (%+v), want 200", res.Status, res.Steps)
	}
	if gotMethod != "POST" || gotType != "application/json" {
		t.Errorf("got %s with %q, want POST with application/json", gotMethod, gotType)
	}
	b, _ := json.Marshal(got)
	wantJSON(t, b, `{"org":"o1","ids":["a","b"],"big":12345678901234567890,"note":"for \"u\n1\" {literal}","limit":3,
		"filters":["country",{"by":"none"}],"caller":{"name":"x"},"constant":{"a":true,"b":null}}`)
}

func TestShapingThroughNestedArrays(t *testing.T) {
	d := mustDoer(t, map[string]*httptest.Server{
		"configs": mustServer(t, jsonHandler(`{"data":{"total":2,"items":[
			{"id":1,"secret":"s","owner":{"name":"a","email":"a@x"},"tags":[{"k":"x","internal":true},{"k":"y"}]},
			{"id":2,"owner":{"name":"b","email":"b@x"},"tags":[]}]}}`)),
		"accounts": mustServer(t, jsonHandler(`{"name":"Org","billing":{"card":"4111"},"id":"o1"}`)),
	})
	p := mustCompile(t, PlanSpec{
		Budget: 5 * time.Second,
		Steps: []StepSpec{
			{Name: "integrations", Service: "configs", Path: "/integrations", Into: "integrations",
				Select: "data",
				Allow:  []string{"items.id", "items.owner", "items.tags"},
				Deny:   []string{"items.owner.email", "items.tags.internal"},
				Rename: map[string]string{"items.owner.name": "display_name", "items.tags.k": "key"}},
			{Name: "org", Service: "accounts", Path: "/org", Merge: true, Deny: []string{"billing"}},
		},
	})
	res := mustExecute(t, context.Background(), p, nil, d)
	if res.Status != 200 {
		t.Fatalf("got status %d (%+v), want 200", res.Status, res.Steps)
	}
	wantJSON(t, res.Body, `{"name":"Org","id":"o1","integrations":{"items":[
		{"id":1,"owner":{"display_name":"a"},"tags":[{"key":"x"},{"key":"y"}]},
		{"id":2,"owner":{"display_name":"b"},"tags":[]}]}}`)
}

func TestDeadlinePropagation(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int64{}
	record := func(name string, pause time.Duration, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			ms, err := strconv.ParseInt(r.Header.Get(DeadlineHeader), 10, 64)
			if err != nil {
				http.Error(w, "no deadline header", 400)
				return
			}
			mu.Lock()
			got[name] = ms
			mu.Unlock()
			time.Sleep(pause) // spends budget, so the next step must see less
			jsonHandler(body)(w, r)
		}
	}
	d := mustDoer(t, map[string]*httptest.Server{
		"a": mustServer(t, record("a", 20*time.Millisecond, `{"id":"x"}`)),
		"b": mustServer(t, record("b", 0, `{}`)),
		"c": mustServer(t, record("c", 0, `{}`)),
	})
	p := mustCompile(t, PlanSpec{
		Budget: 10 * time.Second,
		Steps: []StepSpec{
			{Name: "a", Service: "a", Path: "/a", Timeout: 5 * time.Second},
			{Name: "b", Service: "b", Path: "/b/{steps.a.id}"},
			{Name: "c", Service: "c", Path: "/c", Timeout: 2 * time.Second},
		},
	})
	res := mustExecute(t, context.Background(), p, nil, d)
	if res.Status != 200 {
		t.Fatalf("got status %d (%+v), want 200", res.Status, res.Steps)
	}
	if got["a"] <= 0 || got["a"] > 5000 {
		t.Errorf("got a's deadline %dms, want within its timeout of 5000ms", got["a"])
	}
	// b has no timeout of its own: it gets what a left of the budget.
	if got["b"] <= 0 || got["b"] > 10000-20 {
		t.Errorf("got b's deadline %dms after a spent 20ms of the 10000ms budget, want at most 9980ms", got["b"])
	}
	if got["c"] <= 0 || got["c"] > 2000 {
		t.Errorf("got c's deadline %dms, want within its timeout of 2000ms", got["c"])
	}
}

func TestOutcomeField(t *testing.T) {
	d := mustDoer(t, map[string]*httptest.Server{
		"ok":   mustServer(t, jsonHandler(`{"v":1}`)),
		"fail": mustServer(t, statusHandler(503)),
	})
	p := mustCompile(t, PlanSpec{
		Budget:       5 * time.Second,
		OutcomeField: "_outcome",
		Steps: []StepSpec{
			{Name: "good", Service: "ok", Path: "/", Into: "good"},
			{Name: "flaky", Service: "fail", Path: "/", Into: "flaky", OnFailure: Optional},
		},
	})
	res := mustExecute(t, context.Background(), p, nil, d)
	m := decodeMap(t, res.Body)
	oc, ok := m["_outcome"].(map[string]any)
	if !ok {
		t.Fatalf("got body %s, want an _outcome object", res.Body)
	}
	if oc["complete"] != false {
		t.Errorf("got complete %v, want false", oc["complete"])
	}
	steps, _ := oc["steps"].([]any)
	if len(steps) != 2 {
		t.Fatalf("got %d outcome steps, want 2", len(steps))
	}
	flaky, _ := steps[1].(map[string]any)
	if flaky["step"] != "flaky" || flaky["kind"] != "status_5xx" || flaky["status"] != float64(503) || flaky["use"] != "omitted" {
		t.Errorf("got flaky outcome %v, want status_5xx 503 omitted", flaky)
	}
	if _, ok := m["flaky"]; ok {
		t.Errorf("got a flaky key in %s, want it left out", res.Body)
	}
}

func TestUpstreamHeadersForwarded(t *testing.T) {
	var got http.Header
	d := mustDoer(t, map[string]*httptest.Server{
		"a": mustServer(t, func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Clone()
			jsonHandler(`{}`)(w, r)
		}),
	})
	p := mustCompile(t, PlanSpec{Budget: time.Second, Steps: []StepSpec{{Name: "a", Service: "a", Path: "/"}}})
	in := &Input{Header: http.Header{"X-Request-Id": {"r1"}, "Traceparent": {"00-abc-def-01"}}}
	res := mustExecute(t, context.Background(), p, in, d)
	if res.Status != 200 {
		t.Fatalf("got status %d, want 200", res.Status)
	}
	for k, want := range map[string]string{"X-Request-Id": "r1", "Traceparent": "00-abc-def-01", "Accept": "application/json"} {
		if v := got.Get(k); v != want {
			t.Errorf("got %s %q, want %q", k, v, want)
		}
	}
	if len(in.Header["X-Request-Id"]) != 1 || len(in.Header) != 2 {
		t.Errorf("got the input header changed to %v", in.Header)
	}
	_ = io.Discard
}

// A fan-out item's answer that is not one JSON value fails the step even
// when the joined array would parse: "1,2" is not an item.
func TestFanOutItemNotOneValue(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/stats/a", jsonHandler(`{"id":"a"}`))
	mux.HandleFunc("/stats/b", jsonHandler(`{"id":"b"},{"id":"injected"}`))
	d := mustDoer(t, map[string]*httptest.Server{
		"configs":   mustServer(t, jsonHandler(`{"items":[{"id":"a"},{"id":"b"}]}`)),
		"analytics": mustServer(t, mux.ServeHTTP),
	})
	for name, allow := range map[string][]string{"shaped": {"id"}, "whole": nil} {
		t.Run(name, func(t *testing.T) {
			p := mustCompile(t, PlanSpec{
				Budget: 30 * time.Second,
				Steps: []StepSpec{
					{Name: "integrations", Service: "configs", Path: "/integrations", Timeout: time.Second},
					{Name: "stats", Service: "analytics", Path: "/stats/{item.id}", ForEach: "steps.integrations.items",
						Into: "stats", Allow: allow},
				},
			})
			res := mustExecute(t, context.Background(), p, nil, d)
			if res.Status != 502 || len(res.Steps) != 2 || res.Steps[1].Kind != KindNotJSON {
				t.Fatalf("got status %d, steps %+v, body %s; want 502 with stats not_json", res.Status, res.Steps, res.Body)
			}
		})
	}
}

// With a HeadDoer, a step's request is built in its slot's reused URL and
// header: no run's request carries what an earlier run's had.
func TestReusedRequestsCarryOnlyTheirOwn(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		b, _ := json.Marshal(map[string]string{"path": r.URL.Path, "query": r.URL.RawQuery, "extra": r.Header.Get("X-Extra")})
		jsonHandler(string(b))(w, r)
	}
	d := headDoer{mustDoer(t, map[string]*httptest.Server{"a": mustServer(t, echo), "b": mustServer(t, echo)})}
	p := mustCompile(t, PlanSpec{
		Budget: 30 * time.Second,
		Params: []string{"id"},
		Steps: []StepSpec{
			{Name: "one", Service: "a", Path: "/one/{path.id}", Query: map[string]string{"q": "{query.q}"}, Into: "one"},
			{Name: "two", Service: "b", Path: "/two/{path.id}", Into: "two"},
		},
	})
	for i := range 40 {
		id := strconv.Itoa(i)
		in := &Input{Path: MapParams{"id": id}, Header: http.Header{}, Query: map[string][]string{"q": {""}}}
		q := "" // an empty value is left out
		if i%2 == 0 {
			in.Header["X-Extra"] = []string{"run " + id}
			q = "q=" + id
			in.Query["q"] = []string{id}
		}
		res := mustExecute(t, context.Background(), p, in, d)
		if res.Status != 200 {
			t.Fatalf("run %d: status %d, %+v", i, res.Status, res.Steps)
		}
		extra := ""
		if i%2 == 0 {
			extra = "run " + id
		}
		want := `{"one":{"extra":"` + extra + `","path":"/one/` + id + `","query":"` + q + `"},"two":{"extra":"` + extra + `","path":"/two/` + id + `","query":""}}`
		wantJSON(t, res.Body, want)
	}
}
