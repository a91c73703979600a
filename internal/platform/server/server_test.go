package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/platform/observability"
)

func TestNewRejectsBadOptions(t *testing.T) {
	ok := http.NotFoundHandler()
	tests := []struct {
		name string
		o    Options
	}{
		{name: "no handler", o: Options{Addr: "127.0.0.1:0"}},
		{name: "negative max connections", o: Options{Addr: "127.0.0.1:0", Handler: ok, MaxConnections: -1}},
		{name: "negative grace", o: Options{Addr: "127.0.0.1:0", Handler: ok, ShutdownGrace: -time.Second}},
		{name: "bad address", o: Options{Addr: "127.0.0.1:notaport", Handler: ok}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := New(tt.o); err == nil {
				s.Shutdown(context.Background())
				t.Error("got no error, want one")
			}
		})
	}
}

func TestGracefulShutdownLosesNoRequest(t *testing.T) {
	const n = 20
	entered := make(chan struct{}, n)
	release := make(chan struct{})
	releaseAll := sync.OnceFunc(func() { close(release) })
	defer releaseAll() // so a failing test does not wait out the grace
	s := mustServer(t, Options{
		Name: "public",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			entered <- struct{}{}
			<-release
			io.WriteString(w, "done")
		}),
		ShutdownGrace: time.Minute,
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := serve(ctx, s)
	url := "http://" + s.Addr().String() + "/"

	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	type result struct {
		status int
		body   string
		err    error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			resp, err := client.Get(url)
			if err != nil {
				results <- result{err: err}
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			results <- result{status: resp.StatusCode, body: string(body), err: err}
		}()
	}
	for range n {
		<-entered
	}

	cancel()
	mustBeRefused(t, s.Addr().String())
	releaseAll()

	for range n {
		r := <-results
		if r.err != nil || r.status != http.StatusOK || r.body != "done" {
			t.Errorf("got status %d body %q error %v, want 200 done", r.status, r.body, r.err)
		}
	}
	if err := mustReturn(t, errc, "Serve"); err != nil {
		t.Errorf("got Serve error %v, want nil", err)
	}
}

func TestShutdownCutsRequestsAfterGrace(t *testing.T) {
	entered := make(chan struct{})
	s := mustServer(t, Options{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-r.Context().Done() // ends only when the connection is cut
		}),
		ShutdownGrace: 50 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := serve(ctx, s)

	reqErr := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + s.Addr().String() + "/")
		if err == nil {
			resp.Body.Close()
		}
		reqErr <- err
	}()
	<-entered
	cancel()

	err := mustReturn(t, errc, "Serve")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got Serve error %v, want one wrapping context.DeadlineExceeded", err)
	}
	if err := mustReturn(t, reqErr, "the request"); err == nil {
		t.Error("got a response, want the request cut")
	}
}

func TestShutdownDirectly(t *testing.T) {
	s := mustServer(t, Options{Handler: http.NotFoundHandler()})
	errc := serve(context.Background(), s)
	// Serve may not have started yet; Shutdown must stop it either way.
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("got Shutdown error %v, want nil", err)
	}
	if err := mustReturn(t, errc, "Serve"); err != nil {
		t.Errorf("got Serve error %v, want nil", err)
	}
	mustBeRefused(t, s.Addr().String())
	if err := s.Serve(context.Background()); err == nil {
		t.Error("got no error from a second Serve, want one")
	}
}

func TestShutdownBeforeServeClosesListener(t *testing.T) {
	s := mustServer(t, Options{Handler: http.NotFoundHandler()})
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("got Shutdown error %v, want nil", err)
	}
	mustBeRefused(t, s.Addr().String())
}

func TestMaxConnectionsCapsConnections(t *testing.T) {
	const limit = 2
	var firstClosed atomic.Bool
	lateServedEarly := make(chan bool, 1)
	s := mustServer(t, Options{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Conn") == "late" {
				lateServedEarly <- !firstClosed.Load()
			}
			io.WriteString(w, "ok")
		}),
		MaxConnections: limit,
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve(ctx, s)
	addr := s.Addr().String()

	var conns []net.Conn
	for i := range limit {
		conn := mustDial(t, addr)
		conns = append(conns, conn)
		if got := mustRoundTrip(t, conn, bufio.NewReader(conn), fmt.Sprint(i)); got != http.StatusOK {
			t.Fatalf("connection %d: got status %d, want 200", i, got)
		}
	}

	late := mustDial(t, addr)
	mustWriteRequest(t, late, "late")
	// The late connection sits in the accept queue: nothing answers it.
	// Give the server a moment in which it would answer, were it not capped.
	late.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err := http.ReadResponse(bufio.NewReader(late), nil)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("late connection: got %v, want no response (a read timeout)", err)
	}

	firstClosed.Store(true)
	conns[0].Close()
	late.SetReadDeadline(time.Time{})
	resp, err := http.ReadResponse(bufio.NewReader(late), nil)
	if err != nil {
		t.Fatalf("late connection after one closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("late connection: got status %d, want 200", resp.StatusCode)
	}
	if early := <-lateServedEarly; early {
		t.Error("got the late request served before a connection closed, want it held back")
	}
	for _, c := range conns[1:] {
		c.Close()
	}
	late.Close()
}

func mustDial(tb testing.TB, addr string) net.Conn {
	tb.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	return conn
}

func mustWriteRequest(tb testing.TB, conn net.Conn, id string) {
	tb.Helper()
	if _, err := fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: test\r\nX-Conn: %s\r\n\r\n", id); err != nil {
		tb.Fatalf("write request: %v", err)
	}
}

func mustRoundTrip(tb testing.TB, conn net.Conn, br *bufio.Reader, id string) int {
	tb.Helper()
	mustWriteRequest(tb, conn, id)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		tb.Fatalf("read response: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestH2C(t *testing.T) {
	s := mustServer(t, Options{
		H2C: true,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, r.Proto)
		}),
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve(ctx, s)
	url := "http://" + s.Addr().String() + "/"

	t.Run("prior knowledge", func(t *testing.T) {
		var protocols http.Protocols
		protocols.SetUnencryptedHTTP2(true)
		tr := &http.Transport{Protocols: &protocols}
		defer tr.CloseIdleConnections()
		if _, got := mustGet(t, &http.Client{Transport: tr}, url); got != "HTTP/2.0" {
			t.Errorf("got protocol %q, want HTTP/2.0", got)
		}
	})
	t.Run("http1 still served", func(t *testing.T) {
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		if _, got := mustGet(t, &http.Client{Transport: tr}, url); got != "HTTP/1.1" {
			t.Errorf("got protocol %q, want HTTP/1.1", got)
		}
	})
}

func TestH2COffRefusesPriorKnowledge(t *testing.T) {
	s := mustServer(t, Options{Handler: http.NotFoundHandler()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve(ctx, s)
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &protocols}
	defer tr.CloseIdleConnections()
	if resp, err := (&http.Client{Transport: tr}).Get("http://" + s.Addr().String() + "/"); err == nil {
		resp.Body.Close()
		t.Errorf("got status %d over HTTP/2, want the connection refused", resp.StatusCode)
	}
}

func TestServerLimits(t *testing.T) {
	t.Run("max header bytes", func(t *testing.T) {
		s := mustServer(t, Options{Handler: http.NotFoundHandler(), MaxHeaderBytes: 1 << 10})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		serve(ctx, s)
		req, _ := http.NewRequest("GET", "http://"+s.Addr().String()+"/", nil)
		req.Header.Set("X-Big", strings.Repeat("a", 8<<10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("got status %d, want 431", resp.StatusCode)
		}
	})
	t.Run("read header timeout", func(t *testing.T) {
		s := mustServer(t, Options{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 50 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		serve(ctx, s)
		conn := mustDial(t, s.Addr().String())
		io.WriteString(conn, "GET / HTTP/1.1\r\n") // and never the rest
		// The server closes the connection; the deadline only guards
		// against a hang.
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.ReadAll(conn); err != nil {
			t.Errorf("got %v, want the server to close the connection", err)
		}
	})
}

func TestServerLogsNetHTTPErrors(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	logger, err := observability.NewLogger(&lockedWriter{mu: &mu, w: &buf}, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	s := mustServer(t, Options{
		Name:   "public",
		Logger: logger,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			w.WriteHeader(http.StatusTeapot) // net/http complains through its error log
		}),
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := serve(ctx, s)
	mustGet(t, http.DefaultClient, "http://"+s.Addr().String()+"/")
	cancel()
	mustReturn(t, errc, "Serve")

	mu.Lock()
	defer mu.Unlock()
	out := buf.String()
	for _, want := range []string{"superfluous response.WriteHeader", `"server":"public"`, `"msg":"serving"`, `"msg":"stopped"`} {
		if !strings.Contains(out, want) {
			t.Errorf("got log %s, want it to contain %s", out, want)
		}
	}
}

// lockedWriter serialises writes from the server's goroutines.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
