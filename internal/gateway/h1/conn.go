package h1

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"time"
)

// conn is one connection to a target, with its reader.
type conn struct {
	nc     net.Conn
	h      *hostPool
	r      *Reader
	resp   Response
	idleAt time.Time
	reused bool
	// deadline is the read and write deadline last set, to set it only
	// when it changes.
	deadline time.Time
	gone     bool
	idle     idleCheck
	ww       writeWait
	// abort ends a blocked read or write: the request's context calls it
	// when it ends. Made once per connection, not per exchange.
	abort func()
	// stop ends the watch on the current exchange's context (see watch);
	// nil while the context is not watched.
	stop func() bool
	// grace, while not zero, is the end of the exchange's grace (see
	// watchAfter), and the connection's deadline; until is the deadline
	// after it: the response header's or the context's, or none.
	grace, until time.Time
}

// watchAfter is how long an exchange whose request is whole in memory
// goes without watching its context, under a deadline: most responses
// come sooner, and watching costs context.AfterFunc's five allocations.
// The context's deadline is the connection's meanwhile, so a timeout is
// exact; a cancellation (the client went away) is seen when the grace
// ends, at the latest.
const watchAfter = 5 * time.Millisecond

func (cn *conn) close() {
	if cn.gone {
		return
	}
	cn.gone = true
	cn.r.Release()
	cn.nc.Close()
	cn.h.closed()
}

func (cn *conn) setDeadline(t time.Time) error {
	if t.Equal(cn.deadline) {
		return nil
	}
	cn.deadline = t
	return cn.nc.SetDeadline(t)
}

// deadlineWithin sets the connection's deadline to t (zero: none) unless
// ctx has ended: a deadline set just after the context's AfterFunc set its
// own, in the past, would undo it, so the context is checked after setting.
func (cn *conn) deadlineWithin(ctx context.Context, t time.Time) error {
	if err := cn.setDeadline(t); err != nil {
		return err
	}
	return ctx.Err()
}

// longAgo is a deadline in the past: it ends any blocked read or write.
var longAgo = time.Unix(1, 0)

// exchange writes req and reads the response's header on cn. The
// request's context ends it through a deadline in the past, set by
// context.AfterFunc once the exchange watches the context (see watch): no
// goroutine waits on the context meanwhile. With h, the response is what h
// holds and the body exchange returns (in into when it is not nil; see
// Client.RoundTripHead); without, it is the http.Response, body included.
func (cn *conn) exchange(ctx context.Context, req *http.Request, h *Head, into *Body) (*http.Response, io.ReadCloser, error) {
	cn.grace = time.Time{}
	resp, b, err := cn.roundTrip(ctx, req, h, into)
	if err != nil {
		cn.unwatch()
		return nil, nil, err
	}
	return resp, b, nil
}

// roundTrip is exchange, which stops watching the context when it fails.
func (cn *conn) roundTrip(ctx context.Context, req *http.Request, h *Head, into *Body) (*http.Response, io.ReadCloser, error) {
	awaited, err := cn.writeRequest(ctx, req)
	if err != nil {
		return nil, nil, cn.ctxErr(ctx, err)
	}
	if t := cn.h.opts.ResponseHeaderTimeout; t > 0 && !awaited {
		if err := cn.deadlineWithin(ctx, time.Now().Add(t)); err != nil {
			return nil, nil, err
		}
	}
	n1xx := 0
	for {
		err := cn.readResponse(ctx, req.Method)
		if err != nil {
			if err != io.EOF {
				err = fmt.Errorf("h1: read response: %w", err)
			}
			return nil, nil, cn.ctxErr(ctx, err)
		}
		code := cn.resp.StatusCode
		if code >= 200 {
			break
		}
		if code == http.StatusSwitchingProtocols {
			return nil, nil, errSwitching
		}
		if n1xx++; n1xx > max1xx {
			return nil, nil, errTooMany1xx
		}
		// httputil.ReverseProxy passes informational responses (103 Early
		// Hints) on to its client through this hook, as net/http calls it.
		if trace := httptrace.ContextClientTrace(ctx); trace != nil && trace.Got1xxResponse != nil {
			h, err := toHTTP(&cn.resp, req)
			if err == nil {
				err = trace.Got1xxResponse(code, textproto.MIMEHeader(h.Header))
			}
			if err != nil {
				return nil, nil, err
			}
		}
	}
	cn.grace = time.Time{}
	var x *response
	if h != nil {
		if err := checkTrailer(&cn.resp); err != nil {
			return nil, nil, err
		}
		h.set(&cn.resp)
	} else {
		if x, err = newResponse(&cn.resp, req); err != nil {
			return nil, nil, err
		}
	}
	closing := cn.resp.Close || req.Close
	if cn.r.Done() {
		// No body to read: the connection is free now.
		if !cn.unwatch() || closing || cn.r.Buffered() > 0 {
			cn.close()
		} else {
			cn.h.put(cn)
		}
		if x == nil {
			return nil, http.NoBody, nil
		}
		x.Body = http.NoBody
		return &x.Response, nil, nil
	}
	if !cn.r.bodyBuffered() {
		// Reading the body may block: the context's end must abort it,
		// and nothing else. A body already read whole leaves the
		// connection's deadline as it is, to be replaced by the next
		// exchange's, which spares a change of the poller's timers.
		if err := cn.unbounded(ctx); err != nil {
			return nil, nil, err
		}
	}
	if x == nil {
		if into == nil {
			into = new(Body)
		}
		into.b = body{cn: cn, ctx: ctx, close: closing}
		return nil, into, nil
	}
	x.body = body{cn: cn, ctx: ctx, resp: &x.Response, close: closing}
	x.Body = &x.body
	return &x.Response, nil, nil
}

// readResponse reads the next response's header into cn.resp. When the
// grace ends first, the exchange watches its context from then on and
// reads on under the deadline after the grace, unless the context ended.
func (cn *conn) readResponse(ctx context.Context, method string) error {
	for {
		err := cn.r.ReadResponse(&cn.resp, method)
		if err == nil || cn.grace.IsZero() || !errors.Is(err, os.ErrDeadlineExceeded) ||
			!cn.until.IsZero() && !time.Now().Before(cn.until) {
			return err
		}
		cn.watch(ctx)
		cn.r.resume()
		if err := cn.deadlineWithin(ctx, cn.until); err != nil {
			return err
		}
	}
}

// watch makes the end of ctx abort the connection's blocked read or write
// from now until unwatch, and ends the grace.
func (cn *conn) watch(ctx context.Context) {
	cn.grace = time.Time{}
	if cn.stop == nil {
		cn.stop = context.AfterFunc(ctx, cn.abort)
	}
}

// unwatch stops watching the context. It reports false when the context's
// end has already set, or is setting, the deadline that aborts: the
// connection must then be closed.
func (cn *conn) unwatch() bool {
	cn.grace = time.Time{}
	stop := cn.stop
	if stop == nil {
		return true
	}
	cn.stop = nil
	return stop()
}

// ctxErr prefers the context's error: a deadline set in the past by the
// context's end shows as a timeout of the connection.
func (cn *conn) ctxErr(ctx context.Context, err error) error {
	return contextErr(ctx, err)
}

// contextErr returns the context's error when it ended, or when err is the
// timeout of the context's deadline, set on the connection, that fired a
// moment before the context's own timer.
func contextErr(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var ne net.Error
	if d, ok := ctx.Deadline(); ok && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return err
}

// body streams a response's body from its connection, and gives the
// connection back when the body was read to its end.
type body struct {
	cn    *conn
	ctx   context.Context // the request's
	resp  *http.Response  // nil for RoundTripHead, which keeps no trailers
	close bool            // the connection cannot be reused anyway
	err   error
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.cn.r.Read(p)
	if err == io.EOF {
		b.setTrailers()
		b.finish(true)
		b.err = io.EOF
	} else if err != nil {
		if _, ok := err.(*ProtocolError); ok {
			err = fmt.Errorf("h1: read body: %w", err)
		}
		err = contextErr(b.ctx, err)
		b.finish(false)
		b.err = err
	}
	return n, err
}

func (b *body) Close() error {
	if b.err == nil {
		b.err = errBodyClosed
		b.finish(false)
	}
	return nil
}

// finish ends the exchange: the connection is pooled when the body was
// read to its end, nothing else came after it and no deadline fired.
func (b *body) finish(ok bool) {
	cn := b.cn
	if cn == nil {
		return
	}
	b.cn = nil
	if cn.unwatch() && ok && !b.close && cn.r.Done() && cn.r.Buffered() == 0 {
		cn.h.put(cn)
		return
	}
	cn.close()
}

func (b *body) setTrailers() {
	if tr := b.cn.r.Trailers(); len(tr) > 0 && b.resp != nil {
		setTrailers(b.resp, tr)
	}
}

// setTrailers puts the trailer fields read at a chunked body's end into
// resp.Trailer, announced or not, as net/http does.
func setTrailers(resp *http.Response, tr []Trailer) {
	if resp.Trailer == nil {
		resp.Trailer = make(http.Header, len(tr))
	}
	for _, f := range tr {
		k := http.CanonicalHeaderKey(f.Name)
		resp.Trailer[k] = append(resp.Trailer[k], f.Value)
	}
}
