package analyticshttp

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkPostBeacons posts batches of 100 beacons through the handler
// into a Service on SQLite: new ones (each batch new sessions, so every
// beacon is stored and added to the rollups), and a retry of a stored
// batch (every beacon a duplicate).
func BenchmarkPostBeacons(b *testing.B) {
	const perBatch = 100
	body := func(n int) string {
		bs := make([]beacon, perBatch)
		for j := range bs {
			bs[j] = beacon{session: fmt.Sprintf("b%08d-%03d", n, j), at: testNow.Add(-time.Duration(j) * time.Second),
				extra: `,"player":"hls.js/1.5.7","sdk_version":"2.3.0","network":"wifi"`}
		}
		return batch(bs...)
	}
	post := func(b *testing.B, h http.Handler, body string) {
		r := httptest.NewRequestWithContext(b.Context(), "POST", "/v1/beacons", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(DeliveryKeyHeader, keyA1)
		r.Header.Set("Origin", allowedOrigin)
		r.Header.Set(DefaultCountryHeader, "FR")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatalf("got %d: %s", rec.Code, rec.Body)
		}
	}
	b.Run("new", func(b *testing.B) {
		e := newEnv(b, Options{})
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			b.StopTimer()
			doc := body(n)
			n++
			b.StartTimer()
			post(b, e.h, doc)
		}
		b.ReportMetric(float64(n*perBatch)/b.Elapsed().Seconds(), "beacons/s")
	})
	b.Run("duplicate", func(b *testing.B) {
		e := newEnv(b, Options{})
		doc := body(0)
		post(b, e.h, doc)
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			post(b, e.h, doc)
			n++
		}
		b.ReportMetric(float64(n*perBatch)/b.Elapsed().Seconds(), "beacons/s")
	})
}
