package accountshttp

import (
	"errors"
	"net/http"
	"testing"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// wantBadRequest fails unless err is a 400 problem made here, as every
// refusal of a parser of untrusted input must be.
func wantBadRequest(t *testing.T, err error) {
	t.Helper()
	p, ok := errors.AsType[*problem.Problem](err)
	if !ok || p.Status != http.StatusBadRequest {
		t.Fatalf("got %v, want a 400 problem", err)
	}
}

func FuzzParseAccept(f *testing.F) {
	tok, _ := accounts.NewInvitationToken()
	f.Add([]byte(`{"token":"` + tok + `","password":"a good password","display_name":"Ada"}`))
	f.Add([]byte(`{"token":"` + tok + `","password":"x"}`))
	f.Add([]byte(`{"token":1}`))
	f.Add([]byte(`{"token":"","password":"","display_name":"\u0000"}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseAccept(body)
		if err != nil {
			wantBadRequest(t, err)
			return
		}
		if _, err := accounts.ParseInvitationToken(req.Token); err != nil {
			t.Fatalf("accepted token %q: %v", req.Token, err)
		}
		if req.Password == "" || len(req.Password) > maxPasswordBytes || !accounts.ValidDisplayName(req.DisplayName) {
			t.Fatalf("accepted %+v", req)
		}
		if sreq, err := parseAcceptSignedIn(body); err == nil || sreq.Token != "" {
			// The signed-in body has only the token: password is unknown.
			t.Fatalf("the signed-in parser accepted a body with a password: %+v", sreq)
		}
	})
}

func FuzzParseAcceptSignedIn(f *testing.F) {
	tok, _ := accounts.NewInvitationToken()
	f.Add([]byte(`{"token":"` + tok + `"}`))
	f.Add([]byte(`{"token":"pinv_"}`))
	f.Add([]byte(`{"token":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseAcceptSignedIn(body)
		if err != nil {
			wantBadRequest(t, err)
			return
		}
		if _, err := accounts.ParseInvitationToken(req.Token); err != nil {
			t.Fatalf("accepted token %q: %v", req.Token, err)
		}
	})
}

func FuzzParseIdempotencyKey(f *testing.F) {
	for _, s := range []string{"abc", `"abc"`, `"a\"b"`, `"a\b"`, `"`, "", " x", "01JDQ0N4Y3T2ZB8VJX6K9M4R7P"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		key, err := parseIdempotencyKey([]string{v})
		if err != nil {
			wantBadRequest(t, err)
			return
		}
		if !accounts.ValidIdempotencyKey(key) {
			t.Fatalf("accepted %q as key %q", v, key)
		}
	})
}
