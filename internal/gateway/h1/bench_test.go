package h1

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchUpstream answers every request with a fixed 1 KB JSON response,
// doing as little as it can, so that the client is what the benchmark
// measures.
func benchUpstream(tb testing.TB) string {
	payload := `{"id":"item-0001",` + strings.Repeat(`"field":"value-abcdefghijklmnop",`, 30) + `"end":true}`
	reply := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Sat, 05 Dec 2026 12:00:00 GMT\r\n" +
		"Content-Length: " + strconv.Itoa(len(payload)) + "\r\n\r\n" + payload)
	return rawUpstream(tb, func(c net.Conn, rd *bufio.Reader) {
		for {
			// The request's header ends with an empty line; the benchmark's
			// requests have no body.
			for {
				line, err := rd.ReadSlice('\n')
				if err != nil {
					return
				}
				if len(line) == 2 {
					break
				}
			}
			if _, err := c.Write(reply); err != nil {
				return
			}
		}
	})
}

// benchRoundTrip sends GETs through rt, reading each body to its end into
// a reused buffer, as the gateway's proxy does. With timeout, each request
// has a context with that timeout, as the gateway's requests have.
func benchRoundTrip(b *testing.B, rt http.RoundTripper, url string, timeout time.Duration) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 32<<10)
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("X-Forwarded-For", "192.0.2.1")
		req.Header.Set("Accept", "application/json")
		for pb.Next() {
			r, cancel := req, context.CancelFunc(nil)
			if timeout > 0 {
				var ctx context.Context
				ctx, cancel = context.WithTimeout(context.Background(), timeout)
				r = req.WithContext(ctx)
			}
			resp, err := rt.RoundTrip(r)
			if err != nil {
				b.Fatal(err)
			}
			for {
				_, err := resp.Body.Read(buf)
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			resp.Body.Close()
			if cancel != nil {
				cancel()
			}
		}
	})
}

// BenchmarkRoundTrip compares the client with net/http's Transport, tuned
// as the gateway tunes it, on the same upstream.
//
//	go test -run '^$' -bench RoundTrip -benchmem -cpu 1,2 ./internal/gateway/h1/
func BenchmarkRoundTrip(b *testing.B) {
	url := "http://" + benchUpstream(b) + "/v1/items/42"
	for _, timeout := range []time.Duration{0, time.Minute} {
		suffix := ""
		if timeout > 0 {
			suffix = "-timeout"
		}
		b.Run("h1"+suffix, func(b *testing.B) {
			c := NewClient(Options{ResponseHeaderTimeout: timeout})
			defer c.CloseIdleConnections()
			benchRoundTrip(b, c, url, timeout)
		})
		b.Run("net-http"+suffix, func(b *testing.B) {
			t := &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true, ResponseHeaderTimeout: timeout}
			defer t.CloseIdleConnections()
			benchRoundTrip(b, t, url, timeout)
		})
	}
}

// BenchmarkReadResponse is the reader alone, header and body, against
// net/http.ReadResponse.
func BenchmarkReadResponse(b *testing.B) {
	payload := strings.Repeat("x", 1000)
	in := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Sat, 05 Dec 2026 12:00:00 GMT\r\n" +
		"Cache-Control: no-store\r\nX-Request-Id: 0123456789abcdef\r\nContent-Length: 1000\r\n\r\n" + payload)
	buf := make([]byte, 4096)
	// "h1-to-http" adds the conversion to an *http.Response the gateway's
	// transport makes.
	for _, convert := range []bool{false, true} {
		name := "h1"
		if convert {
			name = "h1-to-http"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			src := bytes.NewReader(in)
			rd := NewReader(src, Limits{})
			var resp Response
			for b.Loop() {
				src.Reset(in)
				if err := rd.ReadResponse(&resp, "GET"); err != nil {
					b.Fatal(err)
				}
				if convert {
					if _, err := toHTTP(&resp, nil); err != nil {
						b.Fatal(err)
					}
				}
				for {
					if _, err := rd.Read(buf); err != nil {
						break
					}
				}
				rd.Release()
			}
		})
	}
	b.Run("net-http", func(b *testing.B) {
		b.ReportAllocs()
		src := bytes.NewReader(in)
		br := bufio.NewReader(src)
		req := &http.Request{Method: "GET"}
		for b.Loop() {
			src.Reset(in)
			br.Reset(src)
			resp, err := http.ReadResponse(br, req)
			if err != nil {
				b.Fatal(err)
			}
			for {
				if _, err := resp.Body.Read(buf); err != nil {
					break
				}
			}
		}
	})
}
