package h1

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// Options configure a [Client]. A zero field takes its default.
type Options struct {
	// DialTimeout bounds a connection's dial. Default: only the request's
	// context bounds it.
	DialTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for a response's header, from
	// the moment the request was written. Default: none.
	ResponseHeaderTimeout time.Duration
	// IdleTimeout closes a pooled connection left idle this long.
	// Default 90s.
	IdleTimeout time.Duration
	// MaxIdlePerHost caps the idle connections kept per target; more are
	// closed. Default 256.
	MaxIdlePerHost int
	// MaxConnsPerHost caps the connections, idle or busy, per target; a
	// request over the cap waits for one. Default: no cap.
	MaxConnsPerHost int
	// Limits bound each response's header.
	Limits Limits
	// Dial opens a connection. Default: net.Dialer with DialTimeout and a
	// 30 s TCP keep-alive.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Client sends plain HTTP/1.1 requests to upstream targets over pooled
// keep-alive connections, one pool per host:port, doing all its work on
// the caller's goroutine. Create it with [NewClient]; close its idle
// connections with [Client.CloseIdleConnections]. It serves only what
// [Supports] accepts.
type Client struct {
	opts Options

	mu    sync.Mutex
	hosts map[string]*hostPool
}

// NewClient returns a client with opts.
func NewClient(opts Options) *Client {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 90 * time.Second
	}
	if opts.MaxIdlePerHost <= 0 {
		opts.MaxIdlePerHost = 256
	}
	opts.Limits = opts.Limits.withDefaults()
	if opts.Dial == nil {
		d := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
		opts.Dial = d.DialContext
	}
	return &Client{opts: opts, hosts: make(map[string]*hostPool)}
}

// ErrUnsupported is returned for a request the client does not serve; see
// [Supports].
var ErrUnsupported = errors.New("h1: request needs net/http (upgrade, Expect, trailers or not http)")

// errTooMany1xx ends an exchange that never gets past informational
// responses.
var errTooMany1xx = &ProtocolError{"too many 1xx responses"}

// errSwitching is a 101 the client never asked for.
var errSwitching = &ProtocolError{"unexpected 101 Switching Protocols"}

// errBodyClosed is a read of a body after Close.
var errBodyClosed = errors.New("h1: read on closed response body")

// max1xx caps the informational responses before the final one, as
// net/http does.
const max1xx = 5

// Supports reports whether the client can send req: http URLs without an
// upgrade, Expect: 100-continue or trailers. Everything else stays with
// net/http.
func Supports(req *http.Request) bool {
	if req.URL == nil || req.URL.Scheme != "http" || len(req.Trailer) > 0 {
		return false
	}
	h := req.Header
	return h["Upgrade"] == nil && h["Expect"] == nil && h["Te"] == nil
}

// RoundTrip sends req and reads the response's header; the body streams
// from the connection as the caller reads it, and the connection goes back
// to the pool when the body was read to its end. A malformed response is a
// *ProtocolError and its connection is closed. A request on a pooled
// connection the upstream had closed is sent again on a new one when it has
// no body and is idempotent, as net/http does.
func (c *Client) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, _, err := c.roundTrip(req, nil, nil)
	return resp, err
}

// RoundTripHead is RoundTrip for a caller that reads only a response's
// status, length and content type: it puts them in h and returns the
// body, without building an http.Response and its header map. Trailers
// are read and dropped. The body must be closed, as a response's.
func (c *Client) RoundTripHead(req *http.Request, h *Head) (io.ReadCloser, error) {
	return c.RoundTripHeadInto(req, h, nil)
}

// Body holds the state of a body RoundTripHeadInto returns, inside a
// struct of the caller's: one allocation for both.
type Body struct{ b body }

// Read reads the body.
func (b *Body) Read(p []byte) (int, error) { return b.b.Read(p) }

// Close ends the body; the connection is pooled only if the body was read
// to its end.
func (b *Body) Close() error { return b.b.Close() }

// RoundTripHeadInto is RoundTripHead with the body kept in into, which is
// what it returns for a response with a body (http.NoBody otherwise).
// into must not be in use.
func (c *Client) RoundTripHeadInto(req *http.Request, h *Head, into *Body) (io.ReadCloser, error) {
	_, b, err := c.roundTrip(req, h, into)
	return b, err
}

func (c *Client) roundTrip(req *http.Request, head *Head, into *Body) (*http.Response, io.ReadCloser, error) {
	if !Supports(req) {
		return nil, nil, ErrUnsupported
	}
	ctx := req.Context()
	h := c.host(req.URL)
	for {
		cn, err := h.get(ctx, c)
		if err == errPoolGone {
			h = c.host(req.URL)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		resp, b, err := cn.exchange(ctx, req, head, into)
		if err == nil {
			return resp, b, nil
		}
		if invalidRequest(err) {
			cn.h.put(cn) // nothing was written
			return nil, nil, err
		}
		reused := cn.reused
		cn.close()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if reused && isStale(err) && replayable(req) {
			continue // only ever on a reused connection, so this ends
		}
		return nil, nil, err
	}
}

// CloseIdleConnections closes every idle connection.
func (c *Client) CloseIdleConnections() {
	c.mu.Lock()
	hosts := make([]*hostPool, 0, len(c.hosts))
	for _, h := range c.hosts {
		hosts = append(hosts, h)
	}
	c.mu.Unlock()
	for _, h := range hosts {
		h.closeIdle(time.Time{})
	}
}

func (c *Client) host(u *url.URL) *hostPool {
	c.mu.Lock()
	h := c.hosts[u.Host]
	if h == nil {
		h = &hostPool{addr: dialAddr(u), key: u.Host, c: c, opts: &c.opts, wake: make(chan struct{}, 1)}
		c.hosts[u.Host] = h
	}
	c.mu.Unlock()
	return h
}

// forget takes h out of the map when it has no connection, idle or busy.
func (c *Client) forget(h *hostPool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open == 0 && len(h.idle) == 0 && c.hosts[h.key] == h {
		h.gone = true
		delete(c.hosts, h.key)
		// Wake every request waiting at MaxConnsPerHost, to ask again:
		// with no connection left, nothing would signal them. signal
		// holds h.mu and sends nothing once gone is set.
		close(h.wake)
	}
}

// dialAddr is the host:port to dial for u, port 80 when u names none.
func dialAddr(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// isStale reports whether err is what a pooled connection the upstream had
// already closed gives: a write that failed, or the connection closed
// before the response's first byte.
func isStale(err error) bool {
	var we *writeError
	return errors.As(err, &we) || err == io.EOF || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// replayable reports whether req may be sent again: no body, and a method
// that is idempotent or an idempotency key.
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody {
		return false
	}
	switch req.Method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "":
		return true
	}
	return req.Header["Idempotency-Key"] != nil || req.Header["X-Idempotency-Key"] != nil
}

// writeError is a failure to write the request.
type writeError struct{ err error }

func (e *writeError) Error() string { return "h1: write request: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }
