package signing_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/signing"
	"github.com/portico-gw/portico/internal/platform/identity"
)

func mustAuthIssuer(tb testing.TB, clk *clock) (*signing.AuthIssuer, *signing.Manager) {
	tb.Helper()
	m := mustManager(tb, mustSQLiteStore(tb), mustKEK(tb), testOptions(clk))
	a, err := signing.NewAuthIssuer(m, "")
	if err != nil {
		tb.Fatalf("new auth issuer: %v", err)
	}
	return a, m
}

// mustInternalVerifier returns the verifier a service builds, reading keys
// from m in process.
func mustInternalVerifier(tb testing.TB, m *signing.Manager, clk *clock) *identity.Verifier {
	tb.Helper()
	v, err := identity.NewVerifier(identity.VerifierOptions{
		Keys: m, Issuer: testIssuer, Audience: identity.InternalAudience, Now: clk.Now,
	})
	if err != nil {
		tb.Fatalf("new verifier: %v", err)
	}
	return v
}

func TestAuthIssuerAccessTokenRoundTrip(t *testing.T) {
	clk := newClock()
	a, m := mustAuthIssuer(t, clk)
	now := clk.Now()
	in := auth.AccessClaims{
		Subject: "cli_01JDQ0N4Y3T2ZB8VJX6K9M4R7P", ClientID: "cli_01JDQ0N4Y3T2ZB8VJX6K9M4R7P", OrgID: "org_acme",
		Scopes: []string{"configs:read", "analytics:read"}, ID: "jti-1",
		IssuedAt: now, ExpiresAt: now.Add(5 * time.Minute),
	}
	tok, err := a.IssueAccessToken(t.Context(), in)
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	if typ := tokenHeader(t, tok)["typ"]; typ != identity.AccessTokenType {
		t.Errorf("typ = %v, want %s", typ, identity.AccessTokenType)
	}
	got, err := a.VerifyAccessToken(t.Context(), tok)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if got.Subject != in.Subject || got.ClientID != in.ClientID || got.OrgID != in.OrgID || got.ID != in.ID ||
		!slices.Equal(got.Scopes, in.Scopes) {
		t.Errorf("got %+v, want the claims of %+v", got, in)
	}
	if life := got.ExpiresAt.Sub(got.IssuedAt); life != 5*time.Minute {
		t.Errorf("got lifetime %v, want 5m", life)
	}
	if !slices.Equal(got.Audience, []string{signing.DefaultAccessAudience}) || signing.DefaultAccessAudience != "portico-api" {
		t.Errorf("got aud %q, want [portico-api], the audience access tokens always had", got.Audience)
	}

	t.Run("named audiences", func(t *testing.T) {
		named := in
		named.Audience = []string{"https://api.example.com/billing", "https://api.example.com/reports"}
		tok, err := a.IssueAccessToken(t.Context(), named)
		if err != nil {
			t.Fatalf("issue: %v", err)
		}
		got, err := a.VerifyAccessToken(t.Context(), tok)
		if err != nil || !slices.Equal(got.Audience, named.Audience) {
			t.Errorf("got (%+v, %v), want aud %q", got, err, named.Audience)
		}
	})
	t.Run("resources in the internal token", func(t *testing.T) {
		res := []string{"https://api.example.com/billing"}
		it, err := a.IssueInternalToken(t.Context(), identity.Claims{Subject: in.Subject, Kind: identity.KindClient, Resources: res})
		if err != nil {
			t.Fatalf("issue: %v", err)
		}
		c, err := mustInternalVerifier(t, m, clk).Verify(t.Context(), it)
		if err != nil || !slices.Equal(c.Resources, res) {
			t.Errorf("got (%+v, %v), want resource %q", c, err, res)
		}
	})

	t.Run("expired", func(t *testing.T) {
		clk.Advance(10 * time.Minute)
		defer clk.Set(now)
		if _, err := a.VerifyAccessToken(t.Context(), tok); !errors.Is(err, identity.ErrExpired) {
			t.Errorf("got %v, want ErrExpired", err)
		}
	})
	t.Run("internal token refused", func(t *testing.T) {
		it, err := a.IssueInternalToken(t.Context(), identity.Claims{Subject: "usr_x", Kind: identity.KindUser})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.VerifyAccessToken(t.Context(), it); !errors.Is(err, identity.ErrType) {
			t.Errorf("got %v, want ErrType", err)
		}
	})
	t.Run("expiry before issue", func(t *testing.T) {
		bad := in
		bad.ExpiresAt = bad.IssuedAt
		if _, err := a.IssueAccessToken(t.Context(), bad); !errors.Is(err, signing.ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
	})
}

func TestAuthIssuerInternalToken(t *testing.T) {
	clk := newClock()
	a, m := mustAuthIssuer(t, clk)
	v := mustInternalVerifier(t, m, clk)
	now := clk.Now()

	for _, tc := range []struct {
		name     string
		in       identity.Claims
		wantOrgs []identity.OrgRole
	}{
		{
			name: "user",
			in: identity.Claims{
				Subject: "usr_01JDQ0N4Y3T2ZB8VJX6K9M4R7P", Kind: identity.KindUser, Staff: true,
				Orgs:         []identity.OrgRole{{ID: "org_acme", Role: auth.RoleAdmin}, {ID: "org_beta", Role: auth.RoleViewer}},
				CredentialID: "ses_01JDQ0N4Y3T2ZB8VJX6K9M4R7P", ID: "jti-user",
				IssuedAt: now, Expiry: now.Add(2 * time.Minute),
			},
			wantOrgs: []identity.OrgRole{{ID: "org_acme", Role: "admin"}, {ID: "org_beta", Role: "viewer"}},
		},
		{
			name: "api key",
			in: identity.Claims{
				Subject: "key_01JDQ0N4Y3T2ZB8VJX6K9M4R7P", Kind: identity.KindAPIKey,
				Orgs: []identity.OrgRole{{ID: "org_acme", Role: auth.RoleScoped}}, Scopes: []string{"configs:read"},
				CredentialID: "key_01JDQ0N4Y3T2ZB8VJX6K9M4R7P", ID: "jti-key",
				IssuedAt: now, Expiry: now.Add(90 * time.Second),
			},
			wantOrgs: []identity.OrgRole{{ID: "org_acme", Role: auth.RoleScoped}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := a.IssueInternalToken(t.Context(), tc.in)
			if err != nil {
				t.Fatalf("issue: %v", err)
			}
			c, err := v.Verify(t.Context(), tok)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if c.Subject != tc.in.Subject || string(c.Kind) != string(tc.in.Kind) || c.Staff != tc.in.Staff ||
				c.CredentialID != tc.in.CredentialID || c.ID != tc.in.ID || !slices.Equal(c.Scopes, tc.in.Scopes) {
				t.Errorf("got %+v, want the claims of %+v", c, tc.in)
			}
			if !slices.Equal(c.Orgs, tc.wantOrgs) {
				t.Errorf("got orgs %v, want %v", c.Orgs, tc.wantOrgs)
			}
			if got, want := c.Expiry.Sub(c.IssuedAt), tc.in.Expiry.Sub(tc.in.IssuedAt); got != want {
				t.Errorf("got lifetime %v, want %v", got, want)
			}
		})
	}

	t.Run("organization without role", func(t *testing.T) {
		_, err := a.IssueInternalToken(t.Context(), identity.Claims{
			Subject: "key_x", Kind: identity.KindAPIKey, Orgs: []identity.OrgRole{{ID: "org_acme"}},
		})
		if !errors.Is(err, signing.ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
	})
	t.Run("access token is no internal token", func(t *testing.T) {
		tok, err := a.IssueAccessToken(t.Context(), auth.AccessClaims{Subject: "cli_x", ClientID: "cli_x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(t.Context(), tok); !errors.Is(err, identity.ErrType) {
			t.Errorf("got %v, want ErrType", err)
		}
	})
}
