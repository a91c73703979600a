package authtest

import (
	"fmt"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

func newClient(orgID, creator string, at time.Time) auth.Client {
	_, hash := auth.GenerateToken()
	return auth.Client{
		ID: auth.NewID(auth.ClientIDPrefix, at), OrgID: orgID, Name: "ingest bot", SecretHash: hash,
		Scopes: []string{"analytics:read", "configs:write"}, RefreshTokens: true, CreatedBy: creator, CreatedAt: at,
	}
}

func mustCreateClient(t *testing.T, s auth.Store, orgID, creator string, at time.Time) auth.Client {
	t.Helper()
	c, err := s.CreateClient(ctx(t), newClient(orgID, creator, at))
	mustNoErr(t, "create client", err)
	return c
}

func testClients(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "cli@example.com", t0)
	in := newClient("org_acme", id.ID, t0)
	got, err := s.CreateClient(ctx(t), in)
	mustNoErr(t, "create", err)
	want := in
	want.CreatedAt = us(in.CreatedAt)
	wantEqual(t, "created client", got, want)
	read, err := s.GetClient(ctx(t), in.ID)
	mustNoErr(t, "get", err)
	wantEqual(t, "read client", read, want)

	noRefresh := newClient("org_acme", id.ID, t0)
	noRefresh.RefreshTokens, noRefresh.Scopes = false, nil
	mustNoErr(t, "create without scopes", func() error { _, err := s.CreateClient(ctx(t), noRefresh); return err }())
	read, err = s.GetClient(ctx(t), noRefresh.ID)
	mustNoErr(t, "get without scopes", err)
	if read.RefreshTokens || read.Scopes == nil || len(read.Scopes) != 0 {
		t.Errorf("got (refresh %v, scopes %#v), want (false, []string{})", read.RefreshTokens, read.Scopes)
	}

	_, err = s.CreateClient(ctx(t), in)
	wantErr(t, "duplicate", err, auth.ErrConflict)
	for name, mutate := range map[string]func(*auth.Client){
		"empty name": func(c *auth.Client) { c.Name = "" },
		"bad org":    func(c *auth.Client) { c.OrgID = "org acme" },
		"bad scope":  func(c *auth.Client) { c.Scopes = []string{"Read All"} },
		"short hash": func(c *auth.Client) { c.SecretHash = c.SecretHash[:4] },
		"revoked":    func(c *auth.Client) { c.RevokedAt = ptr(t0) },
	} {
		c := newClient("org_acme", id.ID, t0)
		mutate(&c)
		_, err := s.CreateClient(ctx(t), c)
		wantErr(t, name, err, auth.ErrInvalid)
	}
	_, err = s.GetClient(ctx(t), auth.NewID(auth.ClientIDPrefix, t0))
	wantErr(t, "get unknown", err, auth.ErrNotFound)

	rt := newRefreshToken(in.ID, t0)
	_, err = s.CreateRefreshToken(ctx(t), rt)
	mustNoErr(t, "create refresh token", err)
	wantErr(t, "revoke in other org", s.RevokeClient(ctx(t), "org_other", in.ID, t0), auth.ErrNotFound)
	mustNoErr(t, "revoke", s.RevokeClient(ctx(t), "org_acme", in.ID, t0.Add(time.Minute)))
	mustNoErr(t, "revoke again", s.RevokeClient(ctx(t), "org_acme", in.ID, t0.Add(time.Hour)))
	read, err = s.GetClient(ctx(t), in.ID)
	mustNoErr(t, "get revoked", err)
	if read.RevokedAt == nil || !read.RevokedAt.Equal(us(t0.Add(time.Minute))) || read.Active() {
		t.Errorf("revoked client: got revoked at %v, want %v", read.RevokedAt, us(t0.Add(time.Minute)))
	}
	gotRT, err := s.GetRefreshToken(ctx(t), rt.TokenHash)
	mustNoErr(t, "get refresh token of revoked client", err)
	if gotRT.RevokedAt == nil {
		t.Error("refresh token of revoked client: got RevokedAt nil, want set")
	}
}

func testListClients(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "clilist@example.com", t0)
	want := map[string]bool{}
	for n := range 5 {
		want[mustCreateClient(t, s, "org_a", id.ID, t0.Add(time.Duration(n%2)*time.Second)).ID] = true
	}
	mustCreateClient(t, s, "org_b", id.ID, t0)
	for _, limit := range []int{1, 2, 5, 10} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			all := collect(t, limit, func(r auth.PageRequest) (auth.Page[auth.Client], error) {
				return s.ListClients(ctx(t), "org_a", r)
			})
			keys := make([]auth.Cursor, len(all))
			for i, c := range all {
				keys[i] = auth.Cursor{At: c.CreatedAt, ID: c.ID}
				if !want[c.ID] {
					t.Errorf("client %s of another organization listed", c.ID)
				}
			}
			if len(all) != len(want) {
				t.Errorf("got %d clients, want %d", len(all), len(want))
			}
			wantNewestFirst(t, "clients", keys)
		})
	}
}
