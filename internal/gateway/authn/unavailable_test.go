package authn_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/gateway/authn"
)

// TestUnavailableIsNever401 uses a fake auth, the one place where a real
// one cannot misbehave on demand: answers that are not a verdict on the
// credential must read as 503, never 401, and must not be cached.
func TestUnavailableIsNever401(t *testing.T) {
	session := authn.Credential{Kind: authn.KindSession, Value: sessionToken}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    error
		status  int
	}{
		{"500", status(http.StatusInternalServerError), authn.ErrUnavailable, http.StatusServiceUnavailable},
		{"502", status(http.StatusBadGateway), authn.ErrUnavailable, http.StatusServiceUnavailable},
		{"403, the gateway not admitted", status(http.StatusForbidden), authn.ErrUnavailable, http.StatusServiceUnavailable},
		{"401 with a challenge, the workload token refused", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			status(http.StatusUnauthorized)(w, r)
		}, authn.ErrUnavailable, http.StatusServiceUnavailable},
		{"404, a wrong url", status(http.StatusNotFound), authn.ErrUnavailable, http.StatusServiceUnavailable},
		{"429", status(http.StatusTooManyRequests), authn.ErrUnavailable, http.StatusServiceUnavailable},
		{"redirect, not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://elsewhere.test/", http.StatusTemporaryRedirect)
		}, authn.ErrUnavailable, http.StatusServiceUnavailable},
		{"200 with a broken body", body(`{"token":`), authn.ErrUnavailable, http.StatusServiceUnavailable},
		{"200 without a token", body(`{"subject":"idn_1","expires_at":"2026-05-01T09:02:00Z","cache_ttl_seconds":10}`),
			authn.ErrUnavailable, http.StatusServiceUnavailable},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			// With the body read, the server notices the client hang up.
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		}, authn.ErrUnavailable, http.StatusServiceUnavailable},
		{"400", status(http.StatusBadRequest), authn.ErrMalformed, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				tc.handler(w, r)
			}))
			t.Cleanup(srv.Close)
			x, err := authn.New(verifying(t, authn.Options{AuthURL: srv.URL, Timeout: 50 * time.Millisecond, Now: func() time.Time { return t0 }}))
			mustNoErr(t, "new exchanger", err)
			for range 2 {
				_, err := x.Exchange(t.Context(), session)
				wantErr(t, tc.name, err, tc.want, tc.status)
			}
			if got := calls.Load(); got != 2 {
				t.Errorf("got %d calls to auth, want 2 (failures are not cached)", got)
			}
		})
	}
}

func TestUnreachableAuth(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	x, err := authn.New(verifying(t, authn.Options{AuthURL: url}))
	mustNoErr(t, "new exchanger", err)
	_, err = x.Exchange(t.Context(), authn.Credential{Kind: authn.KindBearer, Value: accessToken})
	wantErr(t, "connection refused", err, authn.ErrUnavailable, http.StatusServiceUnavailable)
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(code)
		w.Write([]byte(`{"type":"https://portico.dev/problems/x","status":0}`))
	}
}

func body(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(s))
	}
}
