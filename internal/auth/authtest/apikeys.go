package authtest

import (
	"fmt"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

func newAPIKey(t *testing.T, orgID, identityID string, at time.Time) auth.APIKey {
	t.Helper()
	_, _, hash, err := auth.GenerateAPIKey()
	mustNoErr(t, "generate api key", err)
	return auth.APIKey{
		ID:         auth.NewID(auth.APIKeyIDPrefix, at),
		OrgID:      orgID,
		IdentityID: identityID,
		Name:       "deploy script",
		SecretHash: hash,
		Scopes:     []string{"configs:read", "analytics:read"},
		CreatedAt:  at,
		ExpiresAt:  ptr(at.Add(90 * 24 * time.Hour)),
	}
}

func mustCreateAPIKey(t *testing.T, s auth.Store, orgID, identityID string, at time.Time) auth.APIKey {
	t.Helper()
	k, err := s.CreateAPIKey(ctx(t), newAPIKey(t, orgID, identityID, at))
	mustNoErr(t, "create api key", err)
	return k
}

func mustGetAPIKey(t *testing.T, s auth.Store, id string) auth.APIKey {
	t.Helper()
	k, err := s.GetAPIKey(ctx(t), id)
	mustNoErr(t, "get api key", err)
	return k
}

func testAPIKeyCreateGet(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "keys@example.com", t0)
	key, lookupID, hash, err := auth.GenerateAPIKey()
	mustNoErr(t, "generate api key", err)
	in := newAPIKey(t, "org_acme", id.ID, t0)
	in.ID, in.SecretHash = lookupID, hash
	got, err := s.CreateAPIKey(ctx(t), in)
	mustNoErr(t, "create api key", err)

	want := in
	want.CreatedAt, want.ExpiresAt = us(in.CreatedAt), ptr(us(*in.ExpiresAt))
	wantEqual(t, "created api key", got, want)

	// The way a request authenticates: parse, look up, compare.
	parsedID, secret, err := auth.ParseAPIKey(key)
	mustNoErr(t, "parse api key", err)
	stored := mustGetAPIKey(t, s, parsedID)
	wantEqual(t, "api key by lookup id", stored, want)
	if !auth.VerifyAPIKeySecret(secret, stored.SecretHash) {
		t.Error("stored secret hash does not verify the key's secret")
	}

	never := newAPIKey(t, "org_acme", id.ID, t0)
	never.ExpiresAt, never.Scopes = nil, nil
	_, err = s.CreateAPIKey(ctx(t), never)
	mustNoErr(t, "create api key without expiry or scopes", err)
	got = mustGetAPIKey(t, s, never.ID)
	if got.ExpiresAt != nil || got.Scopes == nil || len(got.Scopes) != 0 {
		t.Errorf("got (expires %v, scopes %#v), want (nil, []string{})", got.ExpiresAt, got.Scopes)
	}

	_, err = s.GetAPIKey(ctx(t), auth.NewID(auth.APIKeyIDPrefix, t0))
	wantErr(t, "get unknown api key", err, auth.ErrNotFound)
}

func testAPIKeyCreateErrors(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "keyerr@example.com", t0)
	first := mustCreateAPIKey(t, s, "org_acme", id.ID, t0)

	dup := newAPIKey(t, "org_acme", id.ID, t0)
	dup.ID = first.ID
	_, err := s.CreateAPIKey(ctx(t), dup)
	wantErr(t, "duplicate lookup id", err, auth.ErrConflict)

	_, err = s.CreateAPIKey(ctx(t), newAPIKey(t, "org_acme", auth.NewID(auth.IdentityIDPrefix, t0), t0))
	wantErr(t, "unknown creator", err, auth.ErrNotFound)

	for name, mutate := range map[string]func(*auth.APIKey){
		"no org":           func(k *auth.APIKey) { k.OrgID = "" },
		"bad org":          func(k *auth.APIKey) { k.OrgID = "org acme" },
		"no name":          func(k *auth.APIKey) { k.Name = "" },
		"short hash":       func(k *auth.APIKey) { k.SecretHash = k.SecretHash[:8] },
		"bad scope":        func(k *auth.APIKey) { k.Scopes = []string{"Configs:Write"} },
		"repeated scope":   func(k *auth.APIKey) { k.Scopes = []string{"a", "a"} },
		"expired at birth": func(k *auth.APIKey) { k.ExpiresAt = ptr(k.CreatedAt) },
		"already revoked":  func(k *auth.APIKey) { k.RevokedAt = ptr(t0) },
		"bad id":           func(k *auth.APIKey) { k.ID = "ptc_" + k.ID[4:] },
	} {
		k := newAPIKey(t, "org_acme", id.ID, t0)
		mutate(&k)
		_, err := s.CreateAPIKey(ctx(t), k)
		wantErr(t, name, err, auth.ErrInvalid)
	}
}

func testListAPIKeys(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "listkeys@example.com", t0)
	want := map[string]bool{}
	for n := range 9 {
		at := t0
		if n >= 5 {
			at = t0.Add(time.Duration(n) * time.Millisecond)
		}
		want[mustCreateAPIKey(t, s, "org_acme", id.ID, at).ID] = true
	}
	revoked := mustCreateAPIKey(t, s, "org_acme", id.ID, t0)
	mustNoErr(t, "revoke", s.RevokeAPIKey(ctx(t), "org_acme", revoked.ID, t0))
	want[revoked.ID] = true // lists include revoked keys
	mustCreateAPIKey(t, s, "org_other", id.ID, t0)

	for _, limit := range []int{1, 4, 10, 11} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			all := collect(t, limit, func(r auth.PageRequest) (auth.Page[auth.APIKey], error) {
				return s.ListAPIKeys(ctx(t), "org_acme", r)
			})
			keys := make([]auth.Cursor, len(all))
			seen := map[string]bool{}
			for i, k := range all {
				keys[i] = auth.Cursor{At: k.CreatedAt, ID: k.ID}
				if !want[k.ID] || seen[k.ID] || k.OrgID != "org_acme" {
					t.Errorf("api key %s (org %s) listed twice or not expected", k.ID, k.OrgID)
				}
				seen[k.ID] = true
			}
			if len(seen) != len(want) {
				t.Errorf("got %d api keys, want %d", len(seen), len(want))
			}
			wantNewestFirst(t, "api keys", keys)
		})
	}
	page, err := s.ListAPIKeys(ctx(t), "org_none", auth.PageRequest{})
	mustNoErr(t, "list empty org", err)
	if len(page.Items) != 0 || page.NextCursor != "" {
		t.Errorf("empty org: got %d keys and cursor %q, want none", len(page.Items), page.NextCursor)
	}
}

func testRevokeAPIKey(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "revokekey@example.com", t0)
	k := mustCreateAPIKey(t, s, "org_acme", id.ID, t0)
	at := t0.Add(time.Hour)

	wantErr(t, "revoke from another org", s.RevokeAPIKey(ctx(t), "org_other", k.ID, at), auth.ErrNotFound)
	if got := mustGetAPIKey(t, s, k.ID); got.RevokedAt != nil {
		t.Fatalf("after revoke from another org: got revoked at %v, want nil", got.RevokedAt)
	}
	mustNoErr(t, "revoke", s.RevokeAPIKey(ctx(t), "org_acme", k.ID, at))
	mustNoErr(t, "revoke again", s.RevokeAPIKey(ctx(t), "org_acme", k.ID, at.Add(time.Hour)))
	got := mustGetAPIKey(t, s, k.ID)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(us(at)) {
		t.Errorf("got revoked at %v, want %v", got.RevokedAt, us(at))
	}
	if got.Active(at.Add(time.Second)) {
		t.Error("revoked key: got Active true, want false")
	}
	wantErr(t, "revoke unknown", s.RevokeAPIKey(ctx(t), "org_acme", auth.NewID(auth.APIKeyIDPrefix, t0), at), auth.ErrNotFound)
}

func testTouchAPIKey(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "touchkey@example.com", t0)
	k := mustCreateAPIKey(t, s, "org_acme", id.ID, t0)
	used := t0.Add(time.Hour)
	mustNoErr(t, "touch", s.TouchAPIKey(ctx(t), k.ID, used))
	mustNoErr(t, "late touch", s.TouchAPIKey(ctx(t), k.ID, t0.Add(time.Minute)))
	if got := mustGetAPIKey(t, s, k.ID); got.LastUsedAt == nil || !got.LastUsedAt.Equal(us(used)) {
		t.Errorf("got last used %v, want %v", got.LastUsedAt, us(used))
	}
	wantErr(t, "touch unknown", s.TouchAPIKey(ctx(t), auth.NewID(auth.APIKeyIDPrefix, t0), used), auth.ErrNotFound)
}
