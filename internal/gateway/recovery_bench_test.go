package gateway

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// recoveryOutage is how long the target is away in
// BenchmarkRecoveryAfterOutage.
const recoveryOutage = 2 * time.Second

// BenchmarkRecoveryAfterOutage is the real-time check of recovery, end to
// end: a gateway with the default breaker, four clients sending requests
// without pause, and the service's only target gone for 2s, then back on
// the same address. It reports how long after the target's return the
// gateway answered 2xx again (ms-after-return; with the defaults, about
// 1000: the breaker opened for 1s, then 2s after a failed trial) and what
// the clients got meanwhile. The property is tested without wall-clock
// time by upstream's TestRecoveryAfterShortOutage; this only shows the
// figure:
//
//	go test -run=NONE -bench=RecoveryAfterOutage -benchtime=3x ./internal/gateway/
func BenchmarkRecoveryAfterOutage(b *testing.B) {
	var after time.Duration
	var refused, failed, n int64
	for b.Loop() {
		a, r, f := runOutage(b)
		after += a
		refused += r
		failed += f
		n++
	}
	b.ReportMetric(float64(after.Milliseconds())/float64(n), "ms-after-return")
	b.ReportMetric(float64(refused)/float64(n), "503s/op")
	b.ReportMetric(float64(failed)/float64(n), "502s/op")
}

// runOutage runs one outage and returns the time from the target's return
// to the first 2xx, and the 503 and other failed answers of the whole run.
func runOutage(b *testing.B) (after time.Duration, refusedN, failedN int64) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	target := &http.Server{Handler: handler}
	go func() { _ = target.Serve(ln) }()

	cfg := mustConfig(b, `
version: 1
services:
  a: {targets: ["http://${A}"]}
routes:
  - {name: all, path: "/{rest...}", service: a}
`, map[string]string{"A": addr})
	gw, err := New(cfg, Options{
		Logger:     slog.New(slog.DiscardHandler),
		AccessLog:  io.Discard,
		Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer func() {
		srv.Close()
		gw.Close()
	}()

	var (
		ok, refused, failed atomic.Int64
		returned            atomic.Int64 // unix nanoseconds of the target's return, 0 before
		firstOK             atomic.Int64 // unix nanoseconds of the first 2xx after it
		recovered           = make(chan struct{})
		once                sync.Once
	)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/x", nil)
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				switch {
				case resp.StatusCode == 200:
					ok.Add(1)
					if returned.Load() != 0 {
						firstOK.CompareAndSwap(0, time.Now().UnixNano())
						once.Do(func() { close(recovered) })
					}
				case resp.StatusCode == 503:
					refused.Add(1)
				default:
					failed.Add(1)
				}
			}
		})
	}
	defer func() {
		cancel()
		wg.Wait()
	}()

	time.Sleep(200 * time.Millisecond) // warm: connections open, requests flowing
	_ = target.Close()
	time.Sleep(recoveryOutage)
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		b.Fatalf("listen again on %s: %v", addr, err)
	}
	returned.Store(time.Now().UnixNano())
	again := &http.Server{Handler: handler}
	go func() { _ = again.Serve(ln) }()
	defer again.Close()
	select {
	case <-recovered:
	case <-time.After(30 * time.Second):
		b.Fatalf("no 2xx within 30s of the target's return")
	}
	return time.Duration(firstOK.Load() - returned.Load()), refused.Load(), failed.Load()
}
