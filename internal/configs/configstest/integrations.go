package configstest

import (
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/configs"
)

const (
	orgA = "org_A"
	orgB = "org_B"
)

func testIntegrationCreateGet(t *testing.T, s configs.Store) {
	in := newIntegration(t, orgA, "Main site", t0)
	got, _, err := s.CreateIntegration(ctx(t), creation(in))
	mustNoErr(t, "create integration", err)
	want := stored(in)
	wantEqual(t, "created integration", got, want)

	byID, err := s.GetIntegration(ctx(t), orgA, in.ID)
	mustNoErr(t, "get integration", err)
	wantEqual(t, "integration by id", byID, want)

	_, err = s.GetIntegration(ctx(t), orgA, configs.NewIntegrationID(t0))
	wantErr(t, "get unknown integration", err, configs.ErrNotFound)

	bare := newIntegration(t, orgA, "No lists", t0)
	bare.Domains, bare.BundleIDs = nil, nil
	got, _, err = s.CreateIntegration(ctx(t), creation(bare))
	mustNoErr(t, "create integration without domains", err)
	wantEqual(t, "integration without domains", got, stored(bare))
}

func testIntegrationInvalid(t *testing.T, s configs.Store) {
	for name, mutate := range map[string]func(*configs.Integration){
		"bad id":             func(in *configs.Integration) { in.ID = "org_" + in.ID[4:] },
		"bad org":            func(in *configs.Integration) { in.OrgID = "" },
		"empty name":         func(in *configs.Integration) { in.Name = "" },
		"control in name":    func(in *configs.Integration) { in.Name = "a\nb" },
		"long name":          func(in *configs.Integration) { in.Name = strings.Repeat("a", configs.MaxIntegrationNameLen+1) },
		"bad environment":    func(in *configs.Integration) { in.Environment = "dev" },
		"bad status":         func(in *configs.Integration) { in.Status = "deleted" },
		"bad key":            func(in *configs.Integration) { in.DeliveryKey = "dk_short" },
		"previous no expiry": func(in *configs.Integration) { in.PreviousDeliveryKey = configs.NewDeliveryKey() },
		"expiry no previous": func(in *configs.Integration) { in.PreviousKeyExpiresAt = t0 },
		"previous is current": func(in *configs.Integration) {
			in.PreviousDeliveryKey, in.PreviousKeyExpiresAt = in.DeliveryKey, t0
		},
		"zero domain":       func(in *configs.Integration) { in.Domains = append(in.Domains, configs.Domain{}) },
		"bad bundle id":     func(in *configs.Integration) { in.BundleIDs = []configs.BundleID{"player"} },
		"zero created time": func(in *configs.Integration) { in.CreatedAt = time.Time{} },
	} {
		in := newIntegration(t, orgA, "Valid", t0)
		mutate(&in)
		_, _, err := s.CreateIntegration(ctx(t), creation(in))
		wantErr(t, name, err, configs.ErrInvalid)
		if configs.SafeMessage(err) == "" {
			t.Errorf("%s: got no safe message in %v", name, err)
		}
	}
	page, err := s.ListIntegrations(ctx(t), orgA, configs.PageRequest{})
	mustNoErr(t, "list integrations", err)
	if len(page.Items) != 0 {
		t.Errorf("got %d integrations after invalid creates, want 0", len(page.Items))
	}
}

func testIntegrationConflict(t *testing.T, s configs.Store) {
	first := mustCreate(t, s, orgA, "First", t0)
	sameID := newIntegration(t, orgA, "Same id", t0)
	sameID.ID = first.ID
	_, _, err := s.CreateIntegration(ctx(t), creation(sameID))
	wantErr(t, "same id", err, configs.ErrConflict)

	sameKey := newIntegration(t, orgB, "Same key", t0)
	sameKey.DeliveryKey = first.DeliveryKey
	_, _, err = s.CreateIntegration(ctx(t), creation(sameKey))
	wantErr(t, "same delivery key", err, configs.ErrConflict)
}

func testIntegrationUpdate(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	later := t0.Add(time.Hour)
	change := in
	change.Name = "Renamed"
	change.Environment = configs.EnvStaging
	change.Status = configs.StatusBypassed
	change.Domains = mustDomains(t, "video.example.org")
	change.BundleIDs = nil
	change.UpdatedAt = later
	// Keys and creation time are not the update's to change.
	change.DeliveryKey = configs.NewDeliveryKey()
	change.CreatedAt = later

	got, err := s.UpdateIntegration(ctx(t), change, auditOf(change.OrgID, change.ID, configs.ActionIntegrationUpdated))
	mustNoErr(t, "update integration", err)
	want := in
	want.Name, want.Environment, want.Status = "Renamed", configs.EnvStaging, configs.StatusBypassed
	want.Domains, want.BundleIDs, want.UpdatedAt = change.Domains, nil, us(later)
	wantEqual(t, "updated integration", got, want)
	again, err := s.GetIntegration(ctx(t), orgA, in.ID)
	mustNoErr(t, "get updated integration", err)
	wantEqual(t, "updated integration read back", again, want)

	bad := change
	bad.Name = ""
	_, err = s.UpdateIntegration(ctx(t), bad, auditOf(bad.OrgID, bad.ID, configs.ActionIntegrationUpdated))
	wantErr(t, "update invalid", err, configs.ErrInvalid)

	unknown := newIntegration(t, orgA, "Unknown", t0)
	_, err = s.UpdateIntegration(ctx(t), unknown, auditOf(unknown.OrgID, unknown.ID, configs.ActionIntegrationUpdated))
	wantErr(t, "update unknown", err, configs.ErrNotFound)
}

func testIntegrationScoped(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	_, err := s.GetIntegration(ctx(t), orgB, in.ID)
	wantErr(t, "get from other org", err, configs.ErrNotFound)

	other := in
	other.OrgID, other.Name = orgB, "Stolen"
	_, err = s.UpdateIntegration(ctx(t), other, auditOf(other.OrgID, other.ID, configs.ActionIntegrationUpdated))
	wantErr(t, "update from other org", err, configs.ErrNotFound)

	_, err = s.RotateDeliveryKey(ctx(t), orgB, in.ID, configs.NewDeliveryKey(), t0.Add(time.Hour), auditOf(orgB, in.ID, configs.ActionDeliveryKeyRotated))
	wantErr(t, "rotate from other org", err, configs.ErrNotFound)

	page, err := s.ListIntegrations(ctx(t), orgB, configs.PageRequest{})
	mustNoErr(t, "list other org", err)
	if len(page.Items) != 0 {
		t.Errorf("other org lists %d integrations, want 0", len(page.Items))
	}
	got, err := s.GetIntegration(ctx(t), orgA, in.ID)
	mustNoErr(t, "get after foreign update", err)
	wantEqual(t, "integration after foreign attempts", got, in)
}

func testListIntegrations(t *testing.T, s configs.Store) {
	empty, err := s.ListIntegrations(ctx(t), orgA, configs.PageRequest{})
	mustNoErr(t, "list empty", err)
	if len(empty.Items) != 0 || empty.NextCursor != "" {
		t.Errorf("empty list: got %d items, cursor %q, want none", len(empty.Items), empty.NextCursor)
	}
	// Seven integrations, three sharing one creation time so that the ID
	// breaks the tie, and one in another organization.
	var want []string
	for i := range 7 {
		at := t0.Add(time.Duration(min(i, 4)) * time.Second)
		want = append(want, mustCreate(t, s, orgA, "I", at).ID)
	}
	mustCreate(t, s, orgB, "Other", t0)
	for _, limit := range []int{1, 2, 3, 6, 7, 8} {
		got, pages := collect(t, limit, func(p configs.PageRequest) (configs.Page[configs.Integration], error) {
			return s.ListIntegrations(ctx(t), orgA, p)
		})
		if len(got) != 7 {
			t.Fatalf("limit %d: got %d integrations, want 7", limit, len(got))
		}
		seen := map[string]bool{}
		for _, in := range got {
			seen[in.ID] = true
		}
		for _, id := range want {
			if !seen[id] {
				t.Errorf("limit %d: integration %s missing", limit, id)
			}
		}
		if wantPages := (7 + limit - 1) / limit; pages != wantPages {
			t.Errorf("limit %d: got %d pages, want %d", limit, pages, wantPages)
		}
		for i := 1; i < len(got); i++ {
			a, b := got[i-1], got[i]
			if a.CreatedAt.Before(b.CreatedAt) || (a.CreatedAt.Equal(b.CreatedAt) && a.ID <= b.ID) {
				t.Errorf("limit %d: item %d (%v, %s) not before item %d (%v, %s)", limit, i-1, a.CreatedAt, a.ID, i, b.CreatedAt, b.ID)
			}
			if a.OrgID != orgA {
				t.Errorf("limit %d: item of org %q listed", limit, a.OrgID)
			}
		}
	}
}

func testPageRequestInvalid(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	for name, p := range map[string]configs.PageRequest{
		"negative limit": {Limit: -1},
		"huge limit":     {Limit: configs.MaxPageLimit + 1},
		"garbage cursor": {Cursor: "not a cursor"},
		"foreign cursor": {Cursor: configs.Cursor{At: t0, Key: "usr_x"}.String()},
	} {
		_, err := s.ListIntegrations(ctx(t), orgA, p)
		wantErr(t, "integrations, "+name, err, configs.ErrInvalid)
		_, err = s.ListSettingsVersions(ctx(t), orgA, in.ID, p)
		wantErr(t, "versions, "+name, err, configs.ErrInvalid)
	}
}

func testDeliveryKeyLookup(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	got, previous, err := s.GetIntegrationByDeliveryKey(ctx(t), in.DeliveryKey, t0)
	mustNoErr(t, "lookup current key", err)
	wantEqual(t, "integration by current key", got, in)
	if previous {
		t.Error("current key: got previous = true, want false")
	}
	for name, key := range map[string]string{
		"unknown": configs.NewDeliveryKey(),
		"empty":   "",
	} {
		_, _, err = s.GetIntegrationByDeliveryKey(ctx(t), key, t0)
		wantErr(t, "lookup "+name+" key", err, configs.ErrNotFound)
	}

	old := in.DeliveryKey
	until := t0.Add(24 * time.Hour)
	rotated, err := s.RotateDeliveryKey(ctx(t), orgA, in.ID, configs.NewDeliveryKey(), until, auditOf(orgA, in.ID, configs.ActionDeliveryKeyRotated))
	mustNoErr(t, "rotate", err)

	got, previous, err = s.GetIntegrationByDeliveryKey(ctx(t), old, until.Add(-time.Microsecond))
	mustNoErr(t, "lookup previous key within overlap", err)
	wantEqual(t, "integration by previous key", got, rotated)
	if !previous {
		t.Error("previous key: got previous = false, want true")
	}
	_, _, err = s.GetIntegrationByDeliveryKey(ctx(t), old, until)
	wantErr(t, "lookup previous key at overlap end", err, configs.ErrNotFound)
	_, _, err = s.GetIntegrationByDeliveryKey(ctx(t), old, until.Add(time.Hour))
	wantErr(t, "lookup previous key after overlap", err, configs.ErrNotFound)

	got, previous, err = s.GetIntegrationByDeliveryKey(ctx(t), rotated.DeliveryKey, until.Add(time.Hour))
	mustNoErr(t, "lookup new key", err)
	if got.ID != in.ID || previous {
		t.Errorf("new key: got %s, previous %v, want %s, false", got.ID, previous, in.ID)
	}
}

func testRotateDeliveryKey(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	other := mustCreate(t, s, orgA, "Other", t0)
	first, second := configs.NewDeliveryKey(), configs.NewDeliveryKey()
	until1, until2 := t0.Add(time.Hour), t0.Add(2*time.Hour+time.Nanosecond)

	got, err := s.RotateDeliveryKey(ctx(t), orgA, in.ID, first, until1, auditOf(orgA, in.ID, configs.ActionDeliveryKeyRotated))
	mustNoErr(t, "first rotation", err)
	want := in
	want.DeliveryKey, want.PreviousDeliveryKey, want.PreviousKeyExpiresAt = first, in.DeliveryKey, us(until1)
	wantEqual(t, "after first rotation", got, want)

	got, err = s.RotateDeliveryKey(ctx(t), orgA, in.ID, second, until2, auditOf(orgA, in.ID, configs.ActionDeliveryKeyRotated))
	mustNoErr(t, "second rotation", err)
	want.DeliveryKey, want.PreviousDeliveryKey, want.PreviousKeyExpiresAt = second, first, us(until2)
	wantEqual(t, "after second rotation", got, want)
	read, err := s.GetIntegration(ctx(t), orgA, in.ID)
	mustNoErr(t, "get after rotation", err)
	wantEqual(t, "rotation read back", read, want)
	// The key rotated out first is dropped at once.
	_, _, err = s.GetIntegrationByDeliveryKey(ctx(t), in.DeliveryKey, t0)
	wantErr(t, "lookup key rotated out twice", err, configs.ErrNotFound)

	_, err = s.RotateDeliveryKey(ctx(t), orgA, in.ID, second, until2, auditOf(orgA, in.ID, configs.ActionDeliveryKeyRotated))
	wantErr(t, "rotate to the current key", err, configs.ErrInvalid)
	_, err = s.RotateDeliveryKey(ctx(t), orgA, in.ID, "dk_bad", until2, auditOf(orgA, in.ID, configs.ActionDeliveryKeyRotated))
	wantErr(t, "rotate to a malformed key", err, configs.ErrInvalid)
	_, err = s.RotateDeliveryKey(ctx(t), orgA, in.ID, configs.NewDeliveryKey(), time.Time{}, auditOf(orgA, in.ID, configs.ActionDeliveryKeyRotated))
	wantErr(t, "rotate without overlap end", err, configs.ErrInvalid)
	_, err = s.RotateDeliveryKey(ctx(t), orgA, in.ID, other.DeliveryKey, until2, auditOf(orgA, in.ID, configs.ActionDeliveryKeyRotated))
	wantErr(t, "rotate to another integration's key", err, configs.ErrConflict)
	unknown := configs.NewIntegrationID(t0)
	_, err = s.RotateDeliveryKey(ctx(t), orgA, unknown, configs.NewDeliveryKey(), until2, auditOf(orgA, unknown, configs.ActionDeliveryKeyRotated))
	wantErr(t, "rotate unknown integration", err, configs.ErrNotFound)

	read, err = s.GetIntegration(ctx(t), orgA, in.ID)
	mustNoErr(t, "get after failed rotations", err)
	wantEqual(t, "after failed rotations", read, want)
}
