package authhttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/requestid"
)

// TestFailSaysOnlySafeMessages feeds fail the errors the service and its
// store return, wrapped around causes that hold a file path, a password
// hash and a token, and checks that each kind of error gets its status and
// type, that the detail is the safe message or a fixed sentence, and that
// the cause reaches the log, with the request id, and nothing else.
func TestFailSaysOnlySafeMessages(t *testing.T) {
	leaks := []string{"/var/lib/portico", "argon2id", "Zm9vYmFyYmF6", "insert into", "UNIQUE constraint", "ada@example.com"}
	secret := "/var/lib/portico/auth.db: insert into identities (ada@example.com, $argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA, token Zm9vYmFyYmF6)"
	cause := fmt.Errorf("%s: UNIQUE constraint failed", secret)
	for name, tc := range map[string]struct {
		err        error
		status     int
		typ        string
		detail     string
		retryAfter string
	}{
		"conflict with a safe message": {
			fmt.Errorf("admin create identity: %w", &auth.Error{Code: auth.ErrConflict, Message: "email already in use", Err: cause}),
			http.StatusConflict, "conflict", "email already in use.", ""},
		"conflict from a store": {
			fmt.Errorf("create client: %s: %w", secret, auth.ErrConflict),
			http.StatusConflict, "conflict", "The request conflicts with an existing resource.", ""},
		"invalid with a safe message": {
			fmt.Errorf("reset password: hash %s: %w", secret, auth.NewError(auth.ErrInvalid, "password too short (minimum %d characters)", 12)),
			http.StatusBadRequest, "invalid-argument", "password too short (minimum 12 characters).", ""},
		"invalid from a store": {
			fmt.Errorf("create api key: api key id %q: %w", secret, auth.ErrInvalid),
			http.StatusBadRequest, "invalid-argument", "A field of the request is invalid.", ""},
		"not found": {
			fmt.Errorf("get identity %s: %w", secret, auth.ErrNotFound),
			http.StatusNotFound, "not-found", "No such resource.", ""},
		"forbidden with a safe message": {
			&auth.Error{Code: auth.ErrForbidden, Message: "only a person signed in with a session may call this endpoint", Err: cause},
			http.StatusForbidden, "forbidden", "only a person signed in with a session may call this endpoint.", ""},
		"forbidden": {
			fmt.Errorf("list audit of %s: %w", secret, auth.ErrForbidden),
			http.StatusForbidden, "forbidden", "The caller may not do this.", ""},
		"unauthenticated never says why": {
			&auth.Error{Code: auth.ErrUnauthenticated, Message: "session of ada@example.com revoked", Err: cause},
			http.StatusUnauthorized, "unauthenticated", "The credentials are missing, wrong, expired or revoked.", ""},
		"idempotency key reused": {
			fmt.Errorf("replay %s: %w", secret, auth.ErrIdempotencyKeyReused),
			http.StatusUnprocessableEntity, "idempotency-key-reused",
			"The Idempotency-Key was used before with a different request; use a new key for a new request.", ""},
		"throttled": {
			fmt.Errorf("login %s: %w", secret, &auth.ThrottledError{RetryAfter: 1500 * time.Millisecond}),
			http.StatusTooManyRequests, "too-many-attempts", "Too many failed attempts; try again after the time in Retry-After.", "2"},
		"busy": {
			fmt.Errorf("login %s: %w", secret, &auth.BusyError{RetryAfter: time.Second}),
			http.StatusServiceUnavailable, "busy", "Too many passwords are being checked at once; try again after the time in Retry-After.", "1"},
		"internal": {
			fmt.Errorf("login: %w", cause),
			http.StatusInternalServerError, "internal", "The server failed to handle the request; the request id identifies it in the logs.", ""},
		"internal that reads like a conflict": {
			errors.New(secret + ": conflict"),
			http.StatusInternalServerError, "internal", "The server failed to handle the request; the request id identifies it in the logs.", ""},
	} {
		t.Run(name, func(t *testing.T) {
			logs := &logBuffer{}
			h := &Handler{o: Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))}}
			req := httptest.NewRequestWithContext(requestid.With(t.Context(), "req-7"), "POST", "/v1/identities", nil)
			rec := httptest.NewRecorder()
			h.fail(rec, req, tc.err)

			if rec.Code != tc.status {
				t.Errorf("got status %d, want %d", rec.Code, tc.status)
			}
			var p struct {
				Type, Detail string
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("decode %s: %v", rec.Body, err)
			}
			if p.Type != "https://portico.dev/problems/"+tc.typ || p.Detail != tc.detail {
				t.Errorf("got (type %s, detail %q), want (%s, %q)", p.Type, p.Detail, tc.typ, tc.detail)
			}
			for _, leak := range leaks {
				if strings.Contains(rec.Body.String(), leak) {
					t.Errorf("body %s holds %q", rec.Body, leak)
				}
			}
			if got := rec.Header().Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("got Retry-After %q, want %q", got, tc.retryAfter)
			}
			logged := logs.String()
			if !strings.Contains(logged, `"request_id":"req-7"`) || !strings.Contains(logged, "Zm9vYmFyYmF6") {
				t.Errorf("got log %s, want the cause with the request id", logged)
			}
		})
	}
}
