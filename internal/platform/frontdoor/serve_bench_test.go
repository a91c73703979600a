package frontdoor

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkServe is a kept-alive request served by net/http's server and
// by the front door, over loopback with a raw client: the request the
// gateway's bench sends, a handler that reads a few fields and answers
// 1 KiB of JSON. The client's cost is the same on both; the difference
// is the server's. Compare with -cpu 1.
func BenchmarkServe(b *testing.B) {
	body := []byte(`{"id":42,"data":"` + strings.Repeat("x", 1000) + `"}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") == "" || r.URL.Path == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "0123456789abcdef")
		w.Write(body)
	})
	req := []byte("GET /v1/items/42?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: bench\r\n" +
		"Accept: application/json\r\nAccept-Encoding: gzip\r\n\r\n")
	for _, tc := range []struct {
		name  string
		serve func(*http.Server, net.Listener) error
	}{
		{"net-http", (*http.Server).Serve},
		{"frontdoor", func(s *http.Server, ln net.Listener) error { return New(s).Serve(ln) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
			go tc.serve(srv, ln)
			defer ln.Close()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReaderSize(c, 4096)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				if err := readRawResponse(br); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// readRawResponse reads one response framed by Content-Length.
func readRawResponse(br *bufio.Reader) error {
	n := -1
	for first := true; ; first = false {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if first && !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
			return io.ErrUnexpectedEOF
		}
		if len(line) == 2 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if n < 0 {
		return io.ErrUnexpectedEOF
	}
	_, err := br.Discard(n)
	return err
}
