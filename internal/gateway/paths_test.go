package gateway

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// netRoute is oneRoute with the fast path off for service a: net/http's
// Transport.
const netRoute = `
version: 1
services:
  a:
    targets: ["${A}"]
    fast_path: false
    retry: {attempts: 1}
routes:
  - name: all
    path: /{rest...}
    service: a
`

// rawUpstream serves each connection with serve, after reading each
// request's header; it counts connections.
func rawUpstream(tb testing.TB, reply string) (url string, conns *atomic.Int32) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	conns = new(atomic.Int32)
	var wg sync.WaitGroup
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				rd := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(rd)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					if _, err := io.WriteString(c, reply); err != nil || !strings.Contains(reply, "Content-Length") {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String(), conns
}

// An upstream's 103 Early Hints reaches the client on both paths.
func TestEarlyHintsForwarded(t *testing.T) {
	url, _ := rawUpstream(t, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"+
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	for name, cfg := range map[string]string{"net/http": netRoute, "fast path": oneRoute("")} {
		t.Run(name, func(t *testing.T) {
			tg := mustGateway(t, cfg, map[string]string{"A": url, "TRUSTED": "192.0.2.1"})
			var hints []string
			trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
				hints = append(hints, strconv.Itoa(code)+" "+h.Get("Link"))
				return nil
			}}
			req := mustRequest(t, "GET", tg.srv.URL+"/x", nil)
			resp, body := mustDo(t, req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
			if resp.StatusCode != 200 || string(body) != "ok" {
				t.Fatalf("got %d %q", resp.StatusCode, body)
			}
			if strings.Join(hints, ",") != "103 </style.css>; rel=preload" {
				t.Errorf("got informational responses %q, want the 103", hints)
			}
		})
	}
}
