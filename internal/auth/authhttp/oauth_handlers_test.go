package authhttp

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/portico-gw/portico/internal/auth"
)

// mustCreateClient creates a client over HTTP and returns its ID and secret.
func (s *testServer) mustCreateClient(tb testing.TB, b *caller, org string, refresh bool, scopes ...string) (string, string) {
	tb.Helper()
	r := s.do(tb, b, "POST", "/v1/orgs/"+org+"/clients", map[string]any{"name": "bot", "scopes": scopes, "refresh_tokens": refresh})
	wantStatus(tb, "create client", r, http.StatusCreated)
	var c clientJSON
	r.json(tb, &c)
	if c.ClientSecret == "" || c.ClientID == "" {
		tb.Fatalf("got %+v, want an id and a secret", c)
	}
	return c.ClientID, c.ClientSecret
}

func (s *testServer) oauthConfig(id, secret string, style oauth2.AuthStyle, scopes ...string) *clientcredentials.Config {
	return &clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: s.srv.URL + "/oauth2/token", Scopes: scopes, AuthStyle: style}
}

func (s *testServer) oauthCtx(tb testing.TB) context.Context {
	return context.WithValue(tb.Context(), oauth2.HTTPClient, s.srv.Client())
}

func TestClientCredentialsWithOAuth2Client(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	b, _ := s.signedIn(t, "adm@example.com", "org_acme")
	id, secret := s.mustCreateClient(t, b, "org_acme", false, "analytics:read", "configs:read")

	for name, style := range map[string]oauth2.AuthStyle{"client_secret_basic": oauth2.AuthStyleInHeader, "client_secret_post": oauth2.AuthStyleInParams} {
		t.Run(name, func(t *testing.T) {
			tok, err := s.oauthConfig(id, secret, style, "configs:read").Token(s.oauthCtx(t))
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			if tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.Extra("scope") != "configs:read" {
				t.Errorf("got token type %q scope %v, want Bearer with configs:read", tok.TokenType, tok.Extra("scope"))
			}
			claims, err := s.Issuer.VerifyAccessToken(t.Context(), tok.AccessToken)
			if err != nil || claims.ClientID != id {
				t.Errorf("got claims (%+v, %v), want client %s", claims, err, id)
			}
		})
	}
	t.Run("wrong secret", func(t *testing.T) {
		_, err := s.oauthConfig(id, secret[:40]+"abc", oauth2.AuthStyleInHeader).Token(s.oauthCtx(t))
		re, ok := errors.AsType[*oauth2.RetrieveError](err)
		if !ok || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
			t.Fatalf("got %v, want invalid_client 401", err)
		}
		if re.Response.Header.Get("WWW-Authenticate") == "" {
			t.Error("got no WWW-Authenticate header, want one")
		}
	})
	t.Run("scope not allowed", func(t *testing.T) {
		_, err := s.oauthConfig(id, secret, oauth2.AuthStyleInHeader, "configs:write").Token(s.oauthCtx(t))
		if re, ok := errors.AsType[*oauth2.RetrieveError](err); !ok || re.ErrorCode != "invalid_scope" {
			t.Fatalf("got %v, want invalid_scope", err)
		}
	})

	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
	for name, tc := range map[string]struct {
		form   url.Values
		header []string
		raw    string
		status int
		code   string
	}{
		"unsupported grant":   {url.Values{"grant_type": {"password"}}, []string{"Authorization", basic}, "", http.StatusBadRequest, "unsupported_grant_type"},
		"missing grant":       {url.Values{}, []string{"Authorization", basic}, "", http.StatusBadRequest, "invalid_request"},
		"two auth methods":    {url.Values{"grant_type": {"client_credentials"}, "client_secret": {secret}}, []string{"Authorization", basic}, "", http.StatusBadRequest, "invalid_request"},
		"no client auth":      {url.Values{"grant_type": {"client_credentials"}}, nil, "", http.StatusUnauthorized, "invalid_client"},
		"repeated parameter":  {nil, []string{"Authorization", basic}, "grant_type=client_credentials&grant_type=client_credentials", http.StatusBadRequest, "invalid_request"},
		"refresh without one": {url.Values{"grant_type": {"refresh_token"}}, []string{"Authorization", basic}, "", http.StatusBadRequest, "invalid_request"},
		"malformed basic":     {url.Values{"grant_type": {"client_credentials"}}, []string{"Authorization", "Basic !!!"}, "", http.StatusUnauthorized, "invalid_client"},
	} {
		t.Run(name, func(t *testing.T) {
			var body any = tc.form
			header := tc.header
			if tc.raw != "" {
				body = tc.raw
				header = append(header, "Content-Type", "application/x-www-form-urlencoded")
			}
			r := s.do(t, nil, "POST", "/oauth2/token", body, header...)
			wantStatus(t, name, r, tc.status)
			var e oauthErrorJSON
			r.json(t, &e)
			if e.Error != tc.code {
				t.Errorf("got error %q, want %q", e.Error, tc.code)
			}
		})
	}
}

type tokenJSON struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

func (s *testServer) mustToken(tb testing.TB, id, secret string, form url.Values) tokenJSON {
	tb.Helper()
	form.Set("client_id", id)
	form.Set("client_secret", secret)
	r := s.do(tb, nil, "POST", "/oauth2/token", form)
	wantStatus(tb, "token", r, http.StatusOK)
	if r.header.Get("Cache-Control") != "no-store" {
		tb.Errorf("got Cache-Control %q, want no-store", r.header.Get("Cache-Control"))
	}
	var tok tokenJSON
	r.json(tb, &tok)
	return tok
}

func TestRefreshRevokeIntrospect(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	b, _ := s.signedIn(t, "adm@example.com", "org_acme")
	id, secret := s.mustCreateClient(t, b, "org_acme", true, "analytics:read", "configs:read")
	rsID, rsSecret := s.mustCreateClient(t, b, "org_acme", false, "auth:introspect")

	first := s.mustToken(t, id, secret, url.Values{"grant_type": {"client_credentials"}})
	if first.RefreshToken == "" {
		t.Fatal("got no refresh token, want one")
	}
	second := s.mustToken(t, id, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}, "scope": {"analytics:read"}})
	if second.RefreshToken == first.RefreshToken || second.Scope != "analytics:read" {
		t.Errorf("got %+v, want a new refresh token with scope analytics:read", second)
	}

	introspect := func(token string) introspectionJSON {
		t.Helper()
		r := s.do(t, nil, "POST", "/oauth2/introspect", url.Values{"token": {token}, "client_id": {rsID}, "client_secret": {rsSecret}})
		wantStatus(t, "introspect", r, http.StatusOK)
		var in introspectionJSON
		r.json(t, &in)
		return in
	}
	if in := introspect(second.AccessToken); !in.Active || in.ClientID != id || in.Scope != "analytics:read" || in.TokenType != "bearer" {
		t.Errorf("access token: got %+v, want active bearer of %s", in, id)
	}
	if in := introspect(second.RefreshToken); !in.Active || in.TokenType != "refresh" {
		t.Errorf("refresh token: got %+v, want active refresh", in)
	}
	if in := introspect(first.RefreshToken); in.Active || in.Subject != "" {
		t.Errorf("spent refresh token: got %+v, want only active false", in)
	}
	r := s.do(t, nil, "POST", "/oauth2/introspect", url.Values{"token": {second.AccessToken}, "client_id": {id}, "client_secret": {secret}})
	wantStatus(t, "introspect without the scope", r, http.StatusForbidden)

	r = s.do(t, nil, "POST", "/oauth2/revoke", url.Values{"token": {second.AccessToken}, "client_id": {rsID}, "client_secret": {rsSecret}})
	wantStatus(t, "revoke another client's token", r, http.StatusBadRequest)
	for _, tok := range []string{second.AccessToken, second.RefreshToken, "not-a-token"} {
		r := s.do(t, nil, "POST", "/oauth2/revoke", url.Values{"token": {tok}, "client_id": {id}, "client_secret": {secret}})
		wantStatus(t, "revoke", r, http.StatusOK)
	}
	if in := introspect(second.AccessToken); in.Active {
		t.Errorf("revoked access token: got %+v, want inactive", in)
	}
	r = s.do(t, nil, "POST", "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {second.RefreshToken}, "client_id": {id}, "client_secret": {secret}})
	wantStatus(t, "refresh with a revoked token", r, http.StatusBadRequest)
	if !strings.Contains(string(r.body), "invalid_grant") {
		t.Errorf("got %s, want invalid_grant", r.body)
	}
}
