package gateway

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico-gw/portico/internal/gateway/config"
)

// bodyPolicy bounds how slowly a request body may arrive.
type bodyPolicy struct {
	gap     time.Duration // the longest wait for the next bytes
	minRate int64         // bytes per second of waiting, after the first gap; 0: no minimum
	whole   time.Duration // server.read_timeout, which still bounds the request; 0: none
}

func newBodyPolicy(s *config.Server) bodyPolicy {
	return bodyPolicy{gap: s.BodyReadTimeout.D(), minRate: int64(s.MinBodyRate), whole: s.ReadTimeout.D()}
}

// errBodyTimeout is what a read of a body that came too slowly returns.
var errBodyTimeout = errors.New("request body arrived too slowly")

// deadlineBody is a request body whose every Read is bounded by a read
// deadline on the client connection (HTTP/1) or stream (HTTP/2), set
// through http.ResponseController just before the read: now plus the gap,
// or earlier when the body's average rate would otherwise fall below the
// minimum, or when server.read_timeout ends. The rate counts only the time
// spent waiting in reads, as Kestrel's MinRequestBodyDataRate does: while
// the transport does not read (the upstream is slow to take the body), a
// client cannot send and is not blamed.
//
// A deadline is the only way to end a read that is blocked on the client;
// net/http then fails the read (and, on HTTP/1, cancels the request's
// context and closes the connection after the response). The transport
// sending the body upstream fails in turn and drops its connection or
// resets its stream, so the service sees a broken body, never a short one
// that looks complete.
//
// Deadlines are set only while the body is being read: on HTTP/1 net/http
// clears the connection's deadline itself when the body ends, and sets its
// own for the next request, so a deadline never reaches the background
// read net/http then starts, a later request or an upgraded connection.
// Once the body has ended or failed, or after Close, Read sets none.
type deadlineBody struct {
	body   io.ReadCloser
	rc     *http.ResponseController
	p      bodyPolicy
	start  time.Time
	n      int64         // bytes read so far; only Read uses it
	waited time.Duration // time spent in reads so far; only Read uses it

	// deadline is the deadline of the read in progress or of the last one
	// that failed, in nanoseconds after start; 0 when none is pending.
	deadline atomic.Int64

	mu     sync.Mutex // orders setting a deadline before Close
	closed bool
	off    bool // the writer supports no read deadline, or the body has ended
}

func newDeadlineBody(body io.ReadCloser, w http.ResponseWriter, p bodyPolicy, start time.Time) *deadlineBody {
	return &deadlineBody{body: body, rc: http.NewResponseController(w), p: p, start: start}
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	began, ok := b.arm()
	if !ok {
		return b.body.Read(p)
	}
	n, err := b.body.Read(p)
	b.n += int64(n)
	b.waited += time.Since(b.start) - began
	switch {
	case err == nil:
		b.deadline.Store(0)
	case err == io.EOF:
		b.deadline.Store(0)
		b.end()
	case b.timedOut():
		err = errBodyTimeout
		b.end()
	default: // the client went away, or the body is malformed: not slow
		b.deadline.Store(0)
		b.end()
	}
	return n, err
}

// end stops setting deadlines once the body has ended or failed: on
// HTTP/1, net/http then reads the connection in the background to notice
// a client that goes away, and a deadline set now would cut that read, and
// so the request, short.
func (b *deadlineBody) end() {
	b.mu.Lock()
	b.off = true
	b.mu.Unlock()
}

// arm sets the deadline of the next read and reports whether it did, and
// when (after start) the read begins.
func (b *deadlineBody) arm() (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.off {
		return 0, false
	}
	now := time.Since(b.start)
	dl := now + b.p.gap
	if b.p.minRate > 0 {
		// The client must have sent minRate bytes for every second of
		// waiting past the first gap: with n bytes, it is late once the
		// waiting reaches gap + n/minRate.
		owed := b.p.gap + time.Duration(float64(b.n)/float64(b.p.minRate)*float64(time.Second))
		dl = min(dl, now+owed-b.waited)
	}
	if b.p.whole > 0 {
		dl = min(dl, b.p.whole)
	}
	if err := b.rc.SetReadDeadline(b.start.Add(dl)); err != nil {
		b.off = true // http.ErrNotSupported: a writer that is not net/http's
		return 0, false
	}
	b.deadline.Store(int64(max(dl, 1)))
	return now, true
}

// timedOut reports whether a read of the body failed, or is failing,
// because its deadline passed: the body came too slowly. It is safe to
// call from another goroutine than Read's, as the proxy's error handler
// does when an HTTP/1 read error has canceled the request first.
func (b *deadlineBody) timedOut() bool {
	d := b.deadline.Load()
	return d != 0 && time.Since(b.start) >= time.Duration(d)
}

func (b *deadlineBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return b.body.Close()
}

var _ io.ReadCloser = (*deadlineBody)(nil)
