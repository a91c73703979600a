//go:build !race

// Allocation counts, which the race detector changes: .ci/run runs the
// packages with such files without it too.

package h1

import (
	"bufio"
	"net"
	"testing"
)

// RoundTripHead costs one allocation for a response with a body, none for
// one without, on a pooled connection; RoundTripHeadInto none. The upstream allocates nothing per
// request, so that only the client's allocations are counted.
func TestRoundTripHeadAllocations(t *testing.T) {
	replies := map[byte][]byte{
		'b': []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"),
		'e': []byte("HTTP/1.1 204 No Content\r\nContent-Type: application/json\r\n\r\n"),
	}
	addr := rawUpstream(t, func(c net.Conn, _ *bufio.Reader) {
		buf := make([]byte, 4096)
		n := 0
		for {
			m, err := c.Read(buf[n:])
			if err != nil {
				return
			}
			n += m
			if n >= 4 && string(buf[n-4:n]) == "\r\n\r\n" {
				c.Write(replies[buf[len("GET /")]])
				n = 0
			}
		}
	})
	srv := struct{ URL string }{"http://" + addr}
	c := NewClient(Options{})
	buf := make([]byte, 64)
	var into Body
	for _, tt := range []struct {
		path string
		into *Body
		want float64
	}{{"/body", nil, 1}, {"/empty", nil, 0}, {"/body", &into, 0}} {
		req := mustRequest(t, "GET", srv.URL+tt.path, nil)
		var h Head
		n := testing.AllocsPerRun(50, func() {
			body, err := c.RoundTripHeadInto(req, &h, tt.into)
			if err != nil {
				t.Fatal(err)
			}
			for err == nil {
				_, err = body.Read(buf)
			}
			body.Close()
		})
		if n > tt.want || h.ContentType != "application/json" {
			t.Errorf("%s (into %v): %v allocations, want %v; content type %q", tt.path, tt.into != nil, n, tt.want, h.ContentType)
		}
	}
}
