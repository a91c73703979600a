package gateway

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/gateway/upstream"
)

// series lists the gathered series of reg as "name{label=value,...}",
// labels sorted, with the value of counters and gauges after a space.
func series(tb testing.TB, reg prometheus.Gatherer) []string {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			s := mf.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetCounter() != nil:
				s += " " + ftoa(m.GetCounter().GetValue())
			case m.GetGauge() != nil:
				s += " " + ftoa(m.GetGauge().GetValue())
			}
			out = append(out, s)
		}
	}
	return out
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// matching returns the series containing every one of parts.
func matching(all []string, parts ...string) []string {
	var out []string
	for _, s := range all {
		ok := true
		for _, p := range parts {
			if !strings.Contains(s, p) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

func TestReloadDeletesSeriesOfRemovedRoutesAndServices(t *testing.T) {
	up := mustUpstream(t, echoHandler("a"))
	up2 := mustUpstream(t, echoHandler("a2"))
	vars := map[string]string{"A": up.URL, "A2": up2.URL, "DEAD": deadAddr(t)}
	const first = `
version: 1
services:
  a: {targets: ["${A}"]}
  b: {targets: ["${DEAD}"], retry: {attempts: 1}}
  c: {targets: ["${A}"]}
routes:
  - {name: keep, path: /keep, service: a}
  - {name: gone, path: /gone, service: b}
  - {name: moves, path: /moves, service: a}
  - {name: agg, path: /agg, aggregate: {steps: [{name: s, service: a, path: /x}]}}
`
	const second = `
version: 1
services:
  a: {targets: ["${A}"]}
  c: {targets: ["${A2}"]}
routes:
  - {name: keep, path: /keep, service: a}
  - {name: moves, path: /moves, service: c}
`
	tg := mustGateway(t, first, vars)
	get := func(path string, want ...int) {
		t.Helper()
		if resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+path, nil)); !slices.Contains(want, resp.StatusCode) {
			t.Fatalf("GET %s: status %d, want %v (%s)", path, resp.StatusCode, want, body)
		}
	}
	for _, p := range []string{"/keep", "/moves", "/agg"} {
		get(p, 200)
	}
	get("/gone", 502)
	// As active health checks would report the dead target (they run
	// in the background, so the test reports it itself).
	tg.gw.rt.Load().services["b"].obs.TargetHealthChanged("b", vars["DEAD"], false)
	// c keeps its name but changes its target: the old target's series go.
	tg.gw.rt.Load().services["c"].obs.TargetEjectionChanged("c", vars["A"], true)

	before := series(t, tg.reg)
	for _, want := range [][]string{
		{`target_healthy{service=b,`, "} 0"},
		{`requests_total{code=50`, `route=gone,service=b}`},
		{`upstream_errors_total{kind=connect,service=b}`},
		{`requests_total{code=200,route=moves,service=a}`},
		{`aggregate_steps_total{kind=ok,route=agg,step=s} 1`},
		{`request_duration_seconds{route=agg,service=aggregate}`},
		{`target_ejected{service=c,target=` + vars["A"] + `} 1`},
	} {
		if len(matching(before, want...)) == 0 {
			t.Fatalf("before the reload: no series with %q among\n%s", want, strings.Join(before, "\n"))
		}
	}

	if err := tg.gw.Reload(mustConfig(t, second, vars)); err != nil {
		t.Fatal(err)
	}
	after := series(t, tg.reg)
	for _, gone := range [][]string{
		{"service=b"},
		{"route=gone"},
		{"route=agg"},
		{"route=moves", "service=a"},
		{"service=c,target=" + vars["A"]},
	} {
		if got := matching(after, gone...); len(got) > 0 {
			t.Errorf("after the reload: series with %q remain:\n%s", gone, strings.Join(got, "\n"))
		}
	}
	for _, kept := range [][]string{
		{`requests_total{code=200,route=keep,service=a} 1`},
		{`request_duration_seconds{route=keep,service=a}`},
		{`upstream_errors_total{kind=connect,service=a} 0`},
		{`upstream_errors_total{kind=connect,service=c} 0`},
		{`upstream_retries_total{service=a} 0`},
	} {
		if len(matching(after, kept...)) == 0 {
			t.Errorf("after the reload: no series with %q among\n%s", kept, strings.Join(after, "\n"))
		}
	}
	get("/moves", 200)
	if got := matching(series(t, tg.reg), `requests_total{code=200,route=moves,service=c} 1`); len(got) != 1 {
		t.Errorf("the moved route has no series of its new service")
	}

	// Added back, a route starts with new series that count again.
	if err := tg.gw.Reload(mustConfig(t, first, vars)); err != nil {
		t.Fatal(err)
	}
	get("/agg", 200)
	again := series(t, tg.reg)
	for _, want := range []string{
		`aggregate_steps_total{kind=ok,route=agg,step=s} 1`,
		`requests_total{code=200,route=agg,service=aggregate} 1`,
	} {
		if len(matching(again, want)) != 1 {
			t.Errorf("after adding the route back: no series %q among\n%s", want, strings.Join(again, "\n"))
		}
	}
}

// TestFailedReloadLeavesNoSeries makes a configuration fail to compile
// after its services were built, and checks that their series go.
func TestFailedReloadLeavesNoSeries(t *testing.T) {
	up := mustUpstream(t, echoHandler("a"))
	vars := map[string]string{"A": up.URL}
	tg := mustGateway(t, proxyConfig(""), vars)
	bad := mustConfig(t, `
version: 1
services:
  a: {targets: ["${A}"]}
  d: {targets: ["${A}"]}
routes:
  - {name: all, path: "/{rest...}", service: a}
  - {name: other, path: "/other", service: d}
`, vars)
	bad.Routes[1].Service = "missing" // only compiling finds this now
	if err := tg.gw.Reload(bad); err == nil {
		t.Fatal("reload succeeded, want a compile error")
	}
	all := series(t, tg.reg)
	if got := matching(all, "service=d"); len(got) > 0 {
		t.Errorf("the rejected configuration's service left series:\n%s", strings.Join(got, "\n"))
	}
	if len(matching(all, "upstream_errors_total{kind=connect,service=a}")) == 0 {
		t.Errorf("the serving configuration's series went too:\n%s", strings.Join(all, "\n"))
	}
}

// fakeResolver answers lookups from a list a test changes.
type fakeResolver struct {
	mu    sync.Mutex
	addrs []string
}

func (r *fakeResolver) set(addrs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs = addrs
}

func (r *fakeResolver) LookupHost(context.Context, string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.addrs), nil
}

func TestDNSRemovedTargetsLoseTheirSeries(t *testing.T) {
	tg := mustGateway(t, proxyConfig(""), map[string]string{"A": deadAddr(t)})
	port := strings.TrimPrefix(deadAddr(t), "http://127.0.0.1:")
	res := &fakeResolver{}
	res.set("127.0.0.1", "127.0.0.2")
	tg.gw.resolver = res
	if err := tg.gw.Reload(mustConfig(t, `
version: 1
services:
  d:
    dns: {name: svc.test, port: `+port+`, refresh: 1h}
routes:
  - {name: all, path: "/{rest...}", service: d}
`, nil)); err != nil {
		t.Fatal(err)
	}
	svc := tg.gw.rt.Load().services["d"]
	stays, goes := "http://127.0.0.1:"+port, "http://127.0.0.2:"+port
	if got := len(svc.up.Snapshot().Targets); got != 2 {
		t.Fatalf("resolved %d targets, want 2", got)
	}
	for _, u := range []string{stays, goes} {
		// As health checks and outlier detection would report them.
		svc.obs.TargetHealthChanged("d", u, false)
		svc.obs.TargetEjectionChanged("d", u, true)
	}
	before := series(t, tg.reg)
	for _, u := range []string{stays, goes} {
		for _, m := range []string{"target_healthy", "target_ejected"} {
			if len(matching(before, m+"{service=d,target="+u+"}")) != 1 {
				t.Fatalf("before the change: no %s series for %s among\n%s", m, u, strings.Join(before, "\n"))
			}
		}
	}

	res.set("127.0.0.1")
	if err := svc.up.Resolve(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := series(t, tg.reg)
	if got := matching(after, "target="+goes); len(got) > 0 {
		t.Errorf("series of the removed target remain:\n%s", strings.Join(got, "\n"))
	}
	for _, m := range []string{"target_healthy", "target_ejected"} {
		if len(matching(after, m+"{service=d,target="+stays+"}")) != 1 {
			t.Errorf("the %s series of the target that stays went too", m)
		}
	}
}

// TestReloadResyncsServiceGauges checks that a reload that keeps a service
// sets its breaker and panic routing gauges to the new service's state:
// the new one announces only changes, so the old one's last state would
// otherwise stay on show.
func TestReloadResyncsServiceGauges(t *testing.T) {
	yaml := proxyConfig("")
	vars := map[string]string{"A": deadAddr(t)}
	tg := mustGateway(t, yaml, vars)
	svc := tg.gw.rt.Load().services["a"]
	// As the breaker and panic routing of the serving service would report.
	svc.obs.BreakerStateChanged("a", upstream.Open)
	svc.obs.PanicRoutingChanged("a", true)
	for _, want := range []string{"circuit_breaker_state{service=a} 2", "upstream_panic_routing{service=a} 1"} {
		if len(matching(series(t, tg.reg), want)) != 1 {
			t.Fatalf("before the reload: no %s", want)
		}
	}
	if err := tg.gw.Reload(mustConfig(t, yaml, vars)); err != nil {
		t.Fatal(err)
	}
	after := series(t, tg.reg)
	for _, want := range []string{"circuit_breaker_state{service=a} 0", "upstream_panic_routing{service=a} 0"} {
		if len(matching(after, want)) != 1 {
			t.Errorf("after the reload: no %s among\n%s", want, strings.Join(matching(after, "service=a}"), "\n"))
		}
	}
}
