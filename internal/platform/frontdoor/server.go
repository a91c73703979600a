package frontdoor

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves a listener: plain HTTP/1.1 requests itself, every other
// connection through its net/http server. Create it with New.
type Server struct {
	srv     *http.Server
	handoff *handoffListener

	mu         sync.Mutex
	conns      map[*conn]struct{}
	listeners  map[net.Listener]struct{}
	inShutdown atomic.Bool
	fallback   sync.Once // starts srv.Serve on the handoff listener
}

// New returns a Server that serves with srv's Handler, timeouts and
// BaseContext, and hands the connections it does not serve to srv.
// srv must not be served otherwise, and must not have a TLSConfig: TLS
// connections are net/http's whole.
func New(srv *http.Server) *Server {
	return &Server{
		srv:       srv,
		handoff:   newHandoffListener(),
		conns:     make(map[*conn]struct{}),
		listeners: make(map[net.Listener]struct{}),
	}
}

// ErrServerClosed is what Serve returns after Shutdown or Close.
var ErrServerClosed = http.ErrServerClosed

// Serve accepts connections on ln until it fails or the server shuts
// down; it always returns a non-nil error, ErrServerClosed after Shutdown
// or Close. It closes ln.
func (s *Server) Serve(ln net.Listener) error {
	if s.srv.TLSConfig != nil {
		ln.Close()
		return errors.New("frontdoor: the server has a TLSConfig; serve TLS with net/http")
	}
	if !s.track(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer func() {
		s.untrack(ln)
		ln.Close() // as net/http, whatever ended the loop
	}()
	s.handoff.setAddr(ln.Addr())
	// net/http's Serve ends only when Shutdown or Close closes the
	// handoff listener: its error says nothing Serve's caller needs.
	s.fallback.Do(func() { go s.srv.Serve(s.handoff) })

	base := context.Background()
	if s.srv.BaseContext != nil {
		if base = s.srv.BaseContext(ln); base == nil {
			panic("frontdoor: BaseContext returned a nil context")
		}
	}
	base = context.WithValue(base, http.ServerContextKey, s.srv)
	var delay time.Duration // how long to sleep on accept failure
	for {
		rw, err := ln.Accept()
		if err != nil {
			if s.inShutdown.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Temporary() { //nolint:staticcheck // net/http's own retry rule
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logf("frontdoor: accept error: %v; retrying in %v", err, delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := newConn(s, rw, base)
		if !s.add(c) {
			rw.Close()
			continue
		}
		go c.serve()
	}
}

// Shutdown stops the server as net/http's Shutdown does: it closes the
// listeners, closes idle connections, lets requests in flight finish
// (their responses close their connections), and returns once none is
// left or ctx ends, with ctx's error then. The net/http server shuts down
// alongside.
func (s *Server) Shutdown(ctx context.Context) error {
	s.inShutdown.Store(true)
	lnErr := s.closeListeners()
	s.handoff.Close()
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Shutdown(ctx) }()

	interval := time.Millisecond
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for !s.closeIdle() {
		select {
		case <-ctx.Done():
			<-errc
			return ctx.Err()
		case <-timer.C:
			interval = min(2*interval, 500*time.Millisecond)
			timer.Reset(interval)
		}
	}
	if err := <-errc; err != nil {
		return err
	}
	return lnErr
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.inShutdown.Store(true)
	err := s.closeListeners()
	s.handoff.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.rwc.Close()
	}
	s.mu.Unlock()
	return errors.Join(err, s.srv.Close())
}

func (s *Server) track(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inShutdown.Load() {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrack(ln net.Listener) {
	s.mu.Lock()
	delete(s.listeners, ln)
	s.mu.Unlock()
}

func (s *Server) closeListeners() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	for ln := range s.listeners {
		if cerr := ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
		delete(s.listeners, ln)
	}
	return err
}

func (s *Server) add(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inShutdown.Load() {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) remove(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// closeIdle closes the connections waiting for a request and reports
// whether none is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.closeIfIdle() {
			delete(s.conns, c)
		}
	}
	return len(s.conns) == 0
}

func (s *Server) keepAlives() bool { return !s.inShutdown.Load() }

func (s *Server) logf(format string, args ...any) {
	if l := s.srv.ErrorLog; l != nil {
		l.Printf(format, args...)
		return
	}
	// As net/http: the standard logger when none is set.
	defaultLogf(format, args...)
}

// handoffListener is the listener the net/http server serves: it yields
// the connections the front door hands over.
type handoffListener struct {
	ch     chan net.Conn
	done   chan struct{}
	once   sync.Once
	addrMu sync.Mutex
	addr   net.Addr
}

func newHandoffListener() *handoffListener {
	return &handoffListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// give hands c to net/http, or closes it when the server is closed.
func (l *handoffListener) give(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) setAddr(a net.Addr) {
	l.addrMu.Lock()
	if l.addr == nil {
		l.addr = a
	}
	l.addrMu.Unlock()
}

func (l *handoffListener) Addr() net.Addr {
	l.addrMu.Lock()
	defer l.addrMu.Unlock()
	if l.addr == nil {
		return &net.TCPAddr{}
	}
	return l.addr
}
