package analyticshttp

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/identity"
)

func analyticsPath(org, rest string) string { return "/v1/orgs/" + org + "/analytics/" + rest }

// valuesOf returns the data of a dimension values answer as
// "value:beacons".
func valuesOf(r response) []string {
	var out []string
	data, _ := r.body["data"].([]any)
	for _, it := range data {
		m := it.(map[string]any)
		out = append(out, fmt.Sprintf("%s:%v", m["value"], m["beacons"]))
	}
	return out
}

// seed ingests the traffic the query tests read, through the API: in
// orgA, sessions v1 (two beacons, France, web) and v2 (one, Germany, the
// app) of int_a1 and v3 (one) of int_a2; in orgB one session. Every
// beacon carries 1 MB over the CDN, 3 MB over P2P and 10 s played.
func seed(tb testing.TB, e *env) {
	tb.Helper()
	for _, s := range []struct {
		key, origin, country string
		beacons              []beacon
	}{
		{keyA1, allowedOrigin, "FR", []beacon{{session: "v1", at: testNow.Add(-30 * time.Minute)}, {session: "v1", seq: 1, at: testNow.Add(-29 * time.Minute)}}},
		{keyA1, "", "DE", []beacon{{session: "v2", at: testNow.Add(-2 * time.Hour), extra: `,"platform":"android"`}}},
		{keyA2, "https://www.cdn.example.net", "", []beacon{{session: "v3", at: testNow.Add(-10 * time.Minute)}}},
		{keyB1, "https://other.example", "FR", []beacon{{session: "b1", at: testNow.Add(-10 * time.Minute)}}},
	} {
		hd := map[string]string{DeliveryKeyHeader: s.key, DefaultCountryHeader: s.country}
		if s.origin != "" {
			hd["Origin"] = s.origin
		} else {
			hd[BundleIDHeader] = appBundleID
		}
		r := e.send(tb, req{method: "POST", path: "/v1/beacons", body: batch(s.beacons...), header: hd})
		if r.status != http.StatusOK || r.body["accepted"] != float64(len(s.beacons)) {
			tb.Fatalf("seed: got %d %s", r.status, r.raw)
		}
	}
}

func TestOverall(t *testing.T) {
	e := newEnv(t, Options{})
	seed(t, e)
	tok := e.viewer(t)
	for _, c := range []struct {
		query string
		want  any
		unit  string
	}{
		{"metric=beacons", 4.0, "beacons"},
		{"metric=viewers", 3.0, "sessions"},
		{"metric=cdn_bytes&timeframe[]=24h", 4e6, "bytes"},
		{"metric=offload_ratio", 0.75, "ratio"},
		{"metric=watch_time&filters[]=country:fr", 20000.0, "ms"},
		{"metric=viewers&filters[]=!integration:int_a2&filters[]=platform:web", 1.0, "sessions"},
		{"metric=offload_ratio&filters[]=country:US", nil, "ratio"},
		{"metric=rebuffering_ratio&timeframe[]=2026-03-09T00:00:00Z&timeframe[]=2026-03-10T00:00:00Z", nil, "ratio"},
	} {
		t.Run(c.query, func(t *testing.T) {
			r := e.get(t, analyticsPath(orgA, "overall?"+c.query), tok)
			wantStatus(t, c.query, r, http.StatusOK)
			data := r.body["data"].(map[string]any)
			if got := data["value"]; got != c.want {
				t.Errorf("value: got %v, want %v", got, c.want)
			}
			if r.body["unit"] != c.unit || r.body["approximate"] != false {
				t.Errorf("got %s", r.raw)
			}
		})
	}
	r := e.get(t, analyticsPath(orgA, "overall?metric=beacons&timeframe=24h&timezone=Europe/Paris"), tok)
	wantStatus(t, "frame", r, http.StatusOK)
	tf := r.body["timeframe"].([]any)
	if tf[0] != "2026-03-09T12:00:00Z" || tf[1] != "2026-03-10T13:00:00Z" || r.body["granularity"] != "hour" ||
		r.body["timezone"] != "Europe/Paris" || r.body["metric"] != "beacons" {
		t.Errorf("frame: got %s", r.raw)
	}
}

func TestTimeseries(t *testing.T) {
	e := newEnv(t, Options{})
	seed(t, e)
	r := e.get(t, analyticsPath(orgA, "timeseries?metric=beacons&timeframe[]=6h"), e.viewer(t))
	wantStatus(t, "timeseries", r, http.StatusOK)
	data := r.body["data"].([]any)
	// 06:30 to 12:30, ten-minute buckets.
	if len(data) != 36 || r.body["granularity"] != "ten_minute" {
		t.Fatalf("got %d points of %v", len(data), r.body["granularity"])
	}
	got := map[string]any{}
	for _, p := range data {
		m := p.(map[string]any)
		if m["value"] != 0.0 {
			got[m["start"].(string)] = m["value"]
		}
	}
	want := map[string]any{"2026-03-10T10:30:00Z": 1.0, "2026-03-10T12:00:00Z": 2.0, "2026-03-10T12:20:00Z": 1.0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("non-empty buckets: got %v, want %v", got, want)
	}
	r = e.get(t, analyticsPath(orgA, "timeseries?metric=offload_ratio&timeframe=90m"), e.viewer(t))
	wantStatus(t, "ratio series", r, http.StatusOK)
	if first := r.body["data"].([]any)[0].(map[string]any); first["value"] != nil {
		t.Errorf("an empty bucket's ratio: got %v, want null", first["value"])
	}
}

func TestBreakdownPages(t *testing.T) {
	e := newEnv(t, Options{})
	seed(t, e)
	tok := e.viewer(t)
	r := e.get(t, analyticsPath(orgA, "breakdown?metric=cdn_bytes&group_by=integration&limit=1"), tok)
	wantStatus(t, "page 1", r, http.StatusOK)
	rows := r.body["data"].([]any)
	cursor, _ := r.body["next_cursor"].(string)
	if len(rows) != 1 || fmt.Sprint(rows[0]) != "map[key:int_a1 value:3e+06]" || cursor == "" || r.body["group_by"] != "integration" {
		t.Fatalf("page 1: got %s", r.raw)
	}
	r = e.get(t, analyticsPath(orgA, "breakdown?metric=cdn_bytes&group_by=integration&limit=1&cursor="+url.QueryEscape(cursor)), tok)
	wantStatus(t, "page 2", r, http.StatusOK)
	if rows := r.body["data"].([]any); len(rows) != 1 || fmt.Sprint(rows[0]) != "map[key:int_a2 value:1e+06]" || r.body["next_cursor"] != nil {
		t.Fatalf("page 2: got %s", r.raw)
	}
	r = e.get(t, analyticsPath(orgA, "breakdown?metric=viewers&group_by=country&order_by=key"), tok)
	wantStatus(t, "by country", r, http.StatusOK)
	var keys []string
	for _, row := range r.body["data"].([]any) {
		m := row.(map[string]any)
		keys = append(keys, fmt.Sprintf("%s=%v", m["key"], m["value"]))
	}
	if want := []string{"=1", "DE=1", "FR=1"}; !slices.Equal(keys, want) {
		t.Errorf("by country: got %v, want %v", keys, want)
	}
	r = e.get(t, analyticsPath(orgA, "breakdown?metric=viewers"), tok)
	wantProblem(t, "no group_by", r, http.StatusBadRequest, "invalid-argument", "")
	if got := pointers(r, "errors"); !slices.Equal(got, []string{"/group_by"}) {
		t.Errorf("no group_by: got %v", got)
	}
	r = e.get(t, analyticsPath(orgA, "breakdown?metric=viewers&group_by=country&cursor=bm9wZQ"), tok)
	wantProblem(t, "foreign cursor", r, http.StatusBadRequest, "invalid-argument", "")
}

func TestDimensions(t *testing.T) {
	e := newEnv(t, Options{})
	seed(t, e)
	tok := e.viewer(t)
	r := e.get(t, analyticsPath(orgA, "dimensions"), tok)
	wantStatus(t, "dimensions", r, http.StatusOK)
	if got := fmt.Sprint(r.body["data"]); got != "[integration content_id stream_type platform country isp]" {
		t.Errorf("dimensions: got %s", got)
	}
	wantProblem(t, "dimensions with a parameter", e.get(t, analyticsPath(orgA, "dimensions?timeframe=1h"), tok),
		http.StatusBadRequest, "invalid-argument", "")
	r = e.get(t, analyticsPath(orgA, "dimensions/platform"), tok)
	wantStatus(t, "platforms", r, http.StatusOK)
	if got, want := valuesOf(r), []string{"web:3", "android:1"}; !slices.Equal(got, want) {
		t.Errorf("platforms: got %v, want %v", got, want)
	}
	if r.body["dimension"] != "platform" {
		t.Errorf("got %s", r.raw)
	}
	r = e.get(t, analyticsPath(orgA, "dimensions/country?limit=1&filters[]=platform:web"), tok)
	if got, want := valuesOf(r), []string{"FR:2"}; !slices.Equal(got, want) {
		t.Errorf("countries of web: got %v, want %v", got, want)
	}
	wantProblem(t, "unknown dimension", e.get(t, analyticsPath(orgA, "dimensions/browser"), tok), http.StatusNotFound, "not-found", "")
	r = e.get(t, analyticsPath(orgA, "dimensions/country?metric=viewers&cursor=x"), tok)
	wantProblem(t, "metric of values", r, http.StatusBadRequest, "invalid-argument", "")
	if got := pointers(r, "errors"); !slices.Equal(got, []string{"/metric", "/cursor"}) {
		t.Errorf("metric of values: got %v", got)
	}
}

func TestUsage(t *testing.T) {
	e := newEnv(t, Options{})
	seed(t, e)
	r := e.get(t, analyticsPath(orgA, "usage?timeframe=24h"), e.viewer(t))
	wantStatus(t, "usage", r, http.StatusOK)
	want := "[map[cdn_bytes:3e+06 integration_id:int_a1 p2p_bytes:9e+06 upload_bytes:0 viewers:2 viewers_approximate:false watch_time_ms:30000] " +
		"map[cdn_bytes:1e+06 integration_id:int_a2 p2p_bytes:3e+06 upload_bytes:0 viewers:1 viewers_approximate:false watch_time_ms:10000]]"
	if got := fmt.Sprint(r.body["data"]); got != want {
		t.Errorf("usage:\ngot  %s\nwant %s", got, want)
	}
	// Beyond the raw retention, viewers come from sketches.
	r = e.get(t, analyticsPath(orgA, "usage?timeframe=8d"), e.viewer(t))
	if got := fmt.Sprint(r.body["data"]); strings.Count(got, "viewers_approximate:true") != 2 {
		t.Errorf("usage over 8 days: got %s", got)
	}
	r = e.get(t, analyticsPath(orgB, "usage"), e.member(t, "owner2", orgB, "owner"))
	if got := fmt.Sprint(r.body["data"]); !strings.Contains(got, "int_b1") || strings.Contains(got, "int_a") {
		t.Errorf("orgB usage: got %s", got)
	}
	r = e.get(t, analyticsPath(orgA, "usage?metric=viewers&limit=5"), e.viewer(t))
	if got := pointers(r, "errors"); !slices.Equal(got, []string{"/metric", "/limit"}) {
		t.Errorf("usage parameters: got %v", got)
	}
}

func TestQueryCallers(t *testing.T) {
	e := newEnv(t, Options{})
	seed(t, e)
	path := "overall?metric=viewers"
	for _, c := range []struct {
		name   string
		token  string
		status int
		slug   string
	}{
		{"viewer", e.viewer(t), http.StatusOK, ""},
		{"staff", e.staff(t), http.StatusOK, ""},
		{"machine with analytics:read", e.machine(t, orgA, analytics.ScopeRead), http.StatusOK, ""},
		{"machine without analytics:read", e.machine(t, orgA, "configs:read"), http.StatusForbidden, "forbidden"},
		{"machine of another organization", e.machine(t, orgB, analytics.ScopeRead), http.StatusNotFound, "not-found"},
		{"member of another organization", e.member(t, "owner2", orgB, "owner"), http.StatusNotFound, "not-found"},
		{"no token", "", http.StatusUnauthorized, "unauthenticated"},
		{"bad token", "not.a.token", http.StatusUnauthorized, "invalid-token"},
		{"machine of two organizations", e.sign(t, identity.Claims{Subject: "key_2", Kind: identity.KindAPIKey,
			Orgs: []identity.OrgRole{{ID: orgA, Role: "scoped"}, {ID: orgB, Role: "scoped"}}, Scopes: []string{analytics.ScopeRead}}),
			http.StatusForbidden, "forbidden"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range []string{path, "timeseries?metric=beacons", "breakdown?metric=beacons&group_by=platform",
				"dimensions", "dimensions/isp", "usage"} {
				r := e.get(t, analyticsPath(orgA, p), c.token)
				if c.slug == "" {
					wantStatus(t, p, r, c.status)
				} else {
					wantProblem(t, p, r, c.status, c.slug, "")
				}
			}
		})
	}
}

func TestInvalidQueries(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.viewer(t)
	for _, c := range []struct {
		path     string
		pointers []string
		detail   string
	}{
		{"overall?metric=nope&timeframe[]=7x&bogus=1&group_by=country", []string{"/metric", "/timeframe", "/bogus", "/group_by"}, ""},
		{"overall", []string{"/metric"}, ""},
		{"timeseries?metric=viewers&granularity=minute&timeframe=7d", []string{"/granularity"}, ""},
		{"timeseries?metric=viewers&filters[]=country:France&filters[]=planet:mars&limit=3", []string{"/filters/0", "/filters/1", "/limit"}, ""},
		{"overall?metric=viewers&timezone=Mars/Olympus", []string{"/timezone"}, ""},
		{"overall?metric=viewers&timeframe=%zz", []string{""}, "the query string is malformed"},
		// Too much to read: the domain's own words.
		{"overall?metric=peak_concurrent&timeframe=60d", nil, "31 days"},
		{"timeseries?metric=cdn_bytes&timeframe=380d&granularity=day&timezone=Asia/Kolkata", nil, "7 days of minute rollups"},
	} {
		t.Run(c.path, func(t *testing.T) {
			r := e.get(t, analyticsPath(orgA, c.path), tok)
			wantProblem(t, c.path, r, http.StatusBadRequest, "invalid-argument", "")
			if got := pointers(r, "errors"); c.pointers != nil && !slices.Equal(got, c.pointers) {
				t.Errorf("pointers: got %v, want %v", got, c.pointers)
			}
			if detail := fmt.Sprint(r.body["detail"], r.body["errors"]); !strings.Contains(detail, c.detail) {
				t.Errorf("detail: got %s, want it to say %q", detail, c.detail)
			}
		})
	}
	wantProblem(t, "non-member, invalid query", e.get(t, analyticsPath(orgB, "overall?metric=viewers"), tok), http.StatusNotFound, "not-found", "")
}

// TestReadableAgreesWithService holds readable, the rule the dimensions
// list applies without a query, to the Service's own.
func TestReadableAgreesWithService(t *testing.T) {
	e := newEnv(t, Options{})
	q, err := analytics.ParseQuery(orgA, url.Values{"metric": {"beacons"}}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	principals := map[string]identity.Claims{
		"member":          {Subject: "m", Kind: identity.KindUser, Orgs: []identity.OrgRole{{ID: orgA, Role: "viewer"}}},
		"other member":    {Subject: "m", Kind: identity.KindUser, Orgs: []identity.OrgRole{{ID: orgB, Role: "owner"}}},
		"staff":           {Subject: "s", Kind: identity.KindUser, Staff: true},
		"machine":         {Subject: "k", Kind: identity.KindAPIKey, OrgID: orgA, Scopes: []string{analytics.ScopeRead}},
		"machine no read": {Subject: "k", Kind: identity.KindClient, Orgs: []identity.OrgRole{{ID: orgA, Role: "scoped"}}},
		"other machine":   {Subject: "k", Kind: identity.KindClient, Orgs: []identity.OrgRole{{ID: orgB, Role: "scoped"}}, Scopes: []string{analytics.ScopeRead}},
		"machine staff":   {Subject: "k", Kind: identity.KindAPIKey, OrgID: orgB, Staff: true, Scopes: []string{analytics.ScopeRead}},
	}
	for name, c := range principals {
		p, err := analytics.NewPrincipal(&c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, want := e.svc.Overall(t.Context(), p, q)
		if got := readable(p, orgA); analytics.Code(got) != analytics.Code(want) || analytics.SafeMessage(got) != analytics.SafeMessage(want) {
			t.Errorf("%s: readable says %v, the Service %v", name, got, want)
		}
	}
}
