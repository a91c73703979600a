package simulate

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// benchBatches are two hours of the tests' traffic, as players batch it.
func benchBatches(tb testing.TB) []Batch {
	tb.Helper()
	o := testOptions()
	o.Start = testEnd.Add(-2 * time.Hour)
	return collect(mustNew(tb, o))
}

// BenchmarkEncodeBatch encodes the batches of two hours of traffic, one
// an iteration.
func BenchmarkEncodeBatch(b *testing.B) {
	batches := benchBatches(b)
	b.ReportAllocs()
	n, i := 0, 0
	for b.Loop() {
		EncodeBatch(batches[i].Beacons)
		n += len(batches[i].Beacons)
		i = (i + 1) % len(batches)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/beacon")
}

// standInEnv is set in the environment of the process that
// BenchmarkSendHTTP starts to serve its batches.
const standInEnv = "PORTICO_SIMULATE_STAND_IN"

// TestMain makes the test binary the stand-in of the service when
// BenchmarkSendHTTP starts it so, and runs the tests otherwise.
func TestMain(m *testing.M) {
	if os.Getenv(standInEnv) != "" {
		serveStandIn()
		return
	}
	os.Exit(m.Run())
}

// serveStandIn answers batches as the service does when it stores all of
// them, with the headers of its answer: it prints its URL and serves
// until its standard input closes. It counts beacons by their session_id
// members rather than decoding them.
func serveStandIn() {
	member := []byte(`"session_id":`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Vary", "Origin")
		if o := r.Header.Get("Origin"); o != "" {
			h.Set("Access-Control-Allow-Origin", o)
		}
		io.WriteString(w, `{"accepted":`+strconv.Itoa(bytes.Count(body, member))+`,"duplicates":0,"refused":[]}`)
	}))
	defer srv.Close()
	fmt.Println(srv.URL)
	io.Copy(io.Discard, os.Stdin)
}

// startStandIn runs serveStandIn in a process of its own, so that
// the CPU this process uses is the client's alone, and returns its URL.
func startStandIn(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), standInEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("start the stand-in: %v", err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		b.Fatalf("the stand-in's URL: got %q, %v", line, err)
	}
	return strings.TrimSpace(line)
}

// processCPU returns the CPU time (user and system) the process has used.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSendHTTP sends batches made beforehand to a stand-in of the
// service in another process, over loopback, through defaultClient's
// settings: the encoding, the client and the reading of the answers.
// cpu-ns/beacon is this process's CPU time, its garbage collection
// included; dials/op counts the connections dialled again after a first
// run dialled those it needed.
func BenchmarkSendHTTP(b *testing.B) {
	batches := benchBatches(b)
	url := startStandIn(b)
	for _, concurrency := range []int{8, 256} {
		b.Run("concurrency="+strconv.Itoa(concurrency), func(b *testing.B) {
			var dials atomic.Int64
			tr := defaultClient.Transport.(*http.Transport).Clone()
			dial := (&net.Dialer{}).DialContext
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return dial(ctx, network, addr)
			}
			b.Cleanup(tr.CloseIdleConnections)
			dst := HTTPDestination{URL: url, Client: &http.Client{Timeout: defaultClient.Timeout, Transport: tr}}
			send := func() int {
				sum, err := Send(b.Context(), slices.Values(batches), dst, SendOptions{Concurrency: concurrency})
				if err != nil || sum.Accepted != sum.Beacons {
					b.Fatalf("got %s, %v: want every beacon accepted", sum, err)
				}
				return sum.Beacons
			}
			send()
			dials.Store(0)
			b.ReportAllocs()
			beacons, cpu := 0, processCPU(b)
			for b.Loop() {
				beacons += send()
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(beacons), "cpu-ns/beacon")
			b.ReportMetric(float64(dials.Load())/float64(b.N), "dials/op")
		})
	}
}
