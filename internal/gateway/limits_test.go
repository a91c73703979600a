package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestLimitsAtTheBoundary sends, on raw connections, requests exactly at
// each limit of the server section (they pass) and one byte or field past
// it (they are refused), counted as docs/gateway-config.md defines them.
func TestLimitsAtTheBoundary(t *testing.T) {
	const (
		maxLine   = 200
		maxBytes  = 1024
		maxFields = 20
		maxBody   = 1024
	)
	upURL, got := reportingUpstream(t)
	tg := mustGateway(t, fmt.Sprintf(`
version: 1
server:
  max_request_line: %d
  max_header_bytes: %d
  max_header_count: %d
  max_body: %d
services:
  a: {targets: ["${A}"]}
routes:
  - {name: all, path: "/{rest...}", service: a}
`, maxLine, maxBytes, maxFields, maxBody), map[string]string{"A": upURL})
	addr := tg.srv.Listener.Addr().String()

	// pass sends raw and expects the upstream to answer with the body
	// length; refuse expects the gateway's problem and no upstream call.
	pass := func(t *testing.T, raw string, wantBody int) {
		t.Helper()
		resp, body := mustRaw(t, addr, raw)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200 (body %q)", resp.StatusCode, body)
		}
		if r := mustReport(t, got); r.err != nil || r.n != wantBody {
			t.Errorf("upstream got %d body bytes, %v; want %d", r.n, r.err, wantBody)
		}
	}
	refuse := func(t *testing.T, raw string, status int, typ string) {
		t.Helper()
		resp, body := mustRaw(t, addr, raw)
		mustProblem(t, resp, body, status, typ)
		select {
		case r := <-got:
			t.Errorf("upstream received the request (%d bytes, %v)", r.n, r.err)
		default:
		}
	}

	// requestLine is "GET <target> HTTP/1.1" of exactly n bytes.
	requestLine := func(n int) string {
		const frame = len("GET /") + len(" HTTP/1.1")
		return "GET /" + strings.Repeat("a", n-frame) + " HTTP/1.1"
	}
	t.Run("request line", func(t *testing.T) {
		pass(t, requestLine(maxLine)+"\r\nHost: x\r\n\r\n", 0)
		refuse(t, requestLine(maxLine+1)+"\r\nHost: x\r\n\r\n", http.StatusRequestURITooLong, "uri-too-long")
	})

	// fields is Host plus n-1 more fields, n in all.
	fields := func(n int) string {
		var b strings.Builder
		b.WriteString("GET /x HTTP/1.1\r\nHost: x\r\n")
		for i := range n - 1 {
			fmt.Fprintf(&b, "X-F%d: v\r\n", i)
		}
		return b.String() + "\r\n"
	}
	t.Run("header count", func(t *testing.T) {
		pass(t, fields(maxFields), 0)
		refuse(t, fields(maxFields+1), http.StatusRequestHeaderFieldsTooLarge, "headers-too-large")
	})
	t.Run("header count includes the client's X-Request-Id, not the gateway's", func(t *testing.T) {
		raw := strings.Replace(fields(maxFields), "X-F0: v", "X-Request-Id: rid-1", 1)
		pass(t, raw, 0)
	})

	// section is a header section of exactly n bytes as counted: the
	// request line and each field with its CRLF, not the final CRLF.
	section := func(n int) string {
		const line, host = "GET /x HTTP/1.1\r\n", "Host: x\r\n"
		pad := n - len(line) - len(host) - len("X-Pad: \r\n")
		return line + host + "X-Pad: " + strings.Repeat("p", pad) + "\r\n\r\n"
	}
	t.Run("header bytes", func(t *testing.T) {
		if got := len(section(maxBytes)); got != maxBytes+2 {
			t.Fatalf("section is %d bytes with its final CRLF, want %d", got, maxBytes+2)
		}
		pass(t, section(maxBytes), 0)
		refuse(t, section(maxBytes+1), http.StatusRequestHeaderFieldsTooLarge, "headers-too-large")
	})

	declared := func(n int) string {
		return fmt.Sprintf("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", n, strings.Repeat("b", n))
	}
	chunked := func(n int) string {
		return fmt.Sprintf("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", n, strings.Repeat("b", n))
	}
	t.Run("declared body", func(t *testing.T) {
		pass(t, declared(maxBody), maxBody)
		refuse(t, declared(maxBody+1), http.StatusRequestEntityTooLarge, "body-too-large")
	})
	t.Run("chunked body", func(t *testing.T) {
		pass(t, chunked(maxBody), maxBody)
		// A body of unknown length streams to the upstream until it
		// outgrows the cap; the upstream must then see it broken off.
		resp, body := mustRaw(t, addr, chunked(maxBody+1))
		mustProblem(t, resp, body, http.StatusRequestEntityTooLarge, "body-too-large")
		if r := mustReport(t, got); r.err == nil {
			t.Errorf("upstream read %d bytes and no error: a cut-off body passed as complete", r.n)
		}
	})
}
