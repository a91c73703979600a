package gateway

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAccessLogLineIsJSON(t *testing.T) {
	var buf bytes.Buffer
	l := newAccessLog(&buf, 0)
	l.write(&record{
		at: time.Date(2026, 11, 27, 12, 0, 0, 123e6, time.UTC), requestID: "r1", method: "GET",
		path: "/a\"b\\c\n<script>\u2028\xff", route: "r", label: "s", status: 499, bytes: 12,
		duration: 1500 * time.Microsecond, client: netip.MustParseAddr("192.0.2.1"), failure: "canceled",
	})
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("line is not JSON: %v: %q", err, buf.String())
	}
	want := map[string]any{
		"time": "2026-11-27T12:00:00.123Z", "level": "INFO", "msg": "request", "request_id": "r1",
		"path": "/a\"b\\c\n<script>\u2028\ufffd", "status": float64(499), "duration_ms": 1.5, "client": "192.0.2.1",
		"failure": "canceled",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if strings.Count(buf.String(), "\n") != 1 || !strings.HasSuffix(buf.String(), "}\n") {
		t.Errorf("want exactly one line, got %q", buf.String())
	}
}

// The client address is a JSON string in each of its forms, a zone with
// JSON's special characters included.
func TestAccessLogClient(t *testing.T) {
	for _, c := range []struct {
		name string
		addr netip.Addr
		want string
	}{
		{"unknown", netip.Addr{}, ""},
		{"IPv4", netip.MustParseAddr("192.0.2.1"), "192.0.2.1"},
		{"IPv6", netip.MustParseAddr("2001:db8::1"), "2001:db8::1"},
		{"zone", netip.MustParseAddr(`fe80::1%a"b\c`), `fe80::1%a"b\c`},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := appendClient([]byte(`{"client":`), c.addr)
			var got struct{ Client *string }
			if err := json.Unmarshal(append(b, '}'), &got); err != nil || got.Client == nil {
				t.Fatalf("%q is not a JSON object with a client: %v", b, err)
			}
			if *got.Client != c.want {
				t.Errorf("client = %q, want %q", *got.Client, c.want)
			}
		})
	}
}

// syncedBuffer records each Write call separately.
type syncedBuffer struct {
	mu     sync.Mutex
	writes []string
}

func (s *syncedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, string(p))
	return len(p), nil
}

func TestLineWriterBatchesWholeLines(t *testing.T) {
	out := &syncedBuffer{}
	w := newLineWriter(out, time.Hour, 64)
	line := []byte(strings.Repeat("x", 29) + "\n") // 30 bytes
	for range 5 {
		w.write(line)
	}
	out.mu.Lock()
	n := len(out.writes)
	out.mu.Unlock()
	if n != 2 {
		t.Errorf("writes before close = %d, want 2 (two full batches of two lines)", n)
	}
	w.close()
	w.write(line) // after close: written at once
	if len(out.writes) != 4 {
		t.Fatalf("writes = %d, want 4", len(out.writes))
	}
	for i, s := range out.writes {
		if len(s)%30 != 0 || !strings.HasSuffix(s, "\n") {
			t.Errorf("write %d = %q splits a line", i, s)
		}
	}
}
