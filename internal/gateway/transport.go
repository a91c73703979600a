package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/gateway/h1"
	"github.com/portico-gw/portico/internal/gateway/upstream"
)

// newHTTPTransport builds the connection pool of one service, sized for a
// gateway rather than for a client: many idle connections per target, no
// proxy from the environment, no transparent decompression (bodies pass
// through as the upstream sent them).
func newHTTPTransport(s *config.Service) *http.Transport {
	d := &net.Dialer{Timeout: s.Timeouts.Dial.D(), KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		MaxIdleConns:           0,
		MaxIdleConnsPerHost:    s.Pool.MaxIdlePerHost,
		MaxConnsPerHost:        s.Pool.MaxConnsPerHost,
		IdleConnTimeout:        s.Pool.IdleTimeout.D(),
		ResponseHeaderTimeout:  s.Timeouts.ResponseHeader.D(),
		ExpectContinueTimeout:  time.Second,
		TLSHandshakeTimeout:    s.Timeouts.Dial.D(),
		DisableCompression:     true,
		MaxResponseHeaderBytes: int64(s.MaxResponseHeaderBytes),
		ForceAttemptHTTP2:      true,
	}
	if s.H2C {
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		t.Protocols = &p
	}
	return t
}

// newFastClient builds the fast path's client of one service (fast_path),
// with the service's timeouts, pool and header limit.
func newFastClient(s *config.Service) *h1.Client {
	d := &net.Dialer{Timeout: s.Timeouts.Dial.D(), KeepAlive: 30 * time.Second}
	return h1.NewClient(h1.Options{
		DialTimeout:           s.Timeouts.Dial.D(),
		ResponseHeaderTimeout: s.Timeouts.ResponseHeader.D(),
		IdleTimeout:           s.Pool.IdleTimeout.D(),
		MaxIdlePerHost:        s.Pool.MaxIdlePerHost,
		MaxConnsPerHost:       s.Pool.MaxConnsPerHost,
		Limits: h1.Limits{
			MaxHeaderBytes: int(s.MaxResponseHeaderBytes),
			// As with net/http, the size is the limit: a field takes at
			// least four bytes.
			MaxHeaders: max(1, int(s.MaxResponseHeaderBytes)/4),
		},
		Dial: d.DialContext,
	})
}

// serviceTransport sends a request to one of a service's targets: it asks
// the service for a target (breaker, health, balancing), sends, reports the
// outcome, and retries idempotent requests that failed to connect, within
// the service's retry budget.
type serviceTransport struct {
	name    string
	svc     *upstream.Service
	rt      *http.Transport
	fast    *h1.Client // nil unless the service has fast_path
	retries prometheus.Counter
}

// newServiceTransport returns the transport of service sc, sending through
// rt, and through the fast path's client for what it serves when sc has
// fast_path (see fastPathFor).
func newServiceTransport(sc *config.Service, up *upstream.Service, rt *http.Transport, retries prometheus.Counter) *serviceTransport {
	t := &serviceTransport{name: sc.Name, svc: up, rt: rt, retries: retries}
	if fastPathFor(sc) {
		t.fast = newFastClient(sc)
	}
	return t
}

// usesFastPath reports whether the service has the fast path.
func (t *serviceTransport) usesFastPath() bool { return t.fast != nil }

// closeIdle closes the idle connections of both paths.
func (t *serviceTransport) closeIdle() {
	t.rt.CloseIdleConnections()
	if t.fast != nil {
		t.fast.CloseIdleConnections()
	}
}

// send sends one attempt: through the fast path when the service has one
// and it serves the request, else through net/http.
func (t *serviceTransport) send(req *http.Request) (*http.Response, error) {
	if t.fast != nil {
		// The client checks what it serves (h1.Supports) before anything
		// else; what it refuses goes to net/http.
		resp, err := t.fast.RoundTrip(req)
		if err != h1.ErrUnsupported {
			return resp, err
		}
	}
	return t.rt.RoundTrip(req)
}

// attemptsKey carries a route's override of the number of attempts.
type attemptsKey struct{}

func (t *serviceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var resp *http.Response
	a, outcome, err := t.attempt(req, func(req *http.Request) (int, error) {
		var err error
		if resp, err = t.send(req); err != nil {
			return 0, err
		}
		return resp.StatusCode, nil
	})
	if err != nil {
		return nil, err
	}
	if rwc, ok := resp.Body.(io.ReadWriteCloser); ok && resp.StatusCode == http.StatusSwitchingProtocols {
		// An upgraded connection: the proxy needs the writable body.
		resp.Body = &upgradedBody{ReadWriteCloser: rwc, done: doneBody{a: a, outcome: outcome}}
		return resp, nil
	}
	resp.Body = &doneBody{ReadCloser: resp.Body, a: a, outcome: outcome}
	return resp, nil
}

// roundTripHead is RoundTrip for a caller that reads only the response's
// status, length and content type (composition's steps): on the fast
// path, no http.Response is built (h1.Client.RoundTripHead). The caller
// may reuse req's URL and Header once the body is closed (see
// aggregate.HeadDoer): the fast path's client keeps nothing of a request
// after its exchange, and net/http's Transport, which makes no such
// promise, gets a copy.
func (t *serviceTransport) roundTripHead(req *http.Request, h *h1.Head) (io.ReadCloser, error) {
	hb := &headBody{}
	a, outcome, err := t.attempt(req, func(req *http.Request) (int, error) {
		if t.fast != nil {
			var err error
			hb.ReadCloser, err = t.fast.RoundTripHeadInto(req, h, &hb.fast)
			if err == nil {
				return h.StatusCode, nil
			}
			if err != h1.ErrUnsupported {
				return 0, err
			}
		}
		resp, err := t.rt.RoundTrip(req.Clone(req.Context()))
		if err != nil {
			return 0, err
		}
		*h = h1.Head{StatusCode: resp.StatusCode, ContentLength: resp.ContentLength}
		if ct := resp.Header["Content-Type"]; len(ct) > 0 {
			h.ContentType = ct[0]
		}
		hb.ReadCloser = resp.Body
		return resp.StatusCode, nil
	})
	if err != nil {
		return nil, err
	}
	hb.a, hb.outcome = a, outcome
	return hb, nil
}

// headBody is roundTripHead's body: the attempt's end when the body is
// done, and the fast path's body state, in one allocation.
type headBody struct {
	doneBody
	fast h1.Body
}

// attempt sends req with send, which reports the response's status, to one
// of the service's targets after another: it asks the service for a target
// (breaker, health, balancing), and retries an idempotent request that
// failed to connect, within the service's retry budget. It returns the
// attempt that answered, to be finished with the outcome once the body is
// done.
func (t *serviceTransport) attempt(req *http.Request, send func(*http.Request) (int, error)) (upstream.Attempt, upstream.Outcome, error) {
	maxAttempts := t.svc.MaxAttempts()
	if n, ok := req.Context().Value(attemptsKey{}).(int); ok {
		maxAttempts = n
	}
	retryable := isIdempotent(req.Method) && (req.Body == nil || req.Body == http.NoBody)
	basePath, rawBase := req.URL.Path, req.URL.RawPath
	var avoid *upstream.Target
	for attempt := 1; ; attempt++ {
		a, err := t.svc.Acquire(avoid)
		if err != nil {
			return a, 0, err
		}
		target := a.Target().URL()
		req.URL.Scheme = target.Scheme
		req.URL.Host = target.Host
		req.URL.Path, req.URL.RawPath = joinPath(target, basePath, rawBase)
		req.Host = ""
		status, err := send(req)
		if err == nil {
			outcome := upstream.Success
			if status >= 500 {
				outcome = upstream.Failure
			}
			return a, outcome, nil
		}
		kind := classify(req.Context(), err)
		a.Done(kind.outcome())
		if kind != kindConnect || !retryable || attempt >= maxAttempts || req.Context().Err() != nil || !t.svc.AllowRetry() {
			return a, 0, err
		}
		t.retries.Inc()
		avoid = a.Target()
	}
}

// joinPath prefixes the request path with the target's base path, if any.
func joinPath(target *url.URL, path, raw string) (string, string) {
	if target.Path == "" || target.Path == "/" {
		return path, raw
	}
	basePath := strings.TrimSuffix(target.Path, "/")
	baseRaw := strings.TrimSuffix(target.EscapedPath(), "/")
	if raw == "" {
		raw = path
	}
	// url.URL.EscapedPath falls back to escaping Path when RawPath does not
	// match it, so a mismatch cannot send a different path than intended.
	return basePath + path, baseRaw + raw
}

// doneBody reports an attempt's outcome when the response body is finished,
// so a target's in-flight count covers the whole streaming response.
type doneBody struct {
	io.ReadCloser
	once    sync.Once
	a       upstream.Attempt
	outcome upstream.Outcome
}

func (b *doneBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.finish(upstream.Failure)
	}
	return n, err
}

func (b *doneBody) Close() error {
	err := b.ReadCloser.Close()
	b.finish(b.outcome)
	return err
}

func (b *doneBody) finish(o upstream.Outcome) {
	b.once.Do(func() { b.a.Done(o) })
}

// upgradedBody is the body of a 101 response: the upgraded connection. The
// attempt ends when the proxy closes it.
type upgradedBody struct {
	io.ReadWriteCloser
	done doneBody
}

func (b *upgradedBody) Close() error {
	err := b.ReadWriteCloser.Close()
	b.done.finish(b.done.outcome)
	return err
}

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// failureKind names why an upstream exchange failed, for metrics, logs and
// the status the client gets.
type failureKind string

const (
	kindConnect      failureKind = "connect"
	kindTimeout      failureKind = "timeout"
	kindProtocol     failureKind = "protocol"
	kindCircuitOpen  failureKind = "circuit_open"
	kindNoTarget     failureKind = "no_target"
	kindCanceled     failureKind = "canceled"
	kindBodyTooLarge failureKind = "body_too_large"
	kindBodyTimeout  failureKind = "body_timeout" // the client's body came too slowly
	kindAborted      failureKind = "aborted"      // the response broke off after it started
)

func (k failureKind) outcome() upstream.Outcome {
	switch k {
	case kindCanceled, kindBodyTooLarge, kindBodyTimeout:
		return upstream.Canceled
	case kindTimeout:
		return upstream.Timeout
	}
	return upstream.Failure
}

// classify maps an error from the transport to a failure kind. ctx is the
// request's context: a context canceled while the deadline has not passed
// means the client went away.
func classify(ctx context.Context, err error) failureKind {
	var mbe *http.MaxBytesError
	var opErr *net.OpError
	var ne net.Error
	switch {
	case errors.Is(err, upstream.ErrCircuitOpen):
		return kindCircuitOpen
	case errors.Is(err, upstream.ErrNoTarget):
		return kindNoTarget
	case errors.As(err, &mbe):
		return kindBodyTooLarge
	case errors.Is(err, errBodyTimeout):
		return kindBodyTimeout
	case errors.Is(err, context.DeadlineExceeded):
		return kindTimeout
	case errors.Is(err, context.Canceled) || ctx.Err() == context.Canceled:
		return kindCanceled
	case errors.As(err, &ne) && ne.Timeout():
		return kindTimeout
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return kindConnect
	}
	return kindProtocol
}
