package gateway

import (
	"net/http/httptest"
	"testing"
)

// The peer the state parsed is the one peerAddr reads from RemoteAddr, an
// IPv4-mapped address unmapped, whether or not a state wraps the writer.
func TestPeerOf(t *testing.T) {
	for _, c := range []struct{ remote, want string }{
		{"192.0.2.1:5555", "192.0.2.1"},
		{"[2001:db8::1]:5555", "2001:db8::1"},
		{"[::ffff:192.0.2.1]:5555", "192.0.2.1"},
		{"not an address", "invalid IP"},
	} {
		t.Run(c.remote, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			st := getState(httptest.NewRecorder())
			defer putState(st)
			if got := st.setPeer(r).String(); got != c.want {
				t.Errorf("setPeer = %s, want %s", got, c.want)
			}
			if got := peerOf(st, r).String(); got != c.want {
				t.Errorf("peerOf(state) = %s, want %s", got, c.want)
			}
			if got := peerOf(httptest.NewRecorder(), r).String(); got != c.want {
				t.Errorf("peerOf(no state) = %s, want %s", got, c.want)
			}
		})
	}
}
