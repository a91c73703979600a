package authhttp

import (
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/problem"
)

func FuzzParseBasic(f *testing.F) {
	f.Add("Basic " + base64.StdEncoding.EncodeToString([]byte("cli_01:s%3Acret")))
	f.Add("basic Og==")
	f.Add("Bearer abc")
	f.Add("Basic !!!")
	f.Fuzz(func(t *testing.T, header string) {
		id, secret, ok, err := parseBasic(header)
		if !ok || err != nil {
			return
		}
		if id == "" || !utf8.ValidString(id) || !utf8.ValidString(secret) {
			t.Fatalf("parseBasic(%q) = (%q, %q), want a non-empty UTF-8 id", header, id, secret)
		}
		again := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
		id2, secret2, ok2, err2 := parseBasic(again)
		if !ok2 || err2 != nil || id2 != id || secret2 != secret {
			t.Fatalf("round trip of (%q, %q): got (%q, %q, %v, %v)", id, secret, id2, secret2, ok2, err2)
		}
	})
}

func FuzzParseOAuthRequest(f *testing.F) {
	f.Add("", "grant_type=client_credentials&client_id=cli_1&client_secret=s&scope=a+b")
	f.Add("Basic Y2xpXzE6cw==", "grant_type=refresh_token&refresh_token=abc")
	f.Add("", "grant_type=x&grant_type=y")
	f.Add("", "scope=%zz")
	f.Add("", "token=abc&token_type_hint=refresh_token&client_id=a&client_secret=b&scope=")
	f.Fuzz(func(t *testing.T, authorization, body string) {
		req, err := parseOAuthRequest(authorization, []byte(body))
		if err != nil {
			if _, ok := err.(*auth.OAuthError); !ok {
				t.Fatalf("got error of type %T, want *auth.OAuthError", err)
			}
			return
		}
		if req.clientID == "" || req.clientSecret == "" {
			t.Fatalf("accepted a request without client credentials: %+v", req)
		}
		if len(req.scopes) > 0 && slices.Contains(req.scopes, "") {
			t.Fatalf("got an empty scope in %q", req.scopes)
		}
	})
}

func FuzzParseForm(f *testing.F) {
	f.Add("a=1&b=2")
	f.Add("a=1&a=2")
	f.Add("=x&&")
	f.Add("%ff=1")
	f.Add("resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb&a=1")
	f.Fuzz(func(t *testing.T, body string) {
		form, resources, err := parseForm([]byte(body))
		if err != nil {
			return
		}
		if len(form)+len(resources) > maxFormParams {
			t.Fatalf("got %d parameters, want at most %d", len(form)+len(resources), maxFormParams)
		}
		if _, ok := form["resource"]; ok {
			t.Fatalf("resource in the form map, want it apart")
		}
		vals := url.Values{}
		for k, v := range form {
			if k == "" || !utf8.ValidString(k) || !utf8.ValidString(v) {
				t.Fatalf("got parameter %q=%q", k, v)
			}
			vals.Set(k, v)
		}
		for _, r := range resources {
			if !utf8.ValidString(r) {
				t.Fatalf("got resource %q", r)
			}
			vals.Add("resource", r)
		}
		again, againRes, err := parseForm([]byte(vals.Encode()))
		if err != nil || len(again) != len(form) || !slices.Equal(againRes, resources) {
			t.Fatalf("re-encoded form: got (%v, %v, %v), want (%v, %v)", again, againRes, err, form, resources)
		}
		for k, v := range form {
			if again[k] != v {
				t.Fatalf("re-encoded form: %q got %q, want %q", k, again[k], v)
			}
		}
	})
}

func FuzzParseExchange(f *testing.F) {
	f.Add(`{"credential":"abc","kind":"session"}`)
	f.Add(`{"credential":"ptc_x"}`)
	f.Add(`{"credential":"abc","kind":"cookie"}`)
	f.Add(`{"credential":"abc"} {}`)
	f.Add(`{"credential":"abc","extra":1}`)
	f.Add(`{"kind":"external","external":{"issuer":"https://idp.example","subject":"s","organization":"org_a","scopes":["a"],"expires_at":"2030-01-01T00:00:00Z"}}`)
	f.Add(`{"kind":"external","credential":"abc","external":{}}`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := parseExchange([]byte(body))
		if err != nil {
			return
		}
		if req.Kind == auth.CredentialExternal {
			if req.External == nil || req.Credential != "" {
				t.Fatalf("accepted kind external with external %v and a credential of %d bytes", req.External != nil, len(req.Credential))
			}
			return
		}
		if req.External != nil {
			t.Fatalf("accepted external with kind %q", req.Kind)
		}
		if req.Credential == "" || len(req.Credential) > auth.MaxCredentialLen {
			t.Fatalf("accepted credential of %d bytes", len(req.Credential))
		}
		switch req.Kind {
		case "", auth.CredentialSession, auth.CredentialBearer, auth.CredentialAPIKey:
		default:
			t.Fatalf("accepted kind %q", req.Kind)
		}
	})
}

func FuzzParseIdentityPatch(f *testing.F) {
	f.Add(`{"status":"disabled"}`)
	f.Add(`{"status":"active"}`)
	f.Add(`{"status":null}`)
	f.Add(`{"status":"frozen"}`)
	f.Add(`{"status":"active","email":"x@example.com"}`)
	f.Add(`{"status":"active"} {}`)
	f.Fuzz(func(t *testing.T, body string) {
		status, err := parseIdentityPatch([]byte(body))
		if err != nil {
			if _, ok := errors.AsType[*problem.Problem](err); !ok {
				t.Fatalf("got error of type %T, want *problem.Problem", err)
			}
			return
		}
		if !status.Valid() {
			t.Fatalf("parseIdentityPatch(%q) accepted status %q", body, status)
		}
	})
}

func FuzzParseNewIdentity(f *testing.F) {
	f.Add(`{"email":"ada@example.com","password":"correct horse battery staple"}`)
	f.Add(`{"email":"ada@example.com"}`)
	f.Add(`{"password":"x"}`)
	f.Add(`{"email":"ada@example.com","role":"owner"}`)
	f.Add(`{"email":1}`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := parseNewIdentity([]byte(body))
		if err != nil {
			if _, ok := errors.AsType[*problem.Problem](err); !ok {
				t.Fatalf("got error of type %T, want *problem.Problem", err)
			}
			return
		}
		if req.Email == "" || len(req.Email) > auth.MaxEmailLen {
			t.Fatalf("accepted an address of %d bytes", len(req.Email))
		}
	})
}

func FuzzParseIdempotencyKey(f *testing.F) {
	f.Add("8e03978e-40d5-43e8-bc93-6894a57f9324")
	f.Add(`"8e03978e-40d5-43e8-bc93-6894a57f9324"`)
	f.Add(`"a \"quoted\" key\\"`)
	f.Add(`"unterminated`)
	f.Add(`"bad \escape"`)
	f.Add("")
	f.Fuzz(func(t *testing.T, header string) {
		key, err := parseIdempotencyKey([]string{header})
		if err != nil {
			if _, ok := errors.AsType[*problem.Problem](err); !ok {
				t.Fatalf("got error of type %T, want *problem.Problem", err)
			}
			return
		}
		if !auth.ValidIdempotencyKey(key) {
			t.Fatalf("parseIdempotencyKey(%q) = %q, not a valid key", header, key)
		}
		quoted := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(key) + `"`
		if again, err := parseIdempotencyKey([]string{quoted}); err != nil || again != key {
			t.Fatalf("quoted form %q of %q: got (%q, %v)", quoted, key, again, err)
		}
	})
}
