package configstest

import (
	"fmt"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/configs"
)

func listAudit(t *testing.T, s configs.Store, orgID, integrationID string) []configs.AuditEntry {
	t.Helper()
	all, _ := collect(t, 100, func(p configs.PageRequest) (configs.Page[configs.AuditEntry], error) {
		return s.ListAuditEntries(ctx(t), orgID, integrationID, p)
	})
	return all
}

func testAuditWritten(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	e := auditOf(orgA, in.ID, configs.ActionIntegrationUpdated)
	e.CreatedAt, e.Diff, e.Message = t0.Add(time.Second), []byte(`[{"op":"replace","path":"/name","value":"B"}]`), "renamed"
	e.Actor = configs.Actor{Kind: "user", ID: "usr_support", CredentialID: "ses_9", Staff: true}
	change := in
	change.Name, change.UpdatedAt = "B", t0.Add(time.Second)
	_, err := s.UpdateIntegration(ctx(t), change, e)
	mustNoErr(t, "update", err)
	_, err = s.RotateDeliveryKey(ctx(t), orgA, in.ID, configs.NewDeliveryKey(), t0.Add(time.Hour),
		auditOf(orgA, in.ID, configs.ActionDeliveryKeyRotated))
	mustNoErr(t, "rotate", err)
	mustAppend(t, s, orgA, in.ID, 1)

	got := listAudit(t, s, orgA, in.ID)
	if len(got) != 4 {
		t.Fatalf("got %d audit entries, want 4", len(got))
	}
	actions := map[configs.AuditAction]configs.AuditEntry{}
	for _, g := range got {
		actions[g.Action] = g
	}
	for _, a := range []configs.AuditAction{configs.ActionIntegrationCreated, configs.ActionIntegrationUpdated,
		configs.ActionDeliveryKeyRotated, configs.ActionSettingsChanged} {
		if _, ok := actions[a]; !ok {
			t.Errorf("no audit entry of %s", a)
		}
	}
	e.CreatedAt = us(e.CreatedAt)
	wantEqual(t, "update entry read back", actions[configs.ActionIntegrationUpdated], e)
	if got[0].ID != e.ID {
		t.Errorf("newest entry: got %s, want the update at t0+1s, %s", got[0].Action, e.ID)
	}
}

// testAuditInvalid checks that a change whose audit entry cannot be
// written is not made: one transaction.
func testAuditInvalid(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	rev, err := s.Revision(ctx(t))
	mustNoErr(t, "revision", err)
	bad := auditOf(orgA, in.ID, configs.ActionSettingsChanged)
	bad.Diff = []byte(`{"not":"a patch"}`)
	_, err = s.AppendSettingsVersion(ctx(t), orgA, in.ID, 1, newVersion(2, t0), bad)
	wantErr(t, "append with a malformed diff", err, configs.ErrInvalid)
	_, err = s.AppendSettingsVersion(ctx(t), orgA, in.ID, 1, newVersion(2, t0), auditOf(orgA, configs.NewIntegrationID(t0), configs.ActionSettingsChanged))
	wantErr(t, "append with another integration's entry", err, configs.ErrInvalid)
	_, err = s.AppendSettingsVersion(ctx(t), orgA, in.ID, 1, newVersion(2, t0), auditOf(orgB, in.ID, configs.ActionSettingsChanged))
	wantErr(t, "append with another organization's entry", err, configs.ErrInvalid)
	noAction := auditOf(orgA, in.ID, "settings.eaten")
	change := in
	change.Name = "Changed"
	_, err = s.UpdateIntegration(ctx(t), change, noAction)
	wantErr(t, "update with an unknown action", err, configs.ErrInvalid)

	// An entry whose ID is taken fails inside the transaction: the change
	// is rolled back with it.
	taken := listAudit(t, s, orgA, in.ID)[0]
	dup := auditOf(orgA, in.ID, configs.ActionSettingsChanged)
	dup.ID = taken.ID
	_, err = s.AppendSettingsVersion(ctx(t), orgA, in.ID, 1, newVersion(2, t0), dup)
	wantErr(t, "append with a taken entry id", err, configs.ErrConflict)

	cur, err := s.CurrentSettings(ctx(t), orgA, in.ID)
	mustNoErr(t, "current", err)
	if cur.Version != 1 {
		t.Errorf("got version %d after refused appends, want 1", cur.Version)
	}
	got, err := s.GetIntegration(ctx(t), orgA, in.ID)
	mustNoErr(t, "get", err)
	if got.Name != in.Name {
		t.Errorf("got name %q after a refused update, want %q", got.Name, in.Name)
	}
	if n := len(listAudit(t, s, orgA, in.ID)); n != 1 {
		t.Errorf("got %d audit entries, want only the creation's", n)
	}
	if after, _ := s.Revision(ctx(t)); after != rev {
		t.Errorf("revision moved from %d to %d on refused changes", rev, after)
	}
}

func testListAudit(t *testing.T, s configs.Store) {
	a := mustCreate(t, s, orgA, "A", t0)
	b := mustCreate(t, s, orgA, "B", t0)
	mustCreate(t, s, orgB, "Other", t0)
	// Entries one second apart, and three at the same time so that the ID
	// breaks the tie.
	for i := range 6 {
		e := auditOf(orgA, a.ID, configs.ActionSettingsChanged)
		e.CreatedAt = t0.Add(time.Duration(min(i, 3)+1) * time.Second)
		_, err := s.AppendSettingsVersion(ctx(t), orgA, a.ID, i+1, newVersion(i+2, t0), e)
		mustNoErr(t, fmt.Sprintf("append %d", i), err)
	}
	for _, limit := range []int{1, 2, 3, 7, 8, 9} {
		got, pages := collect(t, limit, func(p configs.PageRequest) (configs.Page[configs.AuditEntry], error) {
			return s.ListAuditEntries(ctx(t), orgA, "", p)
		})
		if len(got) != 8 {
			t.Fatalf("limit %d: got %d entries, want 8 (two creations and six changes)", limit, len(got))
		}
		if want := (8 + limit - 1) / limit; pages != want {
			t.Errorf("limit %d: got %d pages, want %d", limit, pages, want)
		}
		seen := map[string]bool{}
		for i, e := range got {
			if seen[e.ID] {
				t.Errorf("limit %d: entry %s twice", limit, e.ID)
			}
			seen[e.ID] = true
			if e.OrgID != orgA {
				t.Errorf("limit %d: entry of %s listed", limit, e.OrgID)
			}
			if i > 0 {
				p := got[i-1]
				if p.CreatedAt.Before(e.CreatedAt) || p.CreatedAt.Equal(e.CreatedAt) && p.ID <= e.ID {
					t.Errorf("limit %d: item %d not before item %d", limit, i-1, i)
				}
			}
		}
	}
	if n := len(listAudit(t, s, orgA, a.ID)); n != 7 {
		t.Errorf("filtered by %s: got %d entries, want 7", a.ID, n)
	}
	if got := listAudit(t, s, orgA, b.ID); len(got) != 1 || got[0].Action != configs.ActionIntegrationCreated {
		t.Errorf("filtered by %s: got %+v, want its creation", b.ID, got)
	}
	_, err := s.ListAuditEntries(ctx(t), orgA, "", configs.PageRequest{Cursor: configs.Cursor{At: t0, Key: a.ID}.String()})
	wantErr(t, "cursor with an integration id", err, configs.ErrInvalid)
}

func testAuditScoped(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	if got := listAudit(t, s, orgB, ""); len(got) != 0 {
		t.Errorf("other org: got %d entries, want none", len(got))
	}
	if got := listAudit(t, s, orgB, in.ID); len(got) != 0 {
		t.Errorf("other org filtered by a foreign integration: got %d entries, want none", len(got))
	}
}

func testPruneAudit(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	e := auditOf(orgA, in.ID, configs.ActionSettingsChanged)
	e.CreatedAt = t0.Add(48 * time.Hour)
	_, err := s.AppendSettingsVersion(ctx(t), orgA, in.ID, 1, newVersion(2, t0), e)
	mustNoErr(t, "append", err)
	n, err := s.PruneAuditEntries(ctx(t), t0.Add(24*time.Hour))
	mustNoErr(t, "prune", err)
	if n != 1 {
		t.Errorf("pruned %d, want 1", n)
	}
	if got := listAudit(t, s, orgA, ""); len(got) != 1 || got[0].ID != e.ID {
		t.Errorf("after prune: got %+v, want only the later entry", got)
	}
}

func testDeleteIntegration(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	keep := mustCreate(t, s, orgA, "Keep", t0)
	mustAppend(t, s, orgA, in.ID, 2)
	err := s.DeleteIntegration(ctx(t), orgB, in.ID, auditOf(orgB, in.ID, configs.ActionIntegrationDeleted))
	wantErr(t, "delete from other org", err, configs.ErrNotFound)
	del := auditOf(orgA, in.ID, configs.ActionIntegrationDeleted)
	del.CreatedAt = t0.Add(time.Hour)
	mustNoErr(t, "delete", s.DeleteIntegration(ctx(t), orgA, in.ID, del))
	_, err = s.GetIntegration(ctx(t), orgA, in.ID)
	wantErr(t, "get deleted", err, configs.ErrNotFound)
	_, err = s.GetSettingsVersion(ctx(t), orgA, in.ID, 1)
	wantErr(t, "version of deleted", err, configs.ErrNotFound)
	_, _, err = s.GetIntegrationByDeliveryKey(ctx(t), in.DeliveryKey, t0)
	wantErr(t, "key of deleted", err, configs.ErrNotFound)
	err = s.DeleteIntegration(ctx(t), orgA, in.ID, auditOf(orgA, in.ID, configs.ActionIntegrationDeleted))
	wantErr(t, "delete again", err, configs.ErrNotFound)
	if got := listAudit(t, s, orgA, in.ID); len(got) != 4 || got[0].Action != configs.ActionIntegrationDeleted {
		t.Errorf("audit of deleted: got %d entries, newest %v; want 4, the deletion newest", len(got), got)
	}
	if _, err := s.GetIntegration(ctx(t), orgA, keep.ID); err != nil {
		t.Errorf("other integration: %v", err)
	}
}
