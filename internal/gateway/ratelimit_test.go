package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
)

// rateConfig limits routes of a gateway behind a trusted proxy (the test
// itself, on loopback), so that X-Forwarded-For names the client. Rates
// are per hour: nothing refills while a test runs.
const rateConfig = `
version: 1
server: {trusted_proxies: [127.0.0.1]}
auth: {url: "${AUTH}", issuer: "${ISSUER}"}
services:
  a: {targets: ["${A}"]}
rate_limits:
  policies:
    per-address: {key: [client_address], rate: 2/h, burst: 2}
    per-route: {key: [route], rate: 1/h, burst: 3}
    per-caller: {key: [subject], rate: 1/h, burst: 2}
    per-tenant: {key: ["header:X-Tenant"], rate: 1/h, burst: 1, on_missing: skip}
  default_policies: [per-route]
routes:
  - {name: login, path: /login, service: a, public: true, rate_limits: [per-address], skip_default_rate_limits: true}
  - {name: open, path: /open, service: a, public: true}
  - {name: health, path: /health, service: a, public: true, skip_default_rate_limits: true}
  - {name: me, path: /me, service: a, rate_limits: [per-caller]}
  - {name: anon, path: /anon, service: a, public: true, skip_default_rate_limits: true, rate_limits: [per-caller]}
  - {name: tenant, path: /tenant, service: a, public: true, skip_default_rate_limits: true, rate_limits: [per-tenant]}
`

// rateAnswer is what a limited route answered.
type rateAnswer struct {
	status           int
	policy, current  string
	retryAfter       string
	problemType      string
	violated         []string
	retryAfterSecond float64
}

// rateTest is a gateway with rateConfig, and an upstream that counts the
// requests that reach it and sets its own RateLimit field.
type rateTest struct {
	t        *testing.T
	tg       *testGateway
	upstream atomic.Int64
}

func newRateTest(t *testing.T) *rateTest {
	t.Helper()
	rt := &rateTest{t: t}
	fa := mustPeopleAuth(t)
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.upstream.Add(1)
		w.Header().Set("RateLimit", `"service";r=99;t=1`)
		w.WriteHeader(http.StatusOK)
	}))
	rt.tg = mustGatewayWith(t, rateConfig, map[string]string{"AUTH": fa.URL, "ISSUER": authntest.Issuer, "A": up.URL},
		Options{AuthWorkloadToken: fa.WorkloadToken()})
	return rt
}

// get sends GET path as the client at address client (through the trusted
// proxy), with a session when not empty, and header pairs.
func (rt *rateTest) get(path, client, session string, header ...string) rateAnswer {
	rt.t.Helper()
	req := mustRequest(rt.t, "GET", rt.tg.srv.URL+path, nil)
	if client != "" {
		req.Header.Set("X-Forwarded-For", client)
	}
	if session != "" {
		req.AddCookie(&http.Cookie{Name: "__Host-portico_session", Value: session})
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, body := mustDo(rt.t, req)
	a := rateAnswer{
		status:     resp.StatusCode,
		policy:     strings.Join(resp.Header.Values("RateLimit-Policy"), ", "),
		current:    strings.Join(resp.Header.Values("RateLimit"), ", "),
		retryAfter: resp.Header.Get("Retry-After"),
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		p := problemOf(rt.t, resp, body)
		a.problemType, _ = p["type"].(string)
		for _, v := range p["violated_policies"].([]any) {
			a.violated = append(a.violated, v.(string))
		}
		a.retryAfterSecond, _ = p["retry_after_seconds"].(float64)
	}
	return a
}

// mustRefused checks a 429 answer refused by exactly the policies named.
func (rt *rateTest) mustRefused(a rateAnswer, policies ...string) {
	rt.t.Helper()
	if a.status != http.StatusTooManyRequests || a.problemType != "https://portico.dev/problems/rate-limited" {
		rt.t.Fatalf("got %d %q, want 429 rate-limited", a.status, a.problemType)
	}
	if !slices.Equal(a.violated, policies) {
		rt.t.Errorf("violated_policies %v, want %v", a.violated, policies)
	}
	secs, err := strconv.Atoi(a.retryAfter)
	if err != nil || secs < 1 || secs > 3600 || float64(secs) != a.retryAfterSecond {
		rt.t.Errorf("Retry-After %q, retry_after_seconds %v: want the same whole number of seconds in [1, 3600]", a.retryAfter, a.retryAfterSecond)
	}
}

// rFields returns each member of a RateLimit field as name=r.
func rFields(field string) []string {
	var out []string
	for m := range strings.SplitSeq(field, ", ") {
		name, params, _ := strings.Cut(m, ";")
		for p := range strings.SplitSeq(params, ";") {
			if v, ok := strings.CutPrefix(p, "r="); ok {
				out = append(out, name+"="+v)
			}
		}
	}
	return out
}

func TestRateLimitPerClientAddress(t *testing.T) {
	rt := newRateTest(t)
	const policy = `"per-address";q=2;w=3600`

	first := rt.get("/login", "198.51.100.1", "")
	if first.status != 200 || first.policy != policy || !strings.HasPrefix(first.current, `"per-address";r=1;t=`) {
		t.Fatalf("first: got %d, RateLimit-Policy %q, RateLimit %q; want 200, %s, r=1", first.status, first.policy, first.current, policy)
	}
	if strings.Contains(first.current, "service") {
		t.Errorf("RateLimit %q carries the service's own field; the gateway's replaces it on a limited route", first.current)
	}
	if second := rt.get("/login", "198.51.100.1", ""); second.status != 200 || !strings.HasPrefix(second.current, `"per-address";r=0;t=`) {
		t.Fatalf("second: got %d, RateLimit %q; want 200 with r=0", second.status, second.current)
	}
	third := rt.get("/login", "198.51.100.1", "")
	rt.mustRefused(third, "per-address")
	if third.policy != policy || !strings.HasPrefix(third.current, `"per-address";r=0;t=`) {
		t.Errorf("refused: RateLimit-Policy %q, RateLimit %q; want both fields", third.policy, third.current)
	}
	if got := rt.upstream.Load(); got != 2 {
		t.Errorf("the upstream saw %d requests, want 2: a refused one never reaches it", got)
	}

	t.Run("another address has its own limit", func(t *testing.T) {
		if a := rt.get("/login", "198.51.100.2", ""); a.status != 200 {
			t.Errorf("got %d, want 200", a.status)
		}
	})
	t.Run("an IPv6 /64 counts as one client", func(t *testing.T) {
		rt.get("/login", "2001:db8:1:2::1", "")
		rt.get("/login", "2001:db8:1:2::ffff", "")
		rt.mustRefused(rt.get("/login", "2001:db8:1:2:aaaa::1", ""), "per-address")
		if a := rt.get("/login", "2001:db8:1:3::1", ""); a.status != 200 {
			t.Errorf("the next /64: got %d, want 200", a.status)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		m := rt.tg.gw.rm
		if got := testutil.ToFloat64(m.decisions.WithLabelValues("per-address", "limited")); got != 2 {
			t.Errorf("limited decisions: got %v, want 2", got)
		}
		if got := testutil.ToFloat64(m.decisions.WithLabelValues("per-address", "allowed")); got != 6 {
			t.Errorf("allowed decisions: got %v, want 6", got)
		}
		if got := testutil.ToFloat64(rt.tg.gw.m.rejected.WithLabelValues("rate_limited")); got != 2 {
			t.Errorf("rejected rate_limited: got %v, want 2", got)
		}
	})
}

// TestRateLimitClientAddressIsNotSpoofable checks that without trusted
// proxies the client address is the peer's, whatever X-Forwarded-For
// says.
func TestRateLimitClientAddressIsNotSpoofable(t *testing.T) {
	up := mustUpstream(t, echoHandler("a"))
	tg := mustGateway(t, `
version: 1
services:
  a: {targets: ["${A}"]}
rate_limits:
  policies: {per-address: {key: [client_address], rate: 1/h, burst: 2}}
routes:
  - {name: login, path: /login, service: a, rate_limits: [per-address]}
`, map[string]string{"A": up.URL})
	statuses := make([]int, 0, 3)
	for i := range 3 {
		req := mustRequest(t, "GET", tg.srv.URL+"/login", nil)
		req.Header.Set("X-Forwarded-For", "203.0.113."+strconv.Itoa(i+1))
		resp, _ := mustDo(t, req)
		statuses = append(statuses, resp.StatusCode)
	}
	if !slices.Equal(statuses, []int{200, 200, 429}) {
		t.Errorf("three requests from one peer claiming three addresses: got %v, want [200 200 429]", statuses)
	}
}

func TestRateLimitDefaultAndRoutePolicies(t *testing.T) {
	rt := newRateTest(t)

	t.Run("a default policy applies to a route that names none", func(t *testing.T) {
		for i := range 3 {
			a := rt.get("/open", "198.51.100."+strconv.Itoa(i+1), "")
			if a.status != 200 || a.policy != `"per-route";q=1;w=3600` {
				t.Fatalf("request %d: got %d, policy %q", i, a.status, a.policy)
			}
		}
		// Keyed by the route: every client shares it.
		rt.mustRefused(rt.get("/open", "198.51.100.99", ""), "per-route")
	})
	t.Run("a route that skips the defaults has no limit and no fields", func(t *testing.T) {
		for i := range 10 {
			a := rt.get("/health", "198.51.100.1", "")
			if a.status != 200 || a.policy != "" {
				t.Fatalf("request %d: got %d, RateLimit-Policy %q; want 200 and none", i, a.status, a.policy)
			}
			if a.current != `"service";r=99;t=1` {
				t.Fatalf("request %d: RateLimit %q, want the service's own, passed through on an unlimited route", i, a.current)
			}
		}
	})
	t.Run("default and route policies together, all or nothing", func(t *testing.T) {
		// /me: per-route (burst 3, shared) then per-caller (burst 2).
		const policy = `"per-route";q=1;w=3600, "per-caller";q=1;w=3600`
		a := rt.get("/me", "", adminSession)
		if a.status != 200 || a.policy != policy {
			t.Fatalf("admin 1: got %d, policy %q; want 200, %s", a.status, a.policy, policy)
		}
		if got := rFields(a.current); !slices.Equal(got, []string{`"per-route"=2`, `"per-caller"=1`}) {
			t.Errorf("admin 1: RateLimit %q, want per-route r=2 and per-caller r=1", a.current)
		}
		rt.get("/me", "", adminSession)
		a = rt.get("/me", "", adminSession)
		rt.mustRefused(a, "per-caller")
		// The refusal consumed nothing: per-route still has one.
		if got := rFields(a.current); !slices.Equal(got, []string{`"per-route"=1`, `"per-caller"=0`}) {
			t.Errorf("admin refused: RateLimit %q, want per-route r=1 (untouched) and per-caller r=0", a.current)
		}
		if a := rt.get("/me", "", viewerSession); a.status != 200 {
			t.Fatalf("viewer 1: got %d, want 200 (the route's last one)", a.status)
		}
		rt.mustRefused(rt.get("/me", "", viewerSession), "per-route")
	})
	t.Run("an unauthenticated request counts against nothing", func(t *testing.T) {
		before := testutil.ToFloat64(rt.tg.gw.rm.decisions.WithLabelValues("per-route", "limited"))
		if a := rt.get("/me", "", ""); a.status != http.StatusUnauthorized || a.policy != "" {
			t.Errorf("got %d with RateLimit-Policy %q, want 401 before any limit", a.status, a.policy)
		}
		if after := testutil.ToFloat64(rt.tg.gw.rm.decisions.WithLabelValues("per-route", "limited")); after != before {
			t.Errorf("per-route limited went from %v to %v", before, after)
		}
	})
}

func TestRateLimitAbsentKeyParts(t *testing.T) {
	rt := newRateTest(t)
	t.Run("an absent subject counts by client address", func(t *testing.T) {
		rt.get("/anon", "198.51.100.1", "")
		rt.get("/anon", "198.51.100.1", "")
		rt.mustRefused(rt.get("/anon", "198.51.100.1", ""), "per-caller")
		if a := rt.get("/anon", "198.51.100.2", ""); a.status != 200 {
			t.Errorf("another address: got %d, want 200", a.status)
		}
	})
	t.Run("a policy that skips requests without its header", func(t *testing.T) {
		for i := range 5 {
			a := rt.get("/tenant", "198.51.100.1", "")
			if a.status != 200 || a.policy != `"per-tenant";q=1;w=3600` || a.current != "" {
				t.Fatalf("request %d without X-Tenant: got %d, policy %q, RateLimit %q; want 200, the policy, no RateLimit",
					i, a.status, a.policy, a.current)
			}
		}
		if a := rt.get("/tenant", "198.51.100.1", "", "X-Tenant", "t1"); a.status != 200 || a.current != `"per-tenant";r=0;t=3600` {
			t.Fatalf("t1: got %d, RateLimit %q", a.status, a.current)
		}
		rt.mustRefused(rt.get("/tenant", "198.51.100.2", "", "X-Tenant", "t1"), "per-tenant")
		if a := rt.get("/tenant", "198.51.100.1", "", "X-Tenant", "t2"); a.status != 200 {
			t.Errorf("t2: got %d, want 200", a.status)
		}
	})
}

func TestRateLimitReload(t *testing.T) {
	fa := mustPeopleAuth(t)
	up := mustUpstream(t, echoHandler("a"))
	vars := map[string]string{"AUTH": fa.URL, "ISSUER": authntest.Issuer, "A": up.URL}
	tg := mustGatewayWith(t, rateConfig, vars, Options{AuthWorkloadToken: fa.WorkloadToken()})
	login := func() int {
		req := mustRequest(t, "GET", tg.srv.URL+"/login", nil)
		resp, _ := mustDo(t, req)
		return resp.StatusCode
	}
	login()
	login()
	if got := login(); got != 429 {
		t.Fatalf("third: got %d, want 429", got)
	}
	lim := tg.gw.rt.Load().rate.lim

	// The same store: the limiter, and every key's state, carry over.
	if err := tg.gw.Reload(mustConfig(t, rateConfig+"  - {name: extra, path: /extra, service: a, public: true}\n", vars)); err != nil {
		t.Fatal(err)
	}
	if tg.gw.rt.Load().rate.lim != lim {
		t.Error("a reload with the same store built a new limiter")
	}
	if got := login(); got != 429 {
		t.Errorf("after a reload with the same store: got %d, want 429 (state kept)", got)
	}

	// Another store: a new limiter, starting afresh; a removed policy's
	// series go.
	changed := strings.Replace(rateConfig, "rate_limits:\n", "rate_limits:\n  store: {max_keys: 5000}\n", 1)
	changed = strings.Replace(changed, "    per-tenant: {key: [\"header:X-Tenant\"], rate: 1/h, burst: 1, on_missing: skip}\n", "", 1)
	changed = strings.Replace(changed, "  - {name: tenant, path: /tenant, service: a, public: true, skip_default_rate_limits: true, rate_limits: [per-tenant]}\n", "", 1)
	tg.gw.rm.decisions.WithLabelValues("per-tenant", "allowed").Inc()
	if err := tg.gw.Reload(mustConfig(t, changed, vars)); err != nil {
		t.Fatal(err)
	}
	if tg.gw.rt.Load().rate.lim == lim {
		t.Error("a reload with another store kept the limiter")
	}
	if got := login(); got != 200 {
		t.Errorf("after a reload with another store: got %d, want 200 (fresh state)", got)
	}
	if n := testutil.CollectAndCount(tg.gw.rm.decisions); n == 0 {
		t.Fatal("no decision series at all")
	}
	for _, name := range []string{"per-tenant"} {
		if strings.Contains(gatherText(t, tg), `policy="`+name+`"`) {
			t.Errorf("the series of the removed policy %s are still there", name)
		}
	}
}

// gatherText returns the gateway's metrics in the text format.
func gatherText(t *testing.T, tg *testGateway) string {
	t.Helper()
	mfs, err := tg.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		b.WriteString(mf.String())
	}
	return b.String()
}

func TestExplainRateLimits(t *testing.T) {
	cfg := mustConfig(t, rateConfig, map[string]string{"AUTH": "http://127.0.0.1:1", "ISSUER": authntest.Issuer, "A": "http://127.0.0.1:2"})
	for _, c := range []struct {
		target string
		want   []string
	}{
		{"/login", []string{"ratelimit per-address: 2/h, burst 2, per [client_address]\n", "kept in memory (this replica alone, up to 100000 keys)"}},
		{"/me", []string{"ratelimit per-route: 1/h, burst 3, per [route] (default)\n",
			"ratelimit per-caller: 1/h, burst 2, per [subject], an absent part counted by client address\n"}},
		{"/health", []string{"ratelimit none (the route skips the default policies)\n"}},
		{"/tenant", []string{"ratelimit per-tenant: 1/h, burst 1, per [header:X-Tenant], not applied when a part is absent\n"}},
	} {
		out, err := Explain(cfg, "GET", "", c.target)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.target, w, out)
			}
		}
	}
}

// TestLimitRateAllocations keeps what rate limiting adds to a request on
// a route with two policies in memory to the RateLimit field alone: its
// string and the header's slice.
func TestLimitRateAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations are counted without the race detector (.ci/run runs this package again without it)")
	}
	cfg := mustConfig(t, `
version: 1
services:
  a: {targets: ["http://127.0.0.1:1"]}
rate_limits:
  policies:
    per-address: {key: [client_address], rate: 1000000/s, burst: 1000000000}
    per-route: {key: [route], rate: 1000000/s, burst: 1000000000}
routes:
  - {name: login, path: /login, service: a, rate_limits: [per-address, per-route]}
`, nil)
	gw, err := New(cfg, Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	rt := gw.rt.Load()
	var params routerParams
	rte, _, _ := rt.router.Match("GET", "gw.example", "/login", &params)
	req := httptest.NewRequest("GET", "http://gw.example/login", nil)
	st := getState(httptest.NewRecorder())
	i := 0
	n := testing.AllocsPerRun(1000, func() {
		st.client = clientAddrs[i%len(clientAddrs)]
		clear(st.Header())
		if !gw.limitRate(req.Context(), rt.rate, rte, st, req, &params, nil) {
			t.Fatal("refused")
		}
		i++
	})
	if n > 2 {
		t.Errorf("got %v allocations per request, want at most 2 (the RateLimit field)", n)
	}
}

// TestExplainRateLimitLeases checks that explain gives each policy's lease
// with the Redis store: the size auto works out to, or a decision at Redis
// for every request.
func TestExplainRateLimitLeases(t *testing.T) {
	cfg := mustConfig(t, `
version: 1
services:
  a: {targets: ["http://127.0.0.1:1"]}
rate_limits:
  store: {kind: redis, redis: {addr: "127.0.0.1:6379", lease_time: 50ms}}
  policies:
    busy: {key: [route], rate: 1000/s}
    fixed: {key: [client_address], rate: 100/s, lease: 7}
    credentials: {key: [client_address], rate: 10/m, burst: 5}
routes:
  - {name: a, path: /a, service: a, rate_limits: [busy, fixed, credentials]}
`, nil)
	out, err := Explain(cfg, "GET", "", "/a")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"ratelimit busy: 1000/s, burst 1000, per [route], leases of 50 requests\n",
		"ratelimit fixed: 100/s, burst 100, per [client_address], leases of 7 requests\n",
		"ratelimit credentials: 10/m, burst 5, per [client_address], every request decided at redis\n",
		"automatic leases within 50ms",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}
