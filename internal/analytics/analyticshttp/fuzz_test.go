package analyticshttp

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// FuzzBeaconHeaders posts one valid beacon with fuzzed headers (delivery
// key, Origin, bundle id, content type, and the edge's country and ISP)
// and holds the answer to its rules: never a failure of the service, only
// the statuses the document lists, and Access-Control-Allow-Origin
// exactly the request's Origin when, and only when, the batch was
// accepted from an origin. Every answer is also checked against
// api/analytics.yaml.
func FuzzBeaconHeaders(f *testing.F) {
	f.Add(keyA1, allowedOrigin, "", "application/json", "fr", "Orange")
	f.Add(keyA1, "", appBundleID, "application/json; charset=utf-8", "", "")
	f.Add(keyDisabled, "null", "", "text/plain", "ZZZ", "\x00")
	e := newEnv(f, Options{})
	body := batch(beacon{session: "fuzz", at: testNow.Add(-time.Minute)})
	ok := []int{http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound,
		http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity}
	f.Fuzz(func(t *testing.T, key, origin, bundle, contentType, country, isp string) {
		r := e.send(t, req{method: "POST", path: "/v1/beacons", body: body, header: map[string]string{
			DeliveryKeyHeader: key, "Origin": origin, BundleIDHeader: bundle, "Content-Type": contentType,
			DefaultCountryHeader: country, DefaultISPHeader: isp}})
		if !slices.Contains(ok, r.status) {
			t.Fatalf("got status %d: %s", r.status, r.raw)
		}
		acao, present := r.header["Access-Control-Allow-Origin"]
		wantACAO := origin != "" && (r.status == http.StatusOK || r.status == http.StatusUnprocessableEntity)
		if present != wantACAO || present && (len(acao) != 1 || acao[0] != origin) {
			t.Fatalf("status %d from origin %q: got Access-Control-Allow-Origin %q", r.status, origin, acao)
		}
	})
}
