package configstest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/configs"
)

// mustAppend appends n versions to an integration, after its first, so
// numbered from 2.
func mustAppend(t *testing.T, s configs.Store, orgID, id string, n int) []configs.SettingsVersion {
	t.Helper()
	var out []configs.SettingsVersion
	for i := range n {
		v, err := s.AppendSettingsVersion(ctx(t), orgID, id, i+1, newVersion(i+2, t0.Add(time.Duration(i)*time.Minute)),
			auditOf(orgID, id, configs.ActionSettingsChanged))
		mustNoErr(t, fmt.Sprintf("append version %d", i+2), err)
		out = append(out, v)
	}
	return out
}

// appendV appends v expecting version expected, with an audit entry.
func appendV(t *testing.T, s configs.Store, orgID, id string, expected int, v configs.SettingsVersion) (configs.SettingsVersion, error) {
	return s.AppendSettingsVersion(ctx(t), orgID, id, expected, v, auditOf(orgID, id, configs.ActionSettingsChanged))
}

func testAppendGetCurrent(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	first := configs.SettingsVersion{IntegrationID: in.ID, Version: 1, Document: firstDoc, Author: "usr_author",
		Message: "created", CreatedAt: us(t0)}
	cur, err := s.CurrentSettings(ctx(t), orgA, in.ID)
	mustNoErr(t, "current settings of a new integration", err)
	wantEqual(t, "first version", cur, first)

	v2in := newVersion(2, t0)
	v2in.IntegrationID, v2in.Version = "int_ignored", 42 // the store sets both
	v2, err := appendV(t, s, orgA, in.ID, 1, v2in)
	mustNoErr(t, "append second version", err)
	want := configs.SettingsVersion{IntegrationID: in.ID, Version: 2, Document: doc(2), Author: "usr_author",
		Message: "change 2", CreatedAt: us(t0)}
	wantEqual(t, "second version", v2, want)
	if got := v2.ETag(); got != `"v2"` {
		t.Errorf("etag: got %s, want \"v2\"", got)
	}

	got, err := s.GetSettingsVersion(ctx(t), orgA, in.ID, 2)
	mustNoErr(t, "get version 2", err)
	wantEqual(t, "version 2 read back", got, want)
	cur, err = s.CurrentSettings(ctx(t), orgA, in.ID)
	mustNoErr(t, "current settings", err)
	wantEqual(t, "current after one append", cur, want)

	// Documents are kept byte for byte, white space and all.
	spaced := newVersion(3, t0.Add(time.Minute))
	spaced.Document = []byte("{\n  \"activation_ratio\" : 0.5\n}")
	v3, err := appendV(t, s, orgA, in.ID, 2, spaced)
	mustNoErr(t, "append third version", err)
	if v3.Version != 3 {
		t.Errorf("third version: got number %d, want 3", v3.Version)
	}
	cur, err = s.CurrentSettings(ctx(t), orgA, in.ID)
	mustNoErr(t, "current settings", err)
	if cur.Version != 3 || !bytes.Equal(cur.Document, spaced.Document) {
		t.Errorf("current: got version %d %q, want 3 %q", cur.Version, cur.Document, spaced.Document)
	}
	got, err = s.GetSettingsVersion(ctx(t), orgA, in.ID, 1)
	mustNoErr(t, "get version 1 again", err)
	wantEqual(t, "version 1 unchanged", got, first)

	for _, n := range []int{0, 4, -1} {
		_, err = s.GetSettingsVersion(ctx(t), orgA, in.ID, n)
		wantErr(t, fmt.Sprintf("get version %d", n), err, configs.ErrNotFound)
	}
	_, err = appendV(t, s, orgA, configs.NewIntegrationID(t0), 0, newVersion(1, t0))
	wantErr(t, "append to unknown integration", err, configs.ErrNotFound)
}

func testAppendInvalid(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	for name, mutate := range map[string]func(*configs.SettingsVersion){
		"invalid document": func(v *configs.SettingsVersion) { v.Document = []byte(`{"activation_ratio": 1.5}`) },
		"not json":         func(v *configs.SettingsVersion) { v.Document = []byte(`{`) },
		"empty document":   func(v *configs.SettingsVersion) { v.Document = nil },
		"no author":        func(v *configs.SettingsVersion) { v.Author = "" },
		"control message":  func(v *configs.SettingsVersion) { v.Message = "a\x00b" },
		"zero time":        func(v *configs.SettingsVersion) { v.CreatedAt = time.Time{} },
	} {
		v := newVersion(2, t0)
		mutate(&v)
		_, err := appendV(t, s, orgA, in.ID, 1, v)
		wantErr(t, name, err, configs.ErrInvalid)
	}
	_, err := appendV(t, s, orgA, in.ID, -1, newVersion(2, t0))
	wantErr(t, "negative expected version", err, configs.ErrInvalid)
	cur, err := s.CurrentSettings(ctx(t), orgA, in.ID)
	mustNoErr(t, "current after invalid appends", err)
	if cur.Version != 1 {
		t.Errorf("current after invalid appends: got version %d, want 1", cur.Version)
	}

	// An invalid first version refuses the creation.
	c := creation(newIntegration(t, orgA, "Bad first", t0))
	c.Settings.Document = []byte(`{"p2p": 1}`)
	_, _, err = s.CreateIntegration(ctx(t), c)
	wantErr(t, "create with an invalid first version", err, configs.ErrInvalid)
	_, err = s.GetIntegration(ctx(t), orgA, c.Integration.ID)
	wantErr(t, "integration of a refused creation", err, configs.ErrNotFound)
}

func testAppendStale(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	mustAppend(t, s, orgA, in.ID, 1)
	for _, expected := range []int{0, 1, 3, 10} {
		_, err := appendV(t, s, orgA, in.ID, expected, newVersion(9, t0))
		wantErr(t, fmt.Sprintf("append expecting %d when current is 2", expected), err, configs.ErrConflict)
	}
	cur, err := s.CurrentSettings(ctx(t), orgA, in.ID)
	mustNoErr(t, "current settings", err)
	if cur.Version != 2 {
		t.Errorf("current after stale appends: got version %d, want 2", cur.Version)
	}
	v3, err := appendV(t, s, orgA, in.ID, 2, newVersion(3, t0))
	mustNoErr(t, "append expecting the current version", err)
	if v3.Version != 3 {
		t.Errorf("got version %d, want 3", v3.Version)
	}
}

func testVersionsScoped(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	_, err := appendV(t, s, orgB, in.ID, 1, newVersion(2, t0))
	wantErr(t, "append from other org", err, configs.ErrNotFound)
	_, err = s.GetSettingsVersion(ctx(t), orgB, in.ID, 1)
	wantErr(t, "get version from other org", err, configs.ErrNotFound)
	_, err = s.CurrentSettings(ctx(t), orgB, in.ID)
	wantErr(t, "current from other org", err, configs.ErrNotFound)
	page, err := s.ListSettingsVersions(ctx(t), orgB, in.ID, configs.PageRequest{})
	mustNoErr(t, "list versions from other org", err)
	if len(page.Items) != 0 || page.NextCursor != "" {
		t.Errorf("other org lists %d versions, cursor %q, want none", len(page.Items), page.NextCursor)
	}
}

func testListVersions(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	other := mustCreate(t, s, orgA, "Other", t0)
	empty, err := s.ListSettingsVersions(ctx(t), orgA, configs.NewIntegrationID(t0), configs.PageRequest{})
	mustNoErr(t, "list versions of an unknown integration", err)
	if len(empty.Items) != 0 || empty.NextCursor != "" {
		t.Errorf("no versions: got %d items, cursor %q, want none", len(empty.Items), empty.NextCursor)
	}
	first, err := s.GetSettingsVersion(ctx(t), orgA, in.ID, 1)
	mustNoErr(t, "get first version", err)
	all := append([]configs.SettingsVersion{first}, mustAppend(t, s, orgA, in.ID, 6)...)
	mustAppend(t, s, orgA, other.ID, 2)
	for _, limit := range []int{1, 2, 3, 6, 7, 8} {
		got, pages := collect(t, limit, func(p configs.PageRequest) (configs.Page[configs.SettingsVersion], error) {
			return s.ListSettingsVersions(ctx(t), orgA, in.ID, p)
		})
		if wantPages := (7 + limit - 1) / limit; pages != wantPages {
			t.Errorf("limit %d: got %d pages, want %d", limit, pages, wantPages)
		}
		if len(got) != len(all) {
			t.Fatalf("limit %d: got %d versions, want %d", limit, len(got), len(all))
		}
		for i, v := range got {
			wantEqual(t, fmt.Sprintf("limit %d, item %d", limit, i), v, all[len(all)-1-i])
		}
	}
	// A cursor of one integration's list used on another's gives the
	// versions before that number there, never an error or another's rows.
	page, err := s.ListSettingsVersions(ctx(t), orgA, in.ID, configs.PageRequest{Limit: 5})
	mustNoErr(t, "list first page", err)
	rest, err := s.ListSettingsVersions(ctx(t), orgA, other.ID, configs.PageRequest{Cursor: page.NextCursor})
	mustNoErr(t, "list other with cursor", err)
	for _, v := range rest.Items {
		if v.IntegrationID != other.ID || v.Version >= 3 {
			t.Errorf("other's list after cursor 3: got %s v%d", v.IntegrationID, v.Version)
		}
	}
}

// testAppendConcurrent races writers that all expect the same version:
// exactly one wins each round, the others get ErrConflict, and the
// versions stay numbered without gaps.
func testAppendConcurrent(t *testing.T, s configs.Store) {
	in := mustCreate(t, s, orgA, "Main", t0)
	const writers, rounds = 8, 3
	for round := range rounds {
		var (
			wg        sync.WaitGroup
			start     = make(chan struct{})
			errs      = make([]error, writers)
			succeeded = make([]bool, writers)
		)
		for w := range writers {
			wg.Go(func() {
				<-start
				_, err := appendV(t, s, orgA, in.ID, round+1, newVersion(w, t0.Add(time.Duration(round)*time.Minute)))
				errs[w], succeeded[w] = err, err == nil
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for w, err := range errs {
			switch {
			case succeeded[w]:
				wins++
			default:
				wantErr(t, fmt.Sprintf("round %d, writer %d", round, w), err, configs.ErrConflict)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: got %d winners, want exactly 1", round, wins)
		}
	}
	got, _ := collect(t, 100, func(p configs.PageRequest) (configs.Page[configs.SettingsVersion], error) {
		return s.ListSettingsVersions(ctx(t), orgA, in.ID, p)
	})
	if len(got) != rounds+1 {
		t.Fatalf("got %d versions, want %d", len(got), rounds+1)
	}
	for i, v := range got {
		if want := rounds + 1 - i; v.Version != want {
			t.Errorf("item %d: got version %d, want %d", i, v.Version, want)
		}
	}
	// Each winner wrote one audit entry; the losers none.
	entries, _ := collect(t, 100, func(p configs.PageRequest) (configs.Page[configs.AuditEntry], error) {
		return s.ListAuditEntries(ctx(t), orgA, in.ID, p)
	})
	if len(entries) != rounds+1 {
		t.Errorf("got %d audit entries, want %d (the creation and one per round)", len(entries), rounds+1)
	}
}
