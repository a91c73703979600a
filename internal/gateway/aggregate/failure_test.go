package aggregate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestFailurePolicies(t *testing.T) {
	d := mustDoer(t, map[string]*httptest.Server{
		"ok":   mustServer(t, jsonHandler(`{"v":1}`)),
		"fail": mustServer(t, statusHandler(500)),
	})
	for _, tc := range []struct {
		name       string
		policy     string
		fallback   any
		wantStatus int
		wantBody   string
		wantUse    Use
	}{
		{name: "required", policy: Required, wantStatus: 502, wantUse: UseOmitted},
		{name: "optional", policy: Optional, wantStatus: 200, wantBody: `{"good":{"v":1}}`, wantUse: UseOmitted},
		{name: "fallback", policy: Fallback, fallback: map[string]any{"v": float64(0), "stale": true}, wantStatus: 200,
			wantBody: `{"good":{"v":1},"bad":{"v":0,"stale":true}}`, wantUse: UseFallback},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustCompile(t, PlanSpec{
				Budget: 5 * time.Second,
				Steps: []StepSpec{
					{Name: "good", Service: "ok", Path: "/", Into: "good"},
					{Name: "bad", Service: "fail", Path: "/", Into: "bad", OnFailure: tc.policy, Fallback: tc.fallback},
				},
			})
			res := mustExecute(t, context.Background(), p, nil, d)
			if res.Status != tc.wantStatus {
				t.Fatalf("got status %d, want %d", res.Status, tc.wantStatus)
			}
			o := outcome(t, res, "bad")
			if o.Kind != KindStatus5xx || o.Status != 500 || o.Use != tc.wantUse {
				t.Errorf("got outcome %s %d %s, want status_5xx 500 %s", o.Kind, o.Status, o.Use, tc.wantUse)
			}
			if !res.Partial {
				t.Errorf("got complete, want partial")
			}
			wantContains(t, OutcomeHeader, res.Header.Get(OutcomeHeader), "bad;status=500;kind=status_5xx;dur=")
			wantContains(t, "Server-Timing", res.Header.Get("Server-Timing"), "bad;desc=status_5xx;dur=")
			if tc.wantBody != "" {
				wantJSON(t, res.Body, tc.wantBody)
				if got := res.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("got Cache-Control %q on a partial result, want no-store", got)
				}
				return
			}
			code, h, body := problemBody(t, res)
			if code != 502 || h.Get("Content-Type") != "application/problem+json" {
				t.Errorf("got %d %s, want 502 application/problem+json", code, h.Get("Content-Type"))
			}
			m := decodeMap(t, []byte(body))
			if m["step"] != "bad" || m["kind"] != "status_5xx" || m["service"] != "fail" {
				t.Errorf("got problem %s, want step bad, kind status_5xx, service fail", body)
			}
			if strings.Contains(body, "password") {
				t.Errorf("got problem %s, which leaks the upstream's body", body)
			}
			if h.Get(OutcomeHeader) == "" {
				t.Errorf("got no %s on the problem response", OutcomeHeader)
			}
		})
	}
}

// statusError is a Doer error carrying the status the gateway maps it to,
// as its breaker and balancer errors do; a real upstream cannot produce it,
// so this is the one failure injected through a Doer wrapper.
type statusError struct{ status int }

func (e statusError) Error() string       { return fmt.Sprintf("refused with %d", e.status) }
func (e statusError) StatusCode() int     { return e.status }
func (e statusError) FailureKind() string { return "circuit_open" }

func TestRequiredStatusMapping(t *testing.T) {
	blocked := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	// Port 1 (tcpmux) has no listener: connections are refused. A closed
	// test server's port would do only until another test's server
	// reused it.
	closed := &httptest.Server{URL: "http://127.0.0.1:1"}
	servers := map[string]*httptest.Server{
		"s404":   mustServer(t, statusHandler(404)),
		"s403":   mustServer(t, statusHandler(403)),
		"s401":   mustServer(t, statusHandler(401)),
		"s429":   mustServer(t, statusHandler(429)),
		"s500":   mustServer(t, statusHandler(500)),
		"s503":   mustServer(t, statusHandler(503)),
		"s302":   mustServer(t, statusHandler(302)),
		"slow":   mustServer(t, blocked),
		"closed": closed,
		"text":   mustServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>") }),
		"badjson": mustServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"a":`)
		}),
		"big": mustServer(t, jsonHandler(`{"a":"`+strings.Repeat("x", 1000)+`"}`)),
		"bigchunked": mustServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"a":"`)
			w.(http.Flusher).Flush() // no Content-Length: the cap is found while reading
			io.WriteString(w, strings.Repeat("x", 1000)+`"}`)
		}),
		"breaker": mustServer(t, jsonHandler(`{}`)),
	}
	real := mustDoer(t, servers)
	d := DoerFunc(func(ctx context.Context, service string, req *http.Request) (*http.Response, error) {
		if service == "breaker" {
			return nil, fmt.Errorf("acquire: %w", statusError{503})
		}
		return real.Do(ctx, service, req)
	})
	for _, tc := range []struct {
		service    string
		wantStatus int
		wantKind   Kind
		wantType   string
	}{
		{"s404", 404, KindStatus4xx, "not-found"},
		{"s403", 403, KindStatus4xx, "step-refused"},
		{"s401", 502, KindStatus4xx, "upstream-failed"},
		{"s429", 503, KindStatus4xx, "upstream-unavailable"},
		{"s500", 502, KindStatus5xx, "upstream-failed"},
		{"s503", 502, KindStatus5xx, "upstream-failed"},
		{"s302", 502, KindStatus3xx, "upstream-failed"},
		{"slow", 504, KindTimeout, "upstream-timeout"},
		{"closed", 502, KindConnect, "upstream-failed"},
		{"text", 502, KindNotJSON, "upstream-failed"},
		{"badjson", 502, KindNotJSON, "upstream-failed"},
		{"big", 502, KindTooLarge, "upstream-failed"},
		{"bigchunked", 502, KindTooLarge, "upstream-failed"},
		{"breaker", 503, KindUnavailable, "circuit-open"},
	} {
		t.Run(tc.service, func(t *testing.T) {
			timeout := 5 * time.Second
			if tc.wantKind == KindTimeout {
				timeout = 50 * time.Millisecond
			}
			p := mustCompile(t, PlanSpec{
				Budget: 5 * time.Second,
				Steps:  []StepSpec{{Name: "only", Service: tc.service, Path: "/", Into: "x", Timeout: timeout, MaxBody: 512}},
			})
			res := mustExecute(t, context.Background(), p, nil, d)
			if res.Status != tc.wantStatus {
				t.Errorf("got status %d, want %d", res.Status, tc.wantStatus)
			}
			if o := outcome(t, res, "only"); o.Kind != tc.wantKind {
				t.Errorf("got kind %s (%v), want %s", o.Kind, o.Err, tc.wantKind)
			}
			_, _, body := problemBody(t, res)
			m := decodeMap(t, []byte(body))
			if want := "https://portico.dev/problems/" + tc.wantType; m["type"] != want {
				t.Errorf("got type %v, want %s", m["type"], want)
			}
			if m["step"] != "only" {
				t.Errorf("got step %v, want only", m["step"])
			}
		})
	}
}

// In either order of the steps: Execute runs the last of the steps that
// start together on its own goroutine, so the failure comes from a worker
// in one order and from Execute's goroutine in the other.
func TestRequiredFailureCancelsRemainingSteps(t *testing.T) {
	for _, slowFirst := range []bool{true, false} {
		t.Run(map[bool]string{true: "slow first", false: "slow last"}[slowFirst], func(t *testing.T) {
			testRequiredFailureCancels(t, slowFirst)
		})
	}
}

func testRequiredFailureCancels(t *testing.T, slowFirst bool) {
	canceled := make(chan struct{}, 1)
	slowArrived := make(chan struct{})
	d := mustDoer(t, map[string]*httptest.Server{
		"fail": mustServer(t, func(w http.ResponseWriter, r *http.Request) {
			// Fail only once the slow step's request is in flight, so that
			// its cancellation is what the test sees.
			select {
			case <-slowArrived:
			case <-time.After(barrierTimeout):
			}
			statusHandler(500)(w, r)
		}),
		"slow": mustServer(t, func(w http.ResponseWriter, r *http.Request) {
			close(slowArrived)
			select {
			case <-r.Context().Done():
				canceled <- struct{}{}
			case <-time.After(barrierTimeout):
			}
		}),
		"after": mustServer(t, jsonHandler(`{}`)),
	})
	spec := PlanSpec{
		Budget: 30 * time.Second,
		Steps: []StepSpec{
			{Name: "slow", Service: "slow", Path: "/", Into: "slow", OnFailure: Optional, Timeout: 20 * time.Second},
			{Name: "fail", Service: "fail", Path: "/", Into: "fail", Timeout: 5 * time.Second},
			{Name: "after", Service: "after", Path: "/", Into: "after", DependsOn: []string{"slow"}, OnFailure: Optional},
		},
	}
	if !slowFirst {
		spec.Steps[0], spec.Steps[1] = spec.Steps[1], spec.Steps[0]
	}
	p := mustCompile(t, spec)
	res := mustExecute(t, context.Background(), p, nil, d)
	if res.Status != 502 {
		t.Errorf("got status %d, want 502", res.Status)
	}
	select {
	case <-canceled:
	case <-time.After(barrierTimeout):
		t.Fatal("the slow step's request was never canceled")
	}
	if o := outcome(t, res, "slow"); o.Kind != KindCanceled {
		t.Errorf("got slow %s, want canceled", o.Kind)
	}
	if o := outcome(t, res, "after"); o.Kind != KindCanceled || o.Calls != 0 {
		t.Errorf("got after %s with %d calls, want canceled without calls", o.Kind, o.Calls)
	}
}

func TestClientLeaving(t *testing.T) {
	entered := make(chan struct{})
	canceled := make(chan struct{}, 1)
	d := mustDoer(t, map[string]*httptest.Server{
		"slow": mustServer(t, func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			select {
			case <-r.Context().Done():
				canceled <- struct{}{}
			case <-time.After(barrierTimeout):
			}
		}),
	})
	p := mustCompile(t, PlanSpec{
		Budget: 30 * time.Second,
		Steps:  []StepSpec{{Name: "slow", Service: "slow", Path: "/", Into: "slow"}},
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-entered
		cancel()
	}()
	res := mustExecute(t, ctx, p, nil, d)
	if res.Status != StatusClientClosedRequest {
		t.Errorf("got status %d, want %d", res.Status, StatusClientClosedRequest)
	}
	if o := outcome(t, res, "slow"); o.Kind != KindCanceled {
		t.Errorf("got %s, want canceled", o.Kind)
	}
	w := httptest.NewRecorder()
	res.Write(w, httptest.NewRequest("GET", "/", nil))
	if w.Body.Len() != 0 || w.Header().Get(OutcomeHeader) != "" {
		t.Errorf("got a response written for a client that left: %d %q", w.Code, w.Body)
	}
	select {
	case <-canceled:
	case <-time.After(barrierTimeout):
		t.Fatal("the upstream request was never canceled")
	}
}

func TestSkippedAndBadReference(t *testing.T) {
	d := mustDoer(t, map[string]*httptest.Server{
		"fail": mustServer(t, statusHandler(500)),
		"ok":   mustServer(t, jsonHandler(`{"id":"x","list":[1],"obj":{}}`)),
	})
	p := mustCompile(t, PlanSpec{
		Budget: 5 * time.Second,
		Steps: []StepSpec{
			{Name: "a", Service: "fail", Path: "/", OnFailure: Optional, Timeout: time.Second},
			{Name: "b", Service: "ok", Path: "/{steps.a.id}", Into: "b", OnFailure: Optional},
			{Name: "c", Service: "ok", Path: "/{steps.a.id}", Into: "c", OnFailure: Fallback, Fallback: "none"},
			{Name: "d", Service: "ok", Path: "/", Timeout: time.Second},
			{Name: "e", Service: "ok", Path: "/{steps.d.missing}", Into: "e", OnFailure: Optional},
			{Name: "f", Service: "ok", Path: "/{steps.d.obj}", Into: "f", OnFailure: Optional},
			{Name: "g", Service: "ok", Path: "/", Query: map[string]string{"l": "{steps.d.list}"}, Into: "g", OnFailure: Optional},
			{Name: "h", Service: "ok", Path: "/{steps.d.id}", Into: "h"},
		},
	})
	res := mustExecute(t, context.Background(), p, nil, d)
	if res.Status != 200 {
		t.Fatalf("got status %d, want 200", res.Status)
	}
	wantJSON(t, res.Body, `{"c":"none","h":{"id":"x","list":[1],"obj":{}}}`)
	for step, want := range map[string]Kind{"a": KindStatus5xx, "b": KindSkipped, "c": KindSkipped, "e": KindBadReference, "f": KindBadReference, "g": KindBadReference, "h": KindOK} {
		if o := outcome(t, res, step); o.Kind != want {
			t.Errorf("step %s: got %s (%v), want %s", step, o.Kind, o.Err, want)
		}
	}
	var re *refError
	if o := outcome(t, res, "e"); !errors.As(o.Err, &re) || !strings.Contains(o.Err.Error(), "steps.d.missing") {
		t.Errorf("got error %v, want a reference error naming steps.d.missing", o.Err)
	}
}

func TestMergeCollisions(t *testing.T) {
	d := mustDoer(t, map[string]*httptest.Server{
		"a": mustServer(t, jsonHandler(`{"name":"a","shared":1}`)),
		"b": mustServer(t, jsonHandler(`{"shared":2,"other":true}`)),
		"n": mustServer(t, jsonHandler(`[1,2]`)),
	})
	for _, tc := range []struct {
		name       string
		steps      []StepSpec
		wantStatus int
		wantBody   string
		wantKind   Kind
		wantUse    Use
	}{
		{
			name: "optional loser is left out",
			steps: []StepSpec{
				{Name: "first", Service: "a", Path: "/", Merge: true},
				{Name: "second", Service: "b", Path: "/", Merge: true, OnFailure: Optional},
			},
			wantStatus: 200, wantBody: `{"name":"a","shared":1}`, wantKind: KindConflict, wantUse: UseOmitted,
		},
		{
			name: "fallback loser uses its fallback",
			steps: []StepSpec{
				{Name: "first", Service: "a", Path: "/", Merge: true},
				{Name: "second", Service: "b", Path: "/", Merge: true, OnFailure: Fallback, Fallback: map[string]any{"second_missing": true}},
			},
			wantStatus: 200, wantBody: `{"name":"a","shared":1,"second_missing":true}`, wantKind: KindConflict, wantUse: UseFallback,
		},
		{
			name: "required loser fails the route",
			steps: []StepSpec{
				{Name: "first", Service: "a", Path: "/", Merge: true},
				{Name: "second", Service: "b", Path: "/", Merge: true},
			},
			wantStatus: 502, wantKind: KindConflict, wantUse: UseOmitted,
		},
		{
			name: "merged member against a key",
			steps: []StepSpec{
				{Name: "first", Service: "a", Path: "/", Into: "shared"},
				{Name: "second", Service: "b", Path: "/", Merge: true, OnFailure: Optional},
			},
			wantStatus: 200, wantBody: `{"shared":{"name":"a","shared":1}}`, wantKind: KindConflict, wantUse: UseOmitted,
		},
		{
			name: "rename onto an existing member",
			steps: []StepSpec{
				{Name: "first", Service: "a", Path: "/", Into: "first"},
				{Name: "second", Service: "b", Path: "/", Into: "second", Rename: map[string]string{"other": "shared"}, OnFailure: Optional},
			},
			wantStatus: 200, wantBody: `{"first":{"name":"a","shared":1}}`, wantKind: KindConflict, wantUse: UseOmitted,
		},
		{
			name: "merging an array",
			steps: []StepSpec{
				{Name: "first", Service: "a", Path: "/", Merge: true},
				{Name: "second", Service: "n", Path: "/", Merge: true, OnFailure: Optional},
			},
			wantStatus: 200, wantBody: `{"name":"a","shared":1}`, wantKind: KindShape, wantUse: UseOmitted,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustCompile(t, PlanSpec{Budget: 5 * time.Second, Steps: tc.steps})
			res := mustExecute(t, context.Background(), p, nil, d)
			if res.Status != tc.wantStatus {
				t.Fatalf("got status %d, want %d", res.Status, tc.wantStatus)
			}
			if tc.wantBody != "" {
				wantJSON(t, res.Body, tc.wantBody)
			}
			if o := outcome(t, res, "second"); o.Kind != tc.wantKind || o.Use != tc.wantUse {
				t.Errorf("got %s %s (%v), want %s %s", o.Kind, o.Use, o.Err, tc.wantKind, tc.wantUse)
			}
		})
	}
}

func TestBadCallerBody(t *testing.T) {
	d := mustDoer(t, map[string]*httptest.Server{"a": mustServer(t, jsonHandler(`{}`))})
	p := mustCompile(t, PlanSpec{Budget: time.Second, Steps: []StepSpec{
		{Name: "a", Service: "a", Method: "POST", Path: "/", Body: map[string]any{"x": "{body.x}"}},
	}})
	res := mustExecute(t, context.Background(), p, &Input{Body: []byte(`{"x":`)}, d)
	if res.Status != 400 || res.Problem == nil {
		t.Errorf("got status %d, want 400 with a problem", res.Status)
	}
}
