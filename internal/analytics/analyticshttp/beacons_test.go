package analyticshttp

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

func TestPostBeaconsMixedBatch(t *testing.T) {
	e := newEnv(t, Options{})
	body := batch(
		beacon{session: "s1", seq: 0, at: testNow.Add(-time.Minute), extra: `,"startup_ms":900`},
		beacon{session: "s1", seq: 1, at: testNow, extra: `,"cdn_bytes":-1`}, // cdn_bytes twice: refused by the decoder
		beacon{session: "s2", seq: 0, at: testNow.Add(-72 * time.Hour)},      // older than the late window
		beacon{session: "s2", seq: 1, at: testNow.Add(time.Hour)},            // ahead of the clock
		beacon{raw: `{}`},
		beacon{session: "s3", seq: 0, at: testNow},
	)
	r := e.post(t, keyA1, allowedOrigin, body)
	wantStatus(t, "mixed batch", r, http.StatusOK)
	if r.body["accepted"] != 2.0 || r.body["duplicates"] != 0.0 {
		t.Errorf("counts: got %s", r.raw)
	}
	want := []string{"/beacons/1/cdn_bytes", "/beacons/2/time", "/beacons/3/time", "/beacons/4/session_id"}
	if got := pointers(r, "refused"); !slices.Equal(got, want) {
		t.Errorf("refused pointers: got %v, want %v", got, want)
	}
	var reasons []string
	for _, it := range r.body["refused"].([]any) {
		reasons = append(reasons, it.(map[string]any)["reason"].(string))
	}
	if want := []string{"invalid", "too-late", "too-early", "invalid"}; !slices.Equal(reasons, want) {
		t.Errorf("reasons: got %v, want %v", reasons, want)
	}
	if got := r.header.Get("Access-Control-Allow-Origin"); got != allowedOrigin {
		t.Errorf("Access-Control-Allow-Origin: got %q, want %q", got, allowedOrigin)
	}
	if r.header.Get("Vary") != "Origin" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: got %v", r.header)
	}
}

func TestPostBeaconsDuplicates(t *testing.T) {
	e := newEnv(t, Options{})
	body := batch(beacon{session: "s1", seq: 0, at: testNow}, beacon{session: "s1", seq: 1, at: testNow})
	wantStatus(t, "first", e.post(t, keyA1, allowedOrigin, body), http.StatusOK)
	r := e.post(t, keyA1, allowedOrigin, body)
	wantStatus(t, "retry", r, http.StatusOK)
	if r.body["accepted"] != 0.0 || r.body["duplicates"] != 2.0 || len(r.body["refused"].([]any)) != 0 {
		t.Errorf("retry: got %s", r.raw)
	}
	// A retry with one beacon more, and one repeated in the batch.
	r = e.post(t, keyA1, allowedOrigin, batch(beacon{session: "s1", seq: 1, at: testNow}, beacon{session: "s1", seq: 2, at: testNow},
		beacon{session: "s1", seq: 2, at: testNow}))
	wantStatus(t, "partial retry", r, http.StatusOK)
	if r.body["accepted"] != 1.0 || r.body["duplicates"] != 1.0 {
		t.Errorf("partial retry: got %s", r.raw)
	}
	if got := pointers(r, "refused"); !slices.Equal(got, []string{"/beacons/2"}) {
		t.Errorf("repeated in batch: got %v", got)
	}
}

func TestPostBeaconsAllRefused(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.post(t, keyA1, allowedOrigin, batch(
		beacon{session: "s1", seq: 0, at: testNow, extra: `,"network":"carrier-pigeon"`},
		beacon{session: "s1", seq: 1, at: testNow.Add(-72 * time.Hour)},
	))
	wantProblem(t, "all refused", r, http.StatusUnprocessableEntity, ProblemInvalidBeacons, "")
	if got, want := pointers(r, "refused"), []string{"/beacons/0/network", "/beacons/1/time"}; !slices.Equal(got, want) {
		t.Errorf("refused: got %v, want %v", got, want)
	}
	if got := r.header.Get("Access-Control-Allow-Origin"); got != allowedOrigin {
		t.Errorf("an allowed origin's 422 is readable: got Access-Control-Allow-Origin %q", got)
	}
	// An empty batch stored nothing and refused nothing.
	r = e.post(t, keyA1, allowedOrigin, `{"beacons":[]}`)
	wantStatus(t, "empty batch", r, http.StatusOK)
}

func TestPostBeaconsRefusedBatch(t *testing.T) {
	e := newEnv(t, Options{})
	body := batch(beacon{session: "s1", seq: 0, at: testNow})
	for _, c := range []struct {
		name, key, origin, bundle string
		status                    int
		slug, reason              string
	}{
		{"unknown key", keyUnknown, allowedOrigin, "", http.StatusNotFound, "not-found", "unknown-delivery-key"},
		{"disabled", keyDisabled, allowedOrigin, "", http.StatusForbidden, ProblemBeaconsRefused, "integration-disabled"},
		{"origin not allowed", keyA1, "https://evil.example", "", http.StatusForbidden, ProblemBeaconsRefused, "origin-not-allowed"},
		{"origin of another integration", keyB1, allowedOrigin, "", http.StatusForbidden, ProblemBeaconsRefused, "origin-not-allowed"},
		{"no origin nor app", keyA1, "", "", http.StatusForbidden, ProblemBeaconsRefused, "origin-missing"},
		{"another app", keyA1, "", "com.example.other", http.StatusForbidden, ProblemBeaconsRefused, "bundle-id-not-allowed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			hd := map[string]string{DeliveryKeyHeader: c.key}
			if c.origin != "" {
				hd["Origin"] = c.origin
			}
			if c.bundle != "" {
				hd[BundleIDHeader] = c.bundle
			}
			r := e.send(t, req{method: "POST", path: "/v1/beacons", body: body, header: hd})
			wantProblem(t, c.name, r, c.status, c.slug, c.reason)
			if got := r.header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("a refused batch's answer is readable by %q", got)
			}
		})
	}
	// The app of the integration, and a wildcard domain of a bypassed one.
	r := e.send(t, req{method: "POST", path: "/v1/beacons", body: body, header: map[string]string{DeliveryKeyHeader: keyA1, BundleIDHeader: appBundleID}})
	wantStatus(t, "app", r, http.StatusOK)
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("app: got Access-Control-Allow-Origin %q", r.header.Get("Access-Control-Allow-Origin"))
	}
	wantStatus(t, "bypassed", e.post(t, keyA2, "https://player.cdn.example.net", body), http.StatusOK)
}

func TestPostBeaconsMalformedRequests(t *testing.T) {
	e := newEnv(t, Options{MaxBodyBytes: 2048, MaxBatch: 3})
	good := batch(beacon{session: "s1", seq: 0, at: testNow})
	large := `{"beacons":[` + strings.Repeat(`{},`, 1000) + `{}]}`
	three := batch(beacon{session: "a", at: testNow}, beacon{session: "b", at: testNow}, beacon{session: "c", at: testNow}, beacon{session: "d", at: testNow})
	for _, c := range []struct {
		name         string
		r            req
		status       int
		slug, reason string
	}{
		{"no key", req{body: good, header: map[string]string{"Origin": allowedOrigin}}, http.StatusBadRequest, "bad-request", ""},
		{"form body", req{body: good, header: map[string]string{DeliveryKeyHeader: keyA1, "Content-Type": "application/x-www-form-urlencoded"}},
			http.StatusUnsupportedMediaType, "unsupported-media-type", ""},
		{"no content type", req{body: good, header: map[string]string{DeliveryKeyHeader: keyA1, "Content-Type": ""}},
			http.StatusUnsupportedMediaType, "unsupported-media-type", ""},
		{"too large", req{body: large, header: map[string]string{DeliveryKeyHeader: keyA1}},
			http.StatusRequestEntityTooLarge, "body-too-large", ""},
		{"too large, chunked", req{body: large, chunked: true, header: map[string]string{DeliveryKeyHeader: keyA1}},
			http.StatusRequestEntityTooLarge, "body-too-large", ""},
		{"too many beacons", req{body: three, header: map[string]string{DeliveryKeyHeader: keyA1}},
			http.StatusRequestEntityTooLarge, "body-too-large", "too-many-beacons"},
		{"not JSON", req{body: `{"beacons":[`, header: map[string]string{DeliveryKeyHeader: keyA1}},
			http.StatusBadRequest, "bad-request", "malformed"},
		{"not a batch", req{body: `[]`, header: map[string]string{DeliveryKeyHeader: keyA1}},
			http.StatusBadRequest, "bad-request", "malformed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.r.method, c.r.path = "POST", "/v1/beacons"
			wantProblem(t, c.name, e.send(t, c.r), c.status, c.slug, c.reason)
		})
	}
	r := e.send(t, req{method: "POST", path: "/v1/beacons", body: good,
		header: map[string]string{DeliveryKeyHeader: keyA1, "Origin": allowedOrigin, "Content-Type": "application/json; charset=utf-8"}})
	wantStatus(t, "charset", r, http.StatusOK)
}

func TestPostBeaconsResolverUnavailable(t *testing.T) {
	e := newEnv(t, Options{})
	e.resolver.setUnavailable(true)
	r := e.post(t, keyA1, allowedOrigin, batch(beacon{session: "s1", seq: 0, at: testNow}))
	wantProblem(t, "unavailable", r, http.StatusServiceUnavailable, "dependency-unavailable", "")
	if got := r.header.Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After: got %q, want 5", got)
	}
	e.resolver.setUnavailable(false)
	wantStatus(t, "available again", e.post(t, keyA1, allowedOrigin, batch(beacon{session: "s1", seq: 0, at: testNow})), http.StatusOK)
}

// busyStore refuses every insert as a GroupCommit at its bound does.
type busyStore struct{ analytics.Store }

func (busyStore) InsertBeacons(context.Context, []analytics.Ingested) ([]analytics.Ingested, error) {
	return nil, fmt.Errorf("group commit: %w", analytics.ErrBusy)
}

func TestPostBeaconsBusy(t *testing.T) {
	res := newFakeResolver()
	e := newEnvStore(t, Options{}, res, func(s analytics.Store) analytics.Store { return busyStore{s} })
	e.resolver = res
	r := e.post(t, keyA1, allowedOrigin, batch(beacon{session: "s1", seq: 0, at: testNow}))
	wantProblem(t, "busy", r, http.StatusTooManyRequests, ProblemSlowDown, "")
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After: got %q, want 1", got)
	}
}

func TestPreflightBeacons(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.send(t, req{method: "OPTIONS", path: "/v1/beacons", header: map[string]string{
		"Origin": "https://any.example", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "content-type, portico-delivery-key"}})
	wantStatus(t, "preflight", r, http.StatusNoContent)
	for k, want := range map[string]string{
		"Access-Control-Allow-Origin":  "https://any.example",
		"Access-Control-Allow-Methods": "POST",
		"Access-Control-Allow-Headers": "Content-Type, Portico-Delivery-Key, Portico-Bundle-Id",
		"Access-Control-Max-Age":       "86400",
		"Allow":                        "OPTIONS, POST",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s: got %q, want %q", k, got, want)
		}
	}
	if r.raw != "" {
		t.Errorf("preflight body: %q", r.raw)
	}
	r = e.send(t, req{method: "OPTIONS", path: "/v1/beacons"})
	wantStatus(t, "plain OPTIONS", r, http.StatusNoContent)
	if r.header.Get("Access-Control-Allow-Origin") != "" || r.header.Get("Allow") != "OPTIONS, POST" {
		t.Errorf("plain OPTIONS: got %v", r.header)
	}
}

// TestPostBeaconsTrustedHeaders checks that country and ISP come from
// the configured headers, and only from them.
func TestPostBeaconsTrustedHeaders(t *testing.T) {
	e := newEnv(t, Options{CountryHeader: "CloudFront-Viewer-Country", ISPHeader: "X-Edge-ISP"})
	send := func(session string, hd map[string]string) {
		t.Helper()
		hd[DeliveryKeyHeader], hd["Origin"] = keyA1, allowedOrigin
		r := e.send(t, req{method: "POST", path: "/v1/beacons", body: batch(beacon{session: session, at: testNow.Add(-time.Minute)}), header: hd})
		wantStatus(t, session, r, http.StatusOK)
	}
	send("fr", map[string]string{"CloudFront-Viewer-Country": "fr", "X-Edge-ISP": "Orange"})
	send("de", map[string]string{"CloudFront-Viewer-Country": "DE", "X-Client-Country": "FR"})
	send("bad", map[string]string{"CloudFront-Viewer-Country": "France"})
	r := e.get(t, analyticsPath(orgA, "dimensions/country")+"?timeframe=1h", e.viewer(t))
	wantStatus(t, "countries", r, http.StatusOK)
	if got, want := valuesOf(r), []string{":1", "DE:1", "FR:1"}; !slices.Equal(got, want) {
		t.Errorf("countries: got %v, want %v", got, want)
	}
	r = e.get(t, analyticsPath(orgA, "dimensions/isp")+"?timeframe=1h", e.viewer(t))
	if got, want := valuesOf(r), []string{":2", "Orange:1"}; !slices.Equal(got, want) {
		t.Errorf("ISPs: got %v, want %v", got, want)
	}
}

func TestBeaconIndexes(t *testing.T) {
	refusals := func(idx ...int) []analytics.Refusal {
		out := make([]analytics.Refusal, len(idx))
		for i, n := range idx {
			out[i] = analytics.Refusal{Index: n}
		}
		return out
	}
	for _, c := range []struct {
		n       int
		refused []analytics.Refusal
		want    []int
	}{
		{3, nil, nil},
		{2, refusals(0), []int{1, 2}},
		{2, refusals(1, 3), []int{0, 2}},
		{1, refusals(0, 1, 2), []int{3}},
		{2, refusals(3, 0), []int{1, 2}},
		{0, refusals(0, 1), []int{}},
	} {
		if got := beaconIndexes(c.n, c.refused); !slices.Equal(got, c.want) {
			t.Errorf("%d beacons, refused %v: got %v, want %v", c.n, c.refused, got, c.want)
		}
	}
}

// TestPostBeaconsSendBeacon: a page being closed sends its last beacons
// with navigator.sendBeacon, which sets no header: the key comes in the
// query, the same JSON as text/plain; the Origin is checked as always.
func TestPostBeaconsSendBeacon(t *testing.T) {
	e := newEnv(t, Options{})
	body := batch(beacon{session: "s1", seq: 0, at: testNow}, beacon{session: "s1", seq: 1, at: testNow})
	send := func(origin string) response {
		return e.send(t, req{method: "POST", path: "/v1/beacons?" + DeliveryKeyParam + "=" + keyA1, body: body,
			header: map[string]string{"Content-Type": "text/plain;charset=UTF-8", "Origin": origin}})
	}
	wantProblem(t, "another site", send("https://evil.example"), http.StatusForbidden, ProblemBeaconsRefused, "origin-not-allowed")
	r := send(allowedOrigin)
	wantStatus(t, "sendBeacon", r, http.StatusOK)
	if r.body["accepted"] != 2.0 {
		t.Errorf("sendBeacon: got %s, want both beacons stored", r.raw)
	}
}

// TestBodyBuffersKeepSmallOnes checks the pool of batch buffers: a buffer
// larger than maxPooledBody is not kept, and a kept one comes back empty.
func TestBodyBuffersKeepSmallOnes(t *testing.T) {
	large := bytes.NewBuffer(make([]byte, 0, maxPooledBody+1))
	large.WriteString("a large batch")
	putBodyBuffer(large)
	for range 100 {
		b := bodyBuffers.Get().(*bytes.Buffer)
		if b == large {
			t.Fatalf("a buffer of %d bytes came back from the pool (the most kept is %d)", large.Cap(), maxPooledBody)
		}
		defer bodyBuffers.Put(b)
	}

	small := bytes.NewBuffer(make([]byte, 0, 1024))
	small.WriteString("a batch")
	putBodyBuffer(small)
	if small.Len() != 0 {
		t.Errorf("a pooled buffer keeps %q", small.String())
	}
}
