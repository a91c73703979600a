package authclient

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/accounts"
)

// fakeAuth answers POST /internal/v1/identities as the auth service does
// (see its identity handlers and api/auth.yaml), after checking the
// request accounts sends.
func fakeAuth(t *testing.T, status int, contentType, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/internal/v1/identities" {
			t.Errorf("got %s %s, want POST /internal/v1/identities", r.Method, r.URL.Path)
		}
		if got := r.Header.Get("Idempotency-Key"); got != "inv-inv_01JDQ0N4Y3T2ZB8VJX6K9M4R7P" {
			t.Errorf("got Idempotency-Key %q", got)
		}
		if got := r.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("got Content-Type %q", got)
		}
		raw, _ := io.ReadAll(r.Body)
		var req map[string]any
		if err := json.Unmarshal(raw, &req); err != nil || len(req) != 2 || req["email"] != "ada@example.com" || req["password"] != "a good password" {
			t.Errorf("got body %s", raw)
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func create(t *testing.T, srv *httptest.Server) (string, error) {
	t.Helper()
	return New(srv.URL+"/", srv.Client()).CreateIdentity(t.Context(), "ada@example.com", "a good password", "inv-inv_01JDQ0N4Y3T2ZB8VJX6K9M4R7P")
}

const problemType = "application/problem+json"

func TestCreateIdentity(t *testing.T) {
	srv := fakeAuth(t, http.StatusCreated, "application/json",
		`{"id":"usr_01JDQ0N4Y3T2ZB8VJX6K9M4R7P","email":"ada@example.com","status":"active","has_password":true,"created_at":"2026-03-14T15:09:26Z","updated_at":"2026-03-14T15:09:26Z"}`)
	id, err := create(t, srv)
	if err != nil || id != "usr_01JDQ0N4Y3T2ZB8VJX6K9M4R7P" {
		t.Errorf("got %q, %v", id, err)
	}
}

func TestCreateIdentityErrors(t *testing.T) {
	for _, c := range []struct {
		name, contentType, body string
		status                  int
		code                    error
		msg                     string
	}{
		{"address taken", problemType, `{"type":"https://portico.dev/problems/conflict","title":"Conflict","status":409,"detail":"email already in use."}`,
			409, accounts.ErrConflict, "an account with this address exists"},
		{"key reused", problemType, `{"type":"https://portico.dev/problems/idempotency-key-reused","title":"Idempotency key reused","status":422}`,
			422, accounts.ErrConflict, "an account with this address exists"},
		{"password policy", problemType, `{"type":"https://portico.dev/problems/invalid-argument","title":"Invalid argument","status":400,"detail":"password too short (minimum 8 characters)."}`,
			400, accounts.ErrInvalid, "password too short (minimum 8 characters)"},
		{"unsafe detail", problemType, `{"type":"https://portico.dev/problems/invalid-argument","status":400,"detail":"line\nbreak"}`,
			400, accounts.ErrInvalid, "the address or password was refused"},
		{"not a problem", "text/plain", `password too short`, 400, accounts.ErrInvalid, "the address or password was refused"},
		{"workload token refused", problemType, `{"type":"https://portico.dev/problems/unauthenticated","status":401}`,
			401, accounts.ErrUnavailable, "the identity service is unavailable; try again shortly"},
		{"caller forbidden", problemType, `{"type":"https://portico.dev/problems/forbidden","status":403}`, 403, accounts.ErrUnavailable, ""},
		{"busy", problemType, `{"type":"https://portico.dev/problems/busy","status":503}`, 503, accounts.ErrUnavailable, ""},
		{"internal", problemType, `{"type":"https://portico.dev/problems/internal","status":500}`, 500, accounts.ErrUnavailable, ""},
		{"throttled", problemType, `{}`, 429, accounts.ErrUnavailable, ""},
		{"created without id", "application/json", `{"email":"ada@example.com"}`, 201, accounts.ErrUnavailable, ""},
		{"created with a bad id", "application/json", `{"id":"not an id"}`, 201, accounts.ErrUnavailable, ""},
		{"created, not json", "text/html", `<html>`, 201, accounts.ErrUnavailable, ""},
		{"too long", "application/json", `{"id":"usr_1","pad":"` + strings.Repeat("x", maxResponseBytes) + `"}`, 201, accounts.ErrUnavailable, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := create(t, fakeAuth(t, c.status, c.contentType, c.body))
			if accounts.Code(err) != c.code {
				t.Fatalf("got %v (code %v), want code %v", err, accounts.Code(err), c.code)
			}
			if c.msg != "" && accounts.SafeMessage(err) != c.msg {
				t.Errorf("got safe message %q, want %q", accounts.SafeMessage(err), c.msg)
			}
		})
	}
}

func TestCreateIdentityMisconfiguredIsLogWorthy(t *testing.T) {
	_, err := create(t, fakeAuth(t, 401, problemType, `{}`))
	if !strings.Contains(err.Error(), "misconfigured") {
		t.Errorf("got %v, want a cause that names the misconfiguration", err)
	}
}

func TestCreateIdentityUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := New(url, nil).CreateIdentity(t.Context(), "ada@example.com", "pw", "inv-x")
	if accounts.Code(err) != accounts.ErrUnavailable {
		t.Errorf("got %v, want ErrUnavailable", err)
	}
	var ae *accounts.Error
	if !errors.As(err, &ae) || strings.Contains(ae.Message, "127.0.0.1") {
		t.Errorf("the safe message carries the address: %v", err)
	}
}

func FuzzParseAnswer(f *testing.F) {
	f.Add(201, "application/json", []byte(`{"id":"usr_1"}`))
	f.Add(400, problemType, []byte(`{"detail":"password too short."}`))
	f.Add(422, problemType, []byte(`{"type":"x/idempotency-key-reused"}`))
	f.Add(409, "", []byte(``))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		id, err := parseAnswer(status, contentType, body)
		if err == nil {
			if !accounts.ValidIdentityID(id) || (status != 200 && status != 201) {
				t.Fatalf("status %d gave id %q", status, id)
			}
			return
		}
		if accounts.Code(err) == nil || accounts.SafeMessage(err) == "" {
			t.Fatalf("status %d: error %v has no code or safe message", status, err)
		}
		if msg := accounts.SafeMessage(err); len(msg) > maxDetailLen || strings.ContainsAny(msg, "\n\r") {
			t.Fatalf("unsafe message %q", msg)
		}
	})
}
