package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// bodyReport is what an upstream saw of a request body.
type bodyReport struct {
	n   int
	err error
}

// reportingUpstream reads each request body to its end and reports what
// it got; a body cut off reads as an error, never as a short success.
func reportingUpstream(t *testing.T) (string, <-chan bodyReport) {
	t.Helper()
	got := make(chan bodyReport, 10)
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		got <- bodyReport{len(b), err}
		if err == nil {
			fmt.Fprintf(w, "got %d", len(b))
		}
	}))
	return up.URL, got
}

// mustReport waits for the upstream's report. The wait is only a bound
// for a broken gateway, not a measurement.
func mustReport(t *testing.T, got <-chan bodyReport) bodyReport {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream never saw the request")
		return bodyReport{}
	}
}

// dialRaw opens a raw connection to the gateway.
func dialRaw(t *testing.T, tg *testGateway) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", tg.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second)) // a bound for a broken gateway only
	return c, bufio.NewReader(c)
}

func TestStalledBodyIs408AndAbortsTheUpstreamRequest(t *testing.T) {
	upURL, got := reportingUpstream(t)
	tg := mustGateway(t, proxyConfig("  body_read_timeout: 200ms\n"), map[string]string{"A": upURL})

	t.Run("stalled declared body", func(t *testing.T) {
		c, br := dialRaw(t, tg)
		io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: gw.example\r\nContent-Length: 100\r\n\r\n"+strings.Repeat("x", 40))
		resp, body := mustReadResponse(t, br)
		mustProblem(t, resp, body, http.StatusRequestTimeout, "request-timeout")
		if !resp.Close {
			t.Error("the response keeps the connection open; want Connection: close")
		}
		if r := mustReport(t, got); r.err == nil {
			t.Errorf("upstream read %d bytes and no error: a cut-off body passed as complete", r.n)
		}
		recs := tg.logs.records(t, "request")
		if len(recs) == 0 || recs[len(recs)-1]["failure"] != "body_timeout" || recs[len(recs)-1]["status"] != float64(408) {
			t.Errorf("access log = %v, want the last request logged as 408 body_timeout", recs)
		}
	})
	t.Run("stalled chunked body", func(t *testing.T) {
		c, br := dialRaw(t, tg)
		io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: gw.example\r\nTransfer-Encoding: chunked\r\n\r\n28\r\n"+strings.Repeat("x", 40)+"\r\n")
		resp, body := mustReadResponse(t, br)
		mustProblem(t, resp, body, http.StatusRequestTimeout, "request-timeout")
		if r := mustReport(t, got); r.err == nil {
			t.Errorf("upstream read %d bytes and no error: a cut-off body passed as complete", r.n)
		}
	})
	t.Run("prompt bodies pass and the connection stays usable", func(t *testing.T) {
		c, br := dialRaw(t, tg)
		for i := range 2 {
			io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: gw.example\r\nContent-Length: 100\r\n\r\n"+strings.Repeat("x", 100))
			resp, body := mustReadResponse(t, br)
			if resp.StatusCode != http.StatusOK || string(body) != "got 100" {
				t.Fatalf("request %d: got %d %q, want 200 got 100", i, resp.StatusCode, body)
			}
			if r := mustReport(t, got); r.err != nil || r.n != 100 {
				t.Fatalf("request %d: upstream got %d bytes, %v", i, r.n, r.err)
			}
			// Idle past the body timeout: no deadline of the finished
			// body may close the keep-alive connection.
			time.Sleep(400 * time.Millisecond)
		}
	})
}

func TestStalledBodyOverHTTP2Is408(t *testing.T) {
	upURL, got := reportingUpstream(t)
	tg := mustGateway(t, proxyConfig("  body_read_timeout: 200ms\n  h2c: true\n"), map[string]string{"A": upURL})
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()

	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write([]byte(strings.Repeat("x", 40))) // then nothing more
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", tg.srv.URL+"/upload", pr)
	req.ContentLength = 100
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.ProtoMajor != 2 {
		t.Fatalf("served over %s, want HTTP/2", resp.Proto)
	}
	mustProblem(t, resp, body, http.StatusRequestTimeout, "request-timeout")
	if r := mustReport(t, got); r.err == nil {
		t.Errorf("upstream read %d bytes and no error: a cut-off body passed as complete", r.n)
	}
}

// TestSlowBodyBelowMinRateIs408 trickles a body one byte at a time, each
// well within the body timeout but far below the minimum rate.
func TestSlowBodyBelowMinRateIs408(t *testing.T) {
	upURL, got := reportingUpstream(t)
	trickle := func(t *testing.T, tg *testGateway, n int) (*http.Response, []byte) {
		c, br := dialRaw(t, tg)
		io.WriteString(c, fmt.Sprintf("POST /upload HTTP/1.1\r\nHost: gw.example\r\nContent-Length: %d\r\n\r\n", n))
		go func() {
			for range n {
				if _, err := c.Write([]byte("x")); err != nil {
					return // the gateway gave up on the body
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		return mustReadResponse(t, br)
	}

	t.Run("below the rate", func(t *testing.T) {
		tg := mustGateway(t, proxyConfig("  body_read_timeout: 300ms\n  min_body_rate: 1000\n"), map[string]string{"A": upURL})
		resp, body := trickle(t, tg, 100) // 50 bytes/s at best
		mustProblem(t, resp, body, http.StatusRequestTimeout, "request-timeout")
		if r := mustReport(t, got); r.err == nil {
			t.Errorf("upstream read %d bytes and no error", r.n)
		}
	})
	t.Run("no minimum rate by default", func(t *testing.T) {
		tg := mustGateway(t, proxyConfig("  body_read_timeout: 1s\n"), map[string]string{"A": upURL})
		resp, body := trickle(t, tg, 10)
		if resp.StatusCode != http.StatusOK || string(body) != "got 10" {
			t.Errorf("got %d %q, want 200 got 10", resp.StatusCode, body)
		}
		if r := mustReport(t, got); r.err != nil || r.n != 10 {
			t.Errorf("upstream got %d bytes, %v", r.n, r.err)
		}
	})
}

// TestStreamingResponseOutlivesTheBodyTimeout checks that a request body
// read in time sets no deadline that cuts a long response short.
func TestStreamingResponseOutlivesTheBodyTimeout(t *testing.T) {
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		time.Sleep(500 * time.Millisecond) // longer than the body timeout
		fmt.Fprint(w, "data: second\n\n")
	}))
	tg := mustGateway(t, proxyConfig("  body_read_timeout: 100ms\n"), map[string]string{"A": up.URL})
	resp, body := mustRaw(t, tg.srv.Listener.Addr().String(),
		"POST /events HTTP/1.1\r\nHost: gw.example\r\nContent-Length: 5\r\n\r\nhello")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "data: second") {
		t.Errorf("got %d %q, want 200 with both events", resp.StatusCode, body)
	}
}

// deadlineRecorder is a ResponseWriter that records read deadlines.
type deadlineRecorder struct {
	http.ResponseWriter
	set []time.Time
}

func (d *deadlineRecorder) SetReadDeadline(t time.Time) error {
	d.set = append(d.set, t)
	return nil
}

// TestDeadlineBodySetsNoDeadlineAfterItsEnd reads a body past its end, as
// the transport does to check a declared length: on HTTP/1 a deadline set
// then would cut net/http's background read of the connection, and so
// cancel the request while its response streams.
func TestDeadlineBodySetsNoDeadlineAfterItsEnd(t *testing.T) {
	w := &deadlineRecorder{}
	p := bodyPolicy{gap: time.Minute, minRate: 10, whole: time.Hour}
	start := time.Now()
	b := newDeadlineBody(io.NopCloser(strings.NewReader("hello")), w, p, start)
	if got, err := io.ReadAll(b); err != nil || string(got) != "hello" {
		t.Fatalf("read %q, %v", got, err)
	}
	if len(w.set) == 0 {
		t.Fatal("no deadline was set while reading")
	}
	for _, d := range w.set {
		if d.Before(start) || d.After(start.Add(time.Minute+time.Second)) {
			t.Errorf("deadline %v after start, want within the gap", d.Sub(start))
		}
	}
	n := len(w.set)
	if _, err := b.Read(make([]byte, 8)); err != io.EOF {
		t.Errorf("read past the end: %v, want EOF", err)
	}
	if len(w.set) != n {
		t.Errorf("a deadline was set after the body ended")
	}
	if b.timedOut() {
		t.Error("a body read to its end reports a timeout")
	}
}

// TestMinBodyRateCountsOnlyWaiting reads a body that is always ready but
// pauses between reads, as a transport held back by a slow upstream does:
// the client is not late, so no deadline may lie in the past.
func TestMinBodyRateCountsOnlyWaiting(t *testing.T) {
	w := &deadlineRecorder{}
	p := bodyPolicy{gap: 50 * time.Millisecond, minRate: 1000}
	b := newDeadlineBody(io.NopCloser(strings.NewReader("abcde")), w, p, time.Now())
	buf := make([]byte, 1)
	for {
		armed := time.Now()
		if _, err := b.Read(buf); err != nil {
			break
		}
		if d := w.set[len(w.set)-1]; !d.After(armed) {
			t.Fatalf("read %d: deadline %v before the read began; the pause counted against the client", len(w.set), armed.Sub(d))
		}
		time.Sleep(30 * time.Millisecond) // the transport busy elsewhere
	}
}
