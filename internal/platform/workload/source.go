package workload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

// TokenSource returns a caller's current workload token for one callee.
type TokenSource interface {
	// Token returns the token to send now.
	Token(ctx context.Context) (string, error)
}

// DefaultFileCheckInterval is how often a FileSource looks at its file.
const DefaultFileCheckInterval = 10 * time.Second

// maxTokenFileBytes bounds a token file; a ServiceAccount token is about a
// kilobyte.
const maxTokenFileBytes = 16 << 10

// FileSource reads a token from a file that another party rotates, as the
// kubelet rotates a projected ServiceAccount token (it renews one when 80 %
// of its life has passed, by an atomic symlink swap). The file is read
// again when its size or modification time changes, looked at no more than
// once per check interval. It is safe for concurrent use.
type FileSource struct {
	path  string
	every time.Duration
	now   func() time.Time

	mu        sync.Mutex
	token     string
	size      int64
	mod       time.Time
	checkedAt time.Time
}

// NewFileSource returns a FileSource reading path, looking at it every
// interval (zero means DefaultFileCheckInterval).
func NewFileSource(path string, interval time.Duration) *FileSource {
	if interval <= 0 {
		interval = DefaultFileCheckInterval
	}
	return &FileSource{path: path, every: interval, now: time.Now}
}

// Token implements TokenSource. A file that cannot be read after it was
// read once keeps its last token in use (the kubelet may be in the middle
// of a swap), and the error is returned only when there is none.
func (s *FileSource) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.token != "" && now.Sub(s.checkedAt) < s.every {
		return s.token, nil
	}
	s.checkedAt = now
	fi, err := os.Stat(s.path)
	if err != nil {
		if s.token != "" {
			return s.token, nil
		}
		return "", fmt.Errorf("workload token file: %w", err)
	}
	if s.token != "" && fi.Size() == s.size && fi.ModTime().Equal(s.mod) {
		return s.token, nil
	}
	tok, err := readTokenFile(s.path)
	if err != nil {
		if s.token != "" {
			return s.token, nil
		}
		return "", err
	}
	s.token, s.size, s.mod = tok, fi.Size(), fi.ModTime()
	return tok, nil
}

func readTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("workload token file: %w", err)
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, maxTokenFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("workload token file %s: %w", path, err)
	}
	if len(buf) > maxTokenFileBytes {
		return "", fmt.Errorf("workload token file %s: longer than %d bytes", path, maxTokenFileBytes)
	}
	tok := string(bytes.TrimSpace(buf))
	if tok == "" {
		return "", fmt.Errorf("workload token file %s: empty", path)
	}
	return tok, nil
}

// Transport returns a RoundTripper that sends every request through base
// (http.DefaultTransport when nil) with "Authorization: Bearer" set to
// src's current token. The request is cloned, never changed. A token that
// cannot be had fails the request before anything is sent.
func Transport(base http.RoundTripper, src TokenSource) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, src: src}
}

type transport struct {
	base http.RoundTripper
	src  TokenSource
}

// ErrNoToken wraps a TokenSource's failure in a request that was not sent.
var ErrNoToken = errors.New("no workload token")

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	tok, err := t.src.Token(r.Context())
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("%w: %w", ErrNoToken, err)
	}
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+tok)
	return t.base.RoundTrip(r2)
}

// CloseIdleConnections closes the idle connections of the base transport,
// so that an http.Client's CloseIdleConnections reaches it.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

var (
	_ TokenSource       = (*FileSource)(nil)
	_ TokenSource       = (*mintSource)(nil)
	_ http.RoundTripper = (*transport)(nil)
)
