package gateway

import (
	"bufio"
	"crypto/x509"
	"net"
	"net/http"
	"net/netip"
	"sync"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/router"
)

// reqState is what the gateway knows about one request while it is served:
// it wraps the client's ResponseWriter to learn the status and byte count,
// and collects the route, target and failure for the access log. One is
// taken from a pool per request.
type reqState struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool

	route     *route
	requestID string
	body      *deadlineBody  // the request body, when it has one and is paced
	path      string         // the normalised request path, for the access log
	peer      netip.AddrPort // the connection's other end; zero if unparsable
	client    netip.Addr     // the original client, behind trusted proxies
	params    router.Params  // the matched route's path parameters
	subject   string         // the authenticated caller, if any
	kind      failureKind

	// cert is the verified TLS client certificate, if any, and
	// certSubject and certFingerprint what was sent upstream of it.
	cert                         *x509.Certificate
	certSubject, certFingerprint string

	// auth is set on a proxied route that authenticated the caller with
	// cred; WriteHeader then hands auth the header of a 2xx answer, so
	// that an answer ending the session drops cred's cached exchange
	// before the client can send another request.
	auth *authenticator
	cred authn.Credential
}

var statePool = sync.Pool{New: func() any { return new(reqState) }}

func getState(w http.ResponseWriter) *reqState {
	st := statePool.Get().(*reqState)
	st.ResponseWriter = w
	return st
}

func putState(st *reqState) {
	*st = reqState{}
	statePool.Put(st)
}

func (s *reqState) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		s.ResponseWriter.WriteHeader(code) // informational: more headers follow
		return
	}
	if !s.wroteHeader {
		s.status = code
		s.wroteHeader = true
		if s.auth != nil && code >= 200 && code < 300 {
			s.auth.answered(s.cred, s.ResponseWriter.Header())
		}
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *reqState) Write(p []byte) (int, error) {
	if !s.wroteHeader {
		s.status = http.StatusOK
		s.wroteHeader = true
	}
	n, err := s.ResponseWriter.Write(p)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection for flushing
// and hijacking (server-sent events, WebSocket upgrades).
func (s *reqState) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush is implemented directly because some callers still assert
// http.Flusher rather than using a ResponseController.
func (s *reqState) Flush() {
	if !s.wroteHeader {
		s.status = http.StatusOK
		s.wroteHeader = true
	}
	http.NewResponseController(s.ResponseWriter).Flush()
}

// Hijack is implemented directly for the same reason as Flush.
func (s *reqState) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(s.ResponseWriter).Hijack()
}

// setPeer parses r's RemoteAddr into s.peer, once per request, and
// returns the peer's address as peerAddr does.
func (s *reqState) setPeer(r *http.Request) netip.Addr {
	s.peer, _ = netip.ParseAddrPort(r.RemoteAddr) // the zero AddrPort on error
	return s.peer.Addr().Unmap()
}

// peerOf returns the address of r's peer as peerAddr does: from the state
// wrapping w, which parsed it when the request came in, or from
// r.RemoteAddr when w has no state.
func peerOf(w http.ResponseWriter, r *http.Request) netip.Addr {
	if st := stateOf(w); st != nil {
		return st.peer.Addr().Unmap()
	}
	return peerAddr(r)
}

// stateOf returns the state wrapping w, if any.
func stateOf(w http.ResponseWriter) *reqState {
	st, _ := w.(*reqState)
	return st
}
