package identity_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/problem"
)

func TestMiddleware(t *testing.T) {
	clk := newClock()
	k := mustKey(t, "ES256", "k1")
	srv := newJWKSServer(t, 300, k.pub)
	v := mustRemoteVerifier(t, srv, clk)
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := identity.FromContext(r.Context())
		if !ok {
			t.Error("handler reached without claims")
			return
		}
		w.Write([]byte(c.Subject))
	}))
	valid := mustToken(t, k.priv, internalHeader(k), internalClaims(t0))
	expired := mustToken(t, k.priv, internalHeader(k), with(internalClaims(t0.Add(-10*60e9)), "iat", t0.Add(-10*60e9).Unix()))
	longLived := mustToken(t, k.priv, internalHeader(k), with(internalClaims(t0), "exp", t0.Add(24*60*60e9).Unix()))

	for _, tc := range []struct {
		name, auth   string
		wantStatus   int
		wantAuthn    string
		wantType     string
		wantBodyPart string
	}{
		{"valid", "Bearer " + valid, 200, "", "", "usr_01JDQ0N4Y3T2ZB8VJX6K9M4R7P"},
		{"scheme in lower case", "bearer " + valid, 200, "", "", "usr_01JDQ0N4Y3T2ZB8VJX6K9M4R7P"},
		{"no header", "", 401, "Bearer", identity.ProblemUnauthenticated, ""},
		{"basic scheme", "Basic dXNlcjpwdw==", 401, "Bearer", identity.ProblemUnauthenticated, ""},
		{"empty token", "Bearer ", 401, "Bearer", identity.ProblemUnauthenticated, ""},
		{"expired", "Bearer " + expired, 401, `Bearer error="invalid_token", error_description="token expired"`, identity.ProblemInvalidToken, "token expired"},
		{"lifetime too long", "Bearer " + longLived, 401, `Bearer error="invalid_token", error_description="token lifetime too long"`, identity.ProblemInvalidToken, "token lifetime too long"},
		{"garbage", "Bearer abc", 401, `Bearer error="invalid_token", error_description="malformed token"`, identity.ProblemInvalidToken, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/v1/things", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("got status %d, want %d (body %s)", rec.Code, tc.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tc.wantAuthn {
				t.Errorf("got WWW-Authenticate %q, want %q", got, tc.wantAuthn)
			}
			if tc.wantType != "" {
				var p problem.Problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
					t.Fatalf("decode problem: %v", err)
				}
				if p.Type != problem.TypeBase+tc.wantType || p.Status != tc.wantStatus {
					t.Errorf("got problem %+v, want type %s", p, tc.wantType)
				}
				if ct := rec.Header().Get("Content-Type"); ct != problem.ContentType {
					t.Errorf("got content type %q, want %q", ct, problem.ContentType)
				}
			}
			if !strings.Contains(rec.Body.String(), tc.wantBodyPart) {
				t.Errorf("got body %s, want it to contain %q", rec.Body, tc.wantBodyPart)
			}
			if tok := strings.TrimPrefix(tc.auth, "Bearer "); len(tok) > 16 && tc.wantStatus != 200 && strings.Contains(rec.Body.String(), tok) {
				t.Error("the problem repeats the token")
			}
		})
	}

	t.Run("keys unavailable", func(t *testing.T) {
		down := newJWKSServer(t, 300)
		down.setFail(true)
		v := mustRemoteVerifier(t, down, clk)
		req := httptest.NewRequest("GET", "/v1/things", nil)
		req.Header.Set("Authorization", "Bearer "+valid)
		rec := httptest.NewRecorder()
		v.Middleware(http.NotFoundHandler()).ServeHTTP(rec, req)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Errorf("got status %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
		}
	})
}
