package configstest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/configs"
)

func idem(orgID, principal, key, body, integrationID string, at time.Time) *configs.IdempotencyRecord {
	fp := sha256.Sum256([]byte(body))
	return &configs.IdempotencyRecord{OrgID: orgID, Principal: principal, Key: key, Fingerprint: fp[:],
		IntegrationID: integrationID, CreatedAt: at, ExpiresAt: at.Add(24 * time.Hour)}
}

func testIdempotencyRecord(t *testing.T, s configs.Store) {
	in := newIntegration(t, orgA, "Main", t0)
	c := creation(in)
	c.Idempotency = idem(orgA, "usr_1", "key-1", "body", in.ID, t0)
	_, _, err := s.CreateIntegration(ctx(t), c)
	mustNoErr(t, "create with a key", err)

	got, err := s.GetIdempotencyRecord(ctx(t), orgA, "usr_1", "key-1", t0.Add(time.Hour))
	mustNoErr(t, "get record", err)
	want := *c.Idempotency
	want.CreatedAt, want.ExpiresAt = us(want.CreatedAt), us(want.ExpiresAt)
	wantEqual(t, "record", got, want)

	for name, q := range map[string][3]string{
		"other org":       {orgB, "usr_1", "key-1"},
		"other principal": {orgA, "usr_2", "key-1"},
		"other key":       {orgA, "usr_1", "key-2"},
	} {
		_, err := s.GetIdempotencyRecord(ctx(t), q[0], q[1], q[2], t0)
		wantErr(t, name, err, configs.ErrNotFound)
	}
	_, err = s.GetIdempotencyRecord(ctx(t), orgA, "usr_1", "key-1", want.ExpiresAt)
	wantErr(t, "expired record", err, configs.ErrNotFound)

	// The same key again while the record lives: the creation is refused
	// whole.
	again := creation(newIntegration(t, orgA, "Again", t0))
	again.Idempotency = idem(orgA, "usr_1", "key-1", "body", again.Integration.ID, t0.Add(time.Hour))
	_, _, err = s.CreateIntegration(ctx(t), again)
	wantErr(t, "same key while live", err, configs.ErrConflict)
	_, err = s.GetIntegration(ctx(t), orgA, again.Integration.ID)
	wantErr(t, "integration of the refused creation", err, configs.ErrNotFound)

	// Another principal may use the same key.
	other := creation(newIntegration(t, orgA, "Other", t0))
	other.Idempotency = idem(orgA, "usr_2", "key-1", "body", other.Integration.ID, t0)
	_, _, err = s.CreateIntegration(ctx(t), other)
	mustNoErr(t, "same key, other principal", err)

	// After expiry, unpruned, the key may be used again.
	later := creation(newIntegration(t, orgA, "Later", t0))
	later.Idempotency = idem(orgA, "usr_1", "key-1", "other body", later.Integration.ID, t0.Add(25*time.Hour))
	_, _, err = s.CreateIntegration(ctx(t), later)
	mustNoErr(t, "same key after expiry", err)
	got, err = s.GetIdempotencyRecord(ctx(t), orgA, "usr_1", "key-1", t0.Add(26*time.Hour))
	mustNoErr(t, "get renewed record", err)
	if got.IntegrationID != later.Integration.ID {
		t.Errorf("renewed record: got %s, want %s", got.IntegrationID, later.Integration.ID)
	}

	n, err := s.PruneIdempotencyRecords(ctx(t), t0.Add(24*time.Hour))
	mustNoErr(t, "prune", err)
	if n != 1 {
		t.Errorf("pruned %d records, want 1 (usr_2's)", n)
	}
	_, err = s.GetIdempotencyRecord(ctx(t), orgA, "usr_1", "key-1", t0.Add(26*time.Hour))
	mustNoErr(t, "live record survives the prune", err)

	bad := creation(newIntegration(t, orgA, "Bad", t0))
	bad.Idempotency = idem(orgA, "usr_1", "key-3", "b", bad.Integration.ID, t0)
	bad.Idempotency.Fingerprint = []byte("short")
	_, _, err = s.CreateIntegration(ctx(t), bad)
	wantErr(t, "malformed record", err, configs.ErrInvalid)
}

// testIdempotencyConcurrent races creations with the same key: exactly
// one integration is created, the others fail with ErrConflict and create
// nothing.
func testIdempotencyConcurrent(t *testing.T, s configs.Store) {
	const n = 8
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			c := creation(newIntegration(t, orgA, fmt.Sprint("Racer ", i), t0))
			c.Idempotency = idem(orgA, "usr_1", "race", "body", c.Integration.ID, t0)
			_, _, errs[i] = s.CreateIntegration(ctx(t), c)
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, err := range errs {
		if err == nil {
			wins++
			continue
		}
		wantErr(t, fmt.Sprintf("racer %d", i), err, configs.ErrConflict)
	}
	page, err := s.ListIntegrations(ctx(t), orgA, configs.PageRequest{})
	mustNoErr(t, "list", err)
	if wins != 1 || len(page.Items) != 1 {
		t.Errorf("got %d winners and %d integrations, want 1 and 1", wins, len(page.Items))
	}
}

func testRevision(t *testing.T, s configs.Store) {
	rev := func() int64 {
		t.Helper()
		r, err := s.Revision(ctx(t))
		mustNoErr(t, "revision", err)
		return r
	}
	if got := rev(); got != 0 {
		t.Errorf("empty store: got revision %d, want 0", got)
	}
	in := mustCreate(t, s, orgA, "Main", t0)
	r1 := rev()
	if r1 <= 0 {
		t.Fatalf("after create: got revision %d, want more than 0", r1)
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"update", func() error {
			c := in
			c.Name = "Renamed"
			_, err := s.UpdateIntegration(ctx(t), c, auditOf(orgA, in.ID, configs.ActionIntegrationUpdated))
			return err
		}},
		{"rotate", func() error {
			_, err := s.RotateDeliveryKey(ctx(t), orgA, in.ID, configs.NewDeliveryKey(), t0.Add(time.Hour),
				auditOf(orgA, in.ID, configs.ActionDeliveryKeyRotated))
			return err
		}},
		{"append", func() error { _, err := appendV(t, s, orgA, in.ID, 1, newVersion(2, t0)); return err }},
		{"delete", func() error {
			return s.DeleteIntegration(ctx(t), orgA, in.ID, auditOf(orgA, in.ID, configs.ActionIntegrationDeleted))
		}},
	}
	last := r1
	for _, st := range steps {
		mustNoErr(t, st.name, st.do())
		if got := rev(); got <= last {
			t.Errorf("after %s: got revision %d, want more than %d", st.name, got, last)
		} else {
			last = got
		}
	}
	// Reads, lists, lookups and failures leave it alone.
	_, _ = s.ListIntegrations(ctx(t), orgA, configs.PageRequest{})
	_, _ = s.LoadDeliveryState(ctx(t))
	_, _ = appendV(t, s, orgA, in.ID, 7, newVersion(3, t0))
	_, _ = s.PruneIdempotencyRecords(ctx(t), t0)
	if got := rev(); got != last {
		t.Errorf("after reads and failures: got revision %d, want %d", got, last)
	}
}

// testRevisionConcurrent checks that concurrent changes of different
// integrations each count.
func testRevisionConcurrent(t *testing.T, s configs.Store) {
	const n = 8
	ins := make([]configs.Integration, n)
	for i := range ins {
		ins[i] = mustCreate(t, s, orgA, fmt.Sprint("I", i), t0)
	}
	before, err := s.Revision(ctx(t))
	mustNoErr(t, "revision", err)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, in := range ins {
		wg.Go(func() {
			for v := 1; v <= 3 && errs[i] == nil; v++ {
				_, errs[i] = appendV(t, s, orgA, in.ID, v, newVersion(v+1, t0))
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		mustNoErr(t, fmt.Sprint("writer ", i), err)
	}
	after, err := s.Revision(ctx(t))
	mustNoErr(t, "revision", err)
	if after-before != 3*n {
		t.Errorf("revision went from %d to %d, want %d more", before, after, 3*n)
	}
}

func testDeliveryState(t *testing.T, s configs.Store) {
	empty, err := s.LoadDeliveryState(ctx(t))
	mustNoErr(t, "load empty", err)
	if len(empty.Integrations) != 0 || empty.Revision != 0 {
		t.Errorf("empty: got %+v", empty)
	}
	a := mustCreate(t, s, orgA, "A", t0)
	b := mustCreate(t, s, orgB, "B", t0.Add(time.Second))
	vs := mustAppend(t, s, orgA, a.ID, 2)
	rotated, err := s.RotateDeliveryKey(ctx(t), orgB, b.ID, configs.NewDeliveryKey(), t0.Add(time.Hour),
		auditOf(orgB, b.ID, configs.ActionDeliveryKeyRotated))
	mustNoErr(t, "rotate", err)
	rev, err := s.Revision(ctx(t))
	mustNoErr(t, "revision", err)

	st, err := s.LoadDeliveryState(ctx(t))
	mustNoErr(t, "load", err)
	if st.Revision != rev {
		t.Errorf("got revision %d, want %d", st.Revision, rev)
	}
	if len(st.Integrations) != 2 {
		t.Fatalf("got %d integrations, want 2", len(st.Integrations))
	}
	wantEqual(t, "first integration", st.Integrations[0].Integration, a)
	wantEqual(t, "its current settings", st.Integrations[0].Settings, vs[1])
	wantEqual(t, "second integration", st.Integrations[1].Integration, rotated)
	if v := st.Integrations[1].Settings; v.Version != 1 || !bytes.Equal(v.Document, firstDoc) {
		t.Errorf("second's settings: got v%d %s, want v1 %s", v.Version, v.Document, firstDoc)
	}
}
