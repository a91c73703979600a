package accountsstore_test

import (
	"encoding/hex"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/accounts/accountsstore"
	"github.com/portico-gw/portico/internal/platform/sqldb"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// migrationsBefore returns the store's migrations numbered below version.
func migrationsBefore(tb testing.TB, version string) fstest.MapFS {
	tb.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(accountsstore.Migrations(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path >= version {
			return err
		}
		b, err := fs.ReadFile(accountsstore.Migrations(), path)
		out[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		tb.Fatalf("read migrations: %v", err)
	}
	return out
}

func mustExec(tb testing.TB, db *sqldb.DB, query string, args ...any) {
	tb.Helper()
	if _, err := db.ExecContext(tb.Context(), query, args...); err != nil {
		tb.Fatalf("%s: %v", strings.Fields(query)[0:3], err)
	}
}

// TestMemberEmailsBackfill checks migration 0003 on a database made by the
// earlier ones: a member who accepted an invitation gets the address of
// the latest one they accepted to that organization; other members get
// none.
func TestMemberEmailsBackfill(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			b.Require(t)
			db := b.Open(t)
			if err := sqldb.Migrate(t.Context(), db, migrationsBefore(t, "0003")); err != nil {
				t.Fatalf("migrate to 0002: %v", err)
			}
			at := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
			us := func(d time.Duration) int64 { return at.Add(d).UnixMicro() }
			org, other := accounts.NewID(accounts.OrgIDPrefix, at), accounts.NewID(accounts.OrgIDPrefix, at)
			for i, id := range []string{org, other} {
				mustExec(t, db, `INSERT INTO organizations (id, name, slug, plan_name, plan_viewer_cap, status, staff, created_at, updated_at)
					VALUES ($1, 'Org', $2, 'starter', 0, 'active', $3, $4, $4)`, id, []string{"acme", "globex"}[i], false, us(0))
			}
			member := func(orgID, identityID string) {
				mustExec(t, db, `INSERT INTO memberships (org_id, identity_id, role, created_at, updated_at)
					VALUES ($1, $2, 'viewer', $3, $3)`, orgID, identityID, us(0))
			}
			member(org, "usr_ada")
			member(org, "usr_bob")
			member(org, "usr_carol")
			member(other, "usr_ada")
			invitation := func(orgID, email, status, acceptedBy string, acceptedAt int64) {
				id := accounts.NewID(accounts.InvitationIDPrefix, at)
				_, hash := accounts.NewInvitationToken()
				mustExec(t, db, `INSERT INTO invitations (id, org_id, email, email_key, role, status, token_hash, invited_by,
					created_at, updated_at, sent_at, expires_at, accepted_at, accepted_by, revoked_at)
					VALUES ($1, $2, $3, $4, 'viewer', $5, $6, 'usr_inviter', $7, $7, $7, $8, $9, $10, 0)`,
					id, orgID, email, strings.ToLower(email), status, hex.EncodeToString(hash[:]),
					us(0), us(time.Hour), acceptedAt, acceptedBy)
			}
			invitation(org, "ada@old.example", "accepted", "usr_ada", us(time.Minute))
			invitation(org, "Ada@New.example", "accepted", "usr_ada", us(2*time.Minute))
			invitation(org, "bob@example.com", "pending", "", 0)
			invitation(other, "ada@globex.example", "accepted", "usr_ada", us(time.Minute))

			s, err := accountsstore.Open(t.Context(), db)
			if err != nil {
				t.Fatalf("open store (migrate to the latest): %v", err)
			}
			for _, tc := range []struct{ org, identity, want string }{
				{org, "usr_ada", "Ada@New.example"},
				{org, "usr_bob", ""},
				{org, "usr_carol", ""},
				{other, "usr_ada", "ada@globex.example"},
			} {
				m, err := s.GetMembership(t.Context(), tc.org, tc.identity)
				if err != nil {
					t.Fatalf("get membership: %v", err)
				}
				if m.Email != tc.want {
					t.Errorf("%s in %s: got email %q, want %q", tc.identity, tc.org, m.Email, tc.want)
				}
			}
		})
	}
}
