package authhttp

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"golang.org/x/oauth2"

	"github.com/portico-gw/portico/internal/auth"
)

const (
	billingAPI = "https://api.example.com/billing"
	reportsAPI = "https://api.example.com/reports"
)

// TestTokenAudience: the token endpoint mints access tokens for the
// resources (RFC 8707) or audiences a client names, among those
// configured, and for the first of them when it names none.
func TestTokenAudience(t *testing.T) {
	s := newTestServer(t, auth.Options{Audiences: []string{billingAPI, reportsAPI, "reports"}}, Options{})
	b, _ := s.signedIn(t, "adm@example.com", "org_acme")
	id, secret := s.mustCreateClient(t, b, "org_acme", true, "analytics:read")

	aud := func(token string) []string {
		t.Helper()
		c, err := s.Issuer.VerifyAccessToken(t.Context(), token)
		if err != nil {
			t.Fatalf("verify: %v", err)
		}
		return c.Audience
	}
	for name, tc := range map[string]struct {
		form url.Values
		want []string
	}{
		"no parameter gets the first":   {url.Values{}, []string{billingAPI}},
		"resource":                      {url.Values{"resource": {reportsAPI}}, []string{reportsAPI}},
		"resource repeated":             {url.Values{"resource": {reportsAPI, billingAPI}}, []string{reportsAPI, billingAPI}},
		"audience, a plain string":      {url.Values{"audience": {"reports"}}, []string{"reports"}},
		"resource and audience, merged": {url.Values{"resource": {billingAPI}, "audience": {billingAPI}}, []string{billingAPI}},
	} {
		t.Run(name, func(t *testing.T) {
			tc.form.Set("grant_type", "client_credentials")
			if got := aud(s.mustToken(t, id, secret, tc.form).AccessToken); !slices.Equal(got, tc.want) {
				t.Errorf("got aud %q, want %q", got, tc.want)
			}
		})
	}

	for name, form := range map[string]url.Values{
		"unknown resource":         {"resource": {"https://api.example.com/admin"}},
		"one unknown of two":       {"resource": {billingAPI, "https://api.example.com/admin"}},
		"resource not absolute":    {"resource": {"reports"}},
		"resource with a fragment": {"resource": {billingAPI + "#x"}},
		"unknown audience":         {"audience": {"admin"}},
		"empty audience":           {"audience": {""}},
	} {
		t.Run(name, func(t *testing.T) {
			form.Set("grant_type", "client_credentials")
			form.Set("client_id", id)
			form.Set("client_secret", secret)
			r := s.do(t, nil, "POST", "/oauth2/token", form)
			wantStatus(t, name, r, http.StatusBadRequest)
			var e oauthErrorJSON
			r.json(t, &e)
			if e.Error != auth.OAuthInvalidTarget || r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("got error %q, Cache-Control %q; want invalid_target, no-store", e.Error, r.header.Get("Cache-Control"))
			}
		})
	}

	t.Run("refresh keeps the audience, and may narrow it only", func(t *testing.T) {
		first := s.mustToken(t, id, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {reportsAPI, billingAPI}})
		second := s.mustToken(t, id, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}})
		if got := aud(second.AccessToken); !slices.Equal(got, []string{reportsAPI, billingAPI}) {
			t.Errorf("refreshed: got aud %q, want %q", got, []string{reportsAPI, billingAPI})
		}
		third := s.mustToken(t, id, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {second.RefreshToken}, "resource": {billingAPI}})
		if got := aud(third.AccessToken); !slices.Equal(got, []string{billingAPI}) {
			t.Errorf("narrowed: got aud %q, want %q", got, []string{billingAPI})
		}
		// The family keeps both: a later refresh may name the other.
		fourth := s.mustToken(t, id, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {third.RefreshToken}})
		if got := aud(fourth.AccessToken); !slices.Equal(got, []string{reportsAPI, billingAPI}) {
			t.Errorf("after narrowing: got aud %q, want %q", got, []string{reportsAPI, billingAPI})
		}
		only := s.mustToken(t, id, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {billingAPI}})
		r := s.do(t, nil, "POST", "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {only.RefreshToken},
			"resource": {reportsAPI}, "client_id": {id}, "client_secret": {secret}})
		wantStatus(t, "widening refresh", r, http.StatusBadRequest)
		var e oauthErrorJSON
		r.json(t, &e)
		if e.Error != auth.OAuthInvalidTarget {
			t.Errorf("widening refresh: got error %q, want invalid_target", e.Error)
		}
	})

	t.Run("x/oauth2 client names a resource", func(t *testing.T) {
		cfg := s.oauthConfig(id, secret, oauth2.AuthStyleInHeader)
		cfg.EndpointParams = url.Values{"resource": {reportsAPI}}
		tok, err := cfg.Token(s.oauthCtx(t))
		if err != nil {
			t.Fatalf("token: %v", err)
		}
		if got := aud(tok.AccessToken); !slices.Equal(got, []string{reportsAPI}) {
			t.Errorf("got aud %q, want %q", got, []string{reportsAPI})
		}
		cfg.EndpointParams = url.Values{"resource": {"https://api.example.com/admin"}}
		_, err = cfg.Token(s.oauthCtx(t))
		if re, ok := errors.AsType[*oauth2.RetrieveError](err); !ok || re.ErrorCode != auth.OAuthInvalidTarget {
			t.Errorf("got %v, want a RetrieveError invalid_target", err)
		}
	})
}

// TestTokenDefaultAudience: without Options.Audiences the access token's
// audience is the one it always had, and naming it as audience works.
func TestTokenDefaultAudience(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	b, _ := s.signedIn(t, "adm@example.com", "org_acme")
	id, secret := s.mustCreateClient(t, b, "org_acme", false, "analytics:read")
	for name, form := range map[string]url.Values{
		"no parameter":     {"grant_type": {"client_credentials"}},
		"default audience": {"grant_type": {"client_credentials"}, "audience": {"portico-api"}},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := s.Issuer.VerifyAccessToken(t.Context(), s.mustToken(t, id, secret, form).AccessToken)
			if err != nil || !slices.Equal(c.Audience, []string{"portico-api"}) {
				t.Errorf("got (%v, %v), want aud [portico-api]", c, err)
			}
		})
	}
	r := s.do(t, nil, "POST", "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "resource": {billingAPI},
		"client_id": {id}, "client_secret": {secret}})
	wantStatus(t, "unconfigured resource", r, http.StatusBadRequest)
}
