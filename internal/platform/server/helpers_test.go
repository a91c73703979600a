package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/platform/observability"
)

// mustServer creates a server on a free loopback port and shuts it down
// when the test ends.
func mustServer(tb testing.TB, o Options) *Server {
	tb.Helper()
	if o.Addr == "" && o.Listener == nil {
		o.Addr = "127.0.0.1:0"
	}
	o.FrontDoor = o.FrontDoor || testFrontDoor
	s, err := New(o)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { s.Shutdown(context.Background()) })
	return s
}

// serve runs s.Serve(ctx) in the background and returns its result.
func serve(ctx context.Context, s *Server) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx) }()
	return errc
}

// mustGet fetches url with client and returns the status and body.
func mustGet(tb testing.TB, client *http.Client, url string) (int, string) {
	tb.Helper()
	resp, err := client.Get(url)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// mustProblem decodes a problem document and checks its content type.
func mustProblem(tb testing.TB, resp *http.Response) map[string]any {
	tb.Helper()
	defer resp.Body.Close()
	if got := resp.Header.Get("Content-Type"); got != "application/problem+json" {
		tb.Fatalf("got Content-Type %q, want application/problem+json", got)
	}
	var p map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		tb.Fatalf("decode problem: %v", err)
	}
	return p
}

// mustBeRefused waits until connecting to addr is refused, which happens
// once the listener is closed. It gives up after a generous bound so a
// broken shutdown fails the test instead of hanging it.
func mustBeRefused(tb testing.TB, addr string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.Dial("tcp", addr)
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			return
		case errors.Is(err, syscall.ECONNRESET):
			// Caught in the accept queue as the listener closed; try again.
		case err != nil:
			tb.Fatalf("dial %s: got %v, want connection refused", addr, err)
		default:
			conn.Close()
		}
		if time.Now().After(deadline) {
			tb.Fatalf("dial %s: still accepted, want connection refused", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mustReturn waits for a result on errc, failing the test if none comes
// within a generous bound.
func mustReturn(tb testing.TB, errc <-chan error, what string) error {
	tb.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(30 * time.Second):
		tb.Fatalf("%s has not returned, want it to", what)
		return nil
	}
}

// mustTestLogger returns a JSON logger writing into buf.
func mustTestLogger(tb testing.TB, buf io.Writer) *slog.Logger {
	tb.Helper()
	l, err := observability.NewLogger(buf, "debug", "json")
	if err != nil {
		tb.Fatalf("NewLogger: %v", err)
	}
	return l
}

// mustOneLogRecord decodes the single JSON log line in buf.
func mustOneLogRecord(tb testing.TB, buf *bytes.Buffer) map[string]any {
	tb.Helper()
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 1 {
		tb.Fatalf("got %d log lines, want 1:\n%s", len(lines), buf)
	}
	var m map[string]any
	if err := json.Unmarshal(lines[0], &m); err != nil {
		tb.Fatalf("decode log line: %v", err)
	}
	return m
}
