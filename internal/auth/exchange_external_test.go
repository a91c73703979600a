package auth_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
	"github.com/portico-gw/portico/internal/platform/identity"
)

const outsideIssuer = "https://acme.okta.example/oauth2/default"

func assertion(now time.Time) auth.ExternalAssertion {
	return auth.ExternalAssertion{
		Issuer: outsideIssuer, Subject: "0oa1svc", OrgID: "org_acme",
		Scopes: []string{"analytics:read", "configs:read"}, ExpiresAt: now.Add(time.Hour),
	}
}

func TestExchangeExternal(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	now := env.Clock.Now()
	ex, err := env.Service.ExchangeExternal(t.Context(), assertion(now))
	mustNoErr(t, "exchange external", err)
	c, err := env.Issuer.VerifyInternalToken(ex.Token)
	mustNoErr(t, "verify internal token", err)
	want := auth.ExternalSubject(outsideIssuer, "0oa1svc")
	if c.Subject != want || ex.Subject != want || c.Kind != identity.KindClient || ex.Kind != identity.KindClient || c.Staff ||
		!slices.Equal(c.Orgs, []identity.OrgRole{{ID: "org_acme", Role: auth.RoleScoped}}) ||
		!slices.Equal(c.Scopes, []string{"analytics:read", "configs:read"}) || c.ClientID != "" || len(c.Resources) != 0 {
		t.Errorf("got claims %+v, want a scoped client %s of org_acme with the asserted scopes", c, want)
	}
	if !c.Expiry.Equal(now.Add(2 * time.Minute)) {
		t.Errorf("expiry %v, want the internal token lifetime from %v", c.Expiry, now)
	}

	// Never past the outside token's expiry.
	a := assertion(now)
	a.ExpiresAt = now.Add(40 * time.Second)
	ex, err = env.Service.ExchangeExternal(t.Context(), a)
	mustNoErr(t, "exchange external, expiring soon", err)
	if !ex.ExpiresAt.Equal(a.ExpiresAt) || ex.CacheTTL > 40*time.Second {
		t.Errorf("got expiry %v and cache ttl %v, want %v and at most 40s", ex.ExpiresAt, ex.CacheTTL, a.ExpiresAt)
	}
}

func TestExternalSubject(t *testing.T) {
	s := auth.ExternalSubject(outsideIssuer, "0oa1svc")
	if s != auth.ExternalSubject(outsideIssuer, "0oa1svc") {
		t.Error("not the same for the same caller")
	}
	if !strings.HasPrefix(s, auth.ExternalSubjectPrefix) || len(s) != 36 {
		t.Errorf("got %q, want ext_ and 32 characters", s)
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_') {
			t.Errorf("got %q, with %q outside every service's ID syntax", s, r)
		}
	}
	others := []string{
		auth.ExternalSubject(outsideIssuer, "0oa1svd"),
		auth.ExternalSubject("https://other.example", "0oa1svc"),
		// The separator keeps the boundary between issuer and subject.
		auth.ExternalSubject(outsideIssuer+"0", "oa1svc"),
	}
	for _, o := range others {
		if o == s {
			t.Errorf("two callers share the subject %s", s)
		}
	}
}

func TestExchangeExternalRefusals(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	env.Dir.SetOrganization("org_suspended", auth.OrgInfo{Active: false})
	env.Dir.SetOrganization("org_staff", auth.OrgInfo{Active: true, Staff: true})
	now := env.Clock.Now()
	with := func(f func(*auth.ExternalAssertion)) auth.ExternalAssertion {
		a := assertion(now)
		f(&a)
		return a
	}
	manyScopes := make([]string, auth.MaxExternalScopes+1)
	for i := range manyScopes {
		manyScopes[i] = fmt.Sprintf("s%d", i)
	}
	for name, tc := range map[string]struct {
		a    auth.ExternalAssertion
		want error
	}{
		"expired":              {with(func(a *auth.ExternalAssertion) { a.ExpiresAt = now }), auth.ErrUnauthenticated},
		"suspended org":        {with(func(a *auth.ExternalAssertion) { a.OrgID = "org_suspended" }), auth.ErrUnauthenticated},
		"staff org":            {with(func(a *auth.ExternalAssertion) { a.OrgID = "org_staff" }), auth.ErrUnauthenticated},
		"issuer not a URL":     {with(func(a *auth.ExternalAssertion) { a.Issuer = "acme" }), auth.ErrInvalid},
		"no subject":           {with(func(a *auth.ExternalAssertion) { a.Subject = "" }), auth.ErrInvalid},
		"long subject":         {with(func(a *auth.ExternalAssertion) { a.Subject = strings.Repeat("s", auth.MaxExternalSubjectLen+1) }), auth.ErrInvalid},
		"no organization":      {with(func(a *auth.ExternalAssertion) { a.OrgID = "" }), auth.ErrInvalid},
		"too many scopes":      {with(func(a *auth.ExternalAssertion) { a.Scopes = manyScopes }), auth.ErrInvalid},
		"repeated scope":       {with(func(a *auth.ExternalAssertion) { a.Scopes = []string{"a", "a"} }), auth.ErrInvalid},
		"scope with a space":   {with(func(a *auth.ExternalAssertion) { a.Scopes = []string{"a b"} }), auth.ErrInvalid},
		"no expiry":            {with(func(a *auth.ExternalAssertion) { a.ExpiresAt = time.Time{} }), auth.ErrInvalid},
		"scope with a quote":   {with(func(a *auth.ExternalAssertion) { a.Scopes = []string{`a"`} }), auth.ErrInvalid},
		"scope with non-ASCII": {with(func(a *auth.ExternalAssertion) { a.Scopes = []string{"é"} }), auth.ErrInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := env.Service.ExchangeExternal(t.Context(), tc.a)
			wantErr(t, name, err, tc.want)
		})
	}
}

// unknownOrgs is the static directory with some organizations missing,
// as accounts answers for an organization it does not have.
type unknownOrgs struct {
	*auth.StaticDirectory
	missing string
}

func (d unknownOrgs) Organization(ctx context.Context, orgID string) (auth.OrgInfo, error) {
	if orgID == d.missing {
		return auth.OrgInfo{}, fmt.Errorf("organization %s: %w", orgID, auth.ErrNotFound)
	}
	return d.StaticDirectory.Organization(ctx, orgID)
}

func TestExchangeExternalUnknownOrganization(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	svc := auth.NewService(env.Store, env.Issuer, unknownOrgs{env.Dir, "org_acme"}, auth.Options{Now: env.Clock.Now, Hasher: authtest.FastHasher(), Logger: slog.New(slog.DiscardHandler)})
	_, err := svc.ExchangeExternal(t.Context(), assertion(env.Clock.Now()))
	wantErr(t, "unknown organization", err, auth.ErrUnauthenticated)
}
