package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/platform/tlsconfig/tlstest"
)

// TestTLSOffersHTTP2AndHTTP1 serves a TLS listener and checks that a
// client offering both protocols gets HTTP/2, and one offering only
// HTTP/1.1 gets that.
func TestTLSOffersHTTP2AndHTTP1(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	leaf := ca.Server(t, "127.0.0.1")
	s := mustServer(t, Options{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(r.Proto))
		}),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{leaf.TLS}},
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := serve(ctx, s)
	defer func() { cancel(); <-errc }()

	url := "https://" + s.Addr().String() + "/"
	for name, tc := range map[string]struct {
		h2   bool
		want string
	}{"both offered": {true, "HTTP/2.0"}, "HTTP/1.1 only": {false, "HTTP/1.1"}} {
		t.Run(name, func(t *testing.T) {
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}, ForceAttemptHTTP2: tc.h2}
			defer tr.CloseIdleConnections()
			code, body := mustGet(t, &http.Client{Transport: tr, Timeout: 10 * time.Second}, url)
			if code != http.StatusOK || body != tc.want {
				t.Errorf("got %d %q, want 200 %q", code, body, tc.want)
			}
		})
	}
}

func TestTLSAndH2CAreExclusive(t *testing.T) {
	_, err := New(Options{Addr: "127.0.0.1:0", Handler: http.NotFoundHandler(), H2C: true, TLSConfig: &tls.Config{}})
	if err == nil || !strings.Contains(err.Error(), "cleartext HTTP/2") {
		t.Errorf("got %v, want cleartext HTTP/2 on TLS refused", err)
	}
}

// TestTLSHandshakeErrorsAreCountedNotWarned sends cleartext HTTP to a TLS
// listener: the failed handshake reaches the hook and the debug log only.
func TestTLSHandshakeErrorsAreCountedNotWarned(t *testing.T) {
	leaf := tlstest.NewCA(t, "test CA").Server(t, "127.0.0.1")
	var logs bytes.Buffer
	var mu sync.Mutex
	failed := make(chan struct{}, 1)
	s := mustServer(t, Options{
		Handler:             http.NotFoundHandler(),
		TLSConfig:           &tls.Config{Certificates: []tls.Certificate{leaf.TLS}},
		Logger:              slog.New(slog.NewJSONHandler(&lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnTLSHandshakeError: func() { failed <- struct{}{} },
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := serve(ctx, s)
	defer func() { cancel(); <-errc }()

	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	io.ReadAll(c)
	select {
	case <-failed:
	case <-time.After(10 * time.Second):
		t.Fatal("the hook was not called")
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), `"level":"DEBUG","msg":"http: TLS handshake error`) || strings.Contains(logs.String(), `"level":"WARN"`) {
		t.Errorf("log:\n%s\nwant the handshake error at debug level only", logs.String())
	}
}
