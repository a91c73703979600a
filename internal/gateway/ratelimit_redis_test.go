package gateway

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/portico-gw/portico/internal/gateway/ratelimit"
	"github.com/portico-gw/portico/internal/gateway/ratelimit/redistest"
)

// redisRateConfig is one limited route with its limits in Redis at
// ${REDIS}, under ${PREFIX}; onError and failures configure the breaker.
func redisRateConfig(onError string, failures int) string {
	return `
version: 1
services:
  a: {targets: ["${A}"]}
rate_limits:
  store:
    kind: redis
    redis: {addr: "${REDIS}", key_prefix: "${PREFIX}", timeout: 1s, on_error: ` + onError + `,
            breaker: {failures: ` + strconv.Itoa(failures) + `, cool_down: 1m}}
  policies:
    per-route: {key: [route], rate: 1/h, burst: 4}
routes:
  - {name: shared, path: /shared, service: a, rate_limits: [per-route]}
`
}

func getStatus(t *testing.T, tg *testGateway, path string) (int, http.Header) {
	t.Helper()
	resp, _ := mustDo(t, mustRequest(t, "GET", tg.srv.URL+path, nil))
	return resp.StatusCode, resp.Header
}

// TestRateLimitTwoGatewaysShareRedis runs two gateways, each with its own
// Redis client, against one limit: together they admit exactly its burst,
// and each reports what the other used.
func TestRateLimitTwoGatewaysShareRedis(t *testing.T) {
	addr := redistest.Addr(t)
	up := mustUpstream(t, echoHandler("a"))
	vars := map[string]string{"A": up.URL, "REDIS": addr, "PREFIX": redistest.Prefix(t, addr)}
	gws := []*testGateway{
		mustGateway(t, redisRateConfig("open", 3), vars),
		mustGateway(t, redisRateConfig("open", 3), vars),
	}
	if gws[0].gw.rt.Load().rate.lim == gws[1].gw.rt.Load().rate.lim {
		t.Fatal("the two gateways share a limiter; each must have its own")
	}
	var statuses []int
	var remaining []string
	for i := range 8 {
		code, h := getStatus(t, gws[i%2], "/shared")
		statuses = append(statuses, code)
		if code == 200 {
			remaining = append(remaining, rFields(h.Get("RateLimit"))...)
		}
	}
	if want := []int{200, 200, 200, 200, 429, 429, 429, 429}; !slices.Equal(statuses, want) {
		t.Errorf("alternating between the gateways: got %v, want %v", statuses, want)
	}
	if want := []string{`"per-route"=3`, `"per-route"=2`, `"per-route"=1`, `"per-route"=0`}; !slices.Equal(remaining, want) {
		t.Errorf("RateLimit across the gateways: got %v, want %v", remaining, want)
	}
	for i, tg := range gws {
		if got := testutil.ToFloat64(tg.gw.rm.decisions.WithLabelValues("per-route", "limited")); got != 2 {
			t.Errorf("gateway %d: %v limited decisions, want 2", i, got)
		}
		if got := testutil.CollectAndCount(tg.gw.rm.redisErrors); got != 0 {
			t.Errorf("gateway %d: %d Redis error series, want none", i, got)
		}
	}
}

// TestRateLimitRedisDown stops a Redis server of the test's own under a
// gateway: failing open, the replica's own limiter decides, warm with what
// Redis admitted; failing closed, limited routes answer 503.
func TestRateLimitRedisDown(t *testing.T) {
	for _, onError := range []string{"open", "closed"} {
		t.Run(onError, func(t *testing.T) {
			srv := redistest.Start(t)
			up := mustUpstream(t, echoHandler("a"))
			tg := mustGateway(t, redisRateConfig(onError, 1), map[string]string{"A": up.URL, "REDIS": srv.Addr(), "PREFIX": "t:"})
			for range 2 {
				if code, _ := getStatus(t, tg, "/shared"); code != 200 {
					t.Fatalf("with Redis up: got %d, want 200", code)
				}
			}
			srv.Stop()
			var statuses []int
			var last http.Header
			for range 4 {
				code, h := getStatus(t, tg, "/shared")
				statuses, last = append(statuses, code), h
			}
			m := tg.gw.rm
			if got := testutil.ToFloat64(m.breakerState); got != float64(ratelimit.Open) {
				t.Errorf("breaker gauge %v, want %d (open)", got, ratelimit.Open)
			}
			if got := testutil.ToFloat64(m.redisErrors.WithLabelValues("error")) + testutil.ToFloat64(m.redisErrors.WithLabelValues("timeout")); got != 1 {
				t.Errorf("Redis errors: %v, want 1 (then the breaker is open and Redis is not asked)", got)
			}
			switch onError {
			case "open":
				// The floor saw the two admitted by Redis: two more, then 429.
				if want := []int{200, 200, 429, 429}; !slices.Equal(statuses, want) {
					t.Errorf("with Redis down: got %v, want %v", statuses, want)
				}
				if got := testutil.ToFloat64(m.fallbacks.local); got != 4 {
					t.Errorf("local fallbacks: %v, want 4", got)
				}
			case "closed":
				if want := []int{503, 503, 503, 503}; !slices.Equal(statuses, want) {
					t.Errorf("with Redis down: got %v, want %v", statuses, want)
				}
				resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/shared", nil))
				mustProblem(t, resp, body, http.StatusServiceUnavailable, "rate-limit-unavailable")
				if ra, err := strconv.Atoi(last.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
					t.Errorf("Retry-After %q, want the seconds until the breaker probes, within [1, 60]", last.Get("Retry-After"))
				}
				if !strings.Contains(last.Get("RateLimit-Policy"), `"per-route"`) {
					t.Errorf("RateLimit-Policy %q, want the route's policy on the 503 too", last.Get("RateLimit-Policy"))
				}
				if got := testutil.ToFloat64(m.decisions.WithLabelValues("per-route", "unavailable")); got != 5 {
					t.Errorf("unavailable decisions: %v, want 5", got)
				}
			}
		})
	}
}

// TestRateLimitTwoGatewaysShareRedisWithLeases runs two gateways sharing
// one limit through leases of 10: together they admit exactly its burst,
// each calling Redis once per lease (and for each refusal), serving the
// rest from memory.
func TestRateLimitTwoGatewaysShareRedisWithLeases(t *testing.T) {
	addr := redistest.Addr(t)
	up := mustUpstream(t, echoHandler("a"))
	vars := map[string]string{"A": up.URL, "REDIS": addr, "PREFIX": redistest.Prefix(t, addr)}
	cfg := strings.Replace(redisRateConfig("open", 3), "rate: 1/h, burst: 4}", "rate: 1/h, burst: 40, lease: 10}", 1)
	gws := []*testGateway{mustGateway(t, cfg, vars), mustGateway(t, cfg, vars)}
	admitted := 0
	var first []string
	for i := range 60 {
		code, h := getStatus(t, gws[i%2], "/shared")
		switch code {
		case 200:
			admitted++
			if i < 3 {
				first = append(first, rFields(h.Get("RateLimit"))...)
			}
		case 429:
		default:
			t.Fatalf("request %d: got %d", i, code)
		}
	}
	if admitted != 40 {
		t.Errorf("got %d admitted across the gateways, want exactly the burst of 40", admitted)
	}
	// Each gateway's RateLimit says what Redis said when it took its lease,
	// less what it spent since.
	if want := []string{`"per-route"=39`, `"per-route"=29`, `"per-route"=38`}; !slices.Equal(first, want) {
		t.Errorf("RateLimit of the first requests: got %v, want %v", first, want)
	}
	for i, tg := range gws {
		m := tg.gw.rm
		if got := testutil.ToFloat64(m.leases); got != 2 {
			t.Errorf("gateway %d: %v leases, want 2", i, got)
		}
		if got := testutil.ToFloat64(m.leasedReqs); got != 20 {
			t.Errorf("gateway %d: %v leased requests, want 20", i, got)
		}
		if got := testutil.ToFloat64(m.leaseServed); got != 18 {
			t.Errorf("gateway %d: %v decisions served from leases, want 18", i, got)
		}
		if got := testutil.CollectAndCount(m.redisDuration); got != 1 {
			t.Errorf("gateway %d: %d Redis duration series, want 1", i, got)
		}
		if got := testutil.ToFloat64(m.decisions.WithLabelValues("per-route", "allowed")); got != 20 {
			t.Errorf("gateway %d: %v allowed decisions, want 20", i, got)
		}
	}
}
