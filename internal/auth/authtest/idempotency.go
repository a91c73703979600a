package authtest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

func newRecord(scope, key string, i auth.Identity, at time.Time) auth.IdempotencyRecord {
	fp := sha256.Sum256([]byte(scope + key + i.Email))
	return auth.IdempotencyRecord{Scope: scope, Key: key, Fingerprint: fp[:], ResourceID: i.ID,
		CreatedAt: at, ExpiresAt: at.Add(auth.IdempotencyLifetime)}
}

func testIdempotentCreate(t *testing.T, s auth.Store) {
	in := newIdentity("Idem@Example.com", t0)
	rec := newRecord("invitation", "key-1", in, t0)
	got, err := s.CreateIdentityIdempotent(ctx(t), in, rec)
	mustNoErr(t, "create", err)
	want := in
	want.EmailNorm = "idem@example.com"
	want.CreatedAt, want.UpdatedAt = us(t0), us(t0)
	wantEqual(t, "created identity", got, want)
	byID, err := s.GetIdentity(ctx(t), in.ID)
	mustNoErr(t, "get identity", err)
	wantEqual(t, "stored identity", byID, want)

	wantRec := rec
	wantRec.CreatedAt, wantRec.ExpiresAt = us(rec.CreatedAt), us(rec.ExpiresAt)
	r, err := s.GetIdempotencyRecord(ctx(t), "invitation", "key-1", t0.Add(time.Hour))
	mustNoErr(t, "get record", err)
	wantEqual(t, "record", r, wantRec)

	_, err = s.GetIdempotencyRecord(ctx(t), "invitation", "key-1", rec.ExpiresAt)
	wantErr(t, "record at its expiry", err, auth.ErrNotFound)
	_, err = s.GetIdempotencyRecord(ctx(t), "staff:usr_x", "key-1", t0)
	wantErr(t, "record of another scope", err, auth.ErrNotFound)
	_, err = s.GetIdempotencyRecord(ctx(t), "invitation", "KEY-1", t0)
	wantErr(t, "record of a key in other case", err, auth.ErrNotFound)

	// The same key in another scope is another request.
	other := newIdentity("other-scope@example.com", t0)
	_, err = s.CreateIdentityIdempotent(ctx(t), other, newRecord("staff:usr_x", "key-1", other, t0))
	mustNoErr(t, "same key, other scope", err)
}

func testIdempotentCreateConflicts(t *testing.T, s auth.Store) {
	first := newIdentity("first@example.com", t0)
	_, err := s.CreateIdentityIdempotent(ctx(t), first, newRecord("invitation", "k", first, t0))
	mustNoErr(t, "create first", err)

	// A live key refuses a second identity, which is then not stored.
	second := newIdentity("second@example.com", t0.Add(time.Minute))
	_, err = s.CreateIdentityIdempotent(ctx(t), second, newRecord("invitation", "k", second, t0.Add(time.Minute)))
	wantErr(t, "live key", err, auth.ErrConflict)
	_, err = s.GetIdentityByEmail(ctx(t), "second@example.com")
	wantErr(t, "identity of a refused key", err, auth.ErrNotFound)

	// A taken address refuses the record, which is then not stored.
	taken := newIdentity("FIRST@example.com", t0)
	_, err = s.CreateIdentityIdempotent(ctx(t), taken, newRecord("invitation", "k2", taken, t0))
	wantErr(t, "address in other case", err, auth.ErrConflict)
	_, err = s.GetIdempotencyRecord(ctx(t), "invitation", "k2", t0)
	wantErr(t, "record of a refused identity", err, auth.ErrNotFound)

	// An expired key makes way for a new request.
	later := t0.Add(auth.IdempotencyLifetime)
	third := newIdentity("third@example.com", later)
	rec := newRecord("invitation", "k", third, later)
	_, err = s.CreateIdentityIdempotent(ctx(t), third, rec)
	mustNoErr(t, "expired key", err)
	r, err := s.GetIdempotencyRecord(ctx(t), "invitation", "k", later)
	mustNoErr(t, "get replaced record", err)
	if r.ResourceID != third.ID || !r.CreatedAt.Equal(us(later)) {
		t.Errorf("got record (%s, %v), want (%s, %v)", r.ResourceID, r.CreatedAt, third.ID, us(later))
	}
}

func testIdempotentCreateInvalid(t *testing.T, s auth.Store) {
	for name, mutate := range map[string]func(*auth.IdempotencyRecord){
		"empty key":         func(r *auth.IdempotencyRecord) { r.Key = "" },
		"long key":          func(r *auth.IdempotencyRecord) { r.Key = strings.Repeat("k", auth.MaxIdempotencyKeyLen+1) },
		"control in key":    func(r *auth.IdempotencyRecord) { r.Key = "a\nb" },
		"non-ascii key":     func(r *auth.IdempotencyRecord) { r.Key = "clé" },
		"empty scope":       func(r *auth.IdempotencyRecord) { r.Scope = "" },
		"bad scope":         func(r *auth.IdempotencyRecord) { r.Scope = "a b" },
		"short fingerprint": func(r *auth.IdempotencyRecord) { r.Fingerprint = r.Fingerprint[:16] },
		"no resource":       func(r *auth.IdempotencyRecord) { r.ResourceID = "" },
		"zero time":         func(r *auth.IdempotencyRecord) { r.CreatedAt = time.Time{} },
		"expires at once":   func(r *auth.IdempotencyRecord) { r.ExpiresAt = r.CreatedAt },
	} {
		i := newIdentity("valid@example.com", t0)
		r := newRecord("invitation", "key", i, t0)
		mutate(&r)
		_, err := s.CreateIdentityIdempotent(ctx(t), i, r)
		wantErr(t, name, err, auth.ErrInvalid)
	}
	bad := newIdentity("not an address", t0)
	_, err := s.CreateIdentityIdempotent(ctx(t), bad, newRecord("invitation", "key", bad, t0))
	wantErr(t, "bad identity", err, auth.ErrInvalid)
	page, err := s.ListIdentities(ctx(t), auth.PageRequest{})
	mustNoErr(t, "list identities", err)
	if len(page.Items) != 0 {
		t.Errorf("got %d identities after invalid creates, want 0", len(page.Items))
	}
	_, err = s.GetIdempotencyRecord(ctx(t), "invitation", "key", t0)
	wantErr(t, "record after invalid creates", err, auth.ErrNotFound)
}

func testIdempotentCreateConcurrent(t *testing.T, s auth.Store) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for k := range n {
		wg.Go(func() {
			i := newIdentity(fmt.Sprintf("racer%d@example.com", k), t0)
			_, errs[k] = s.CreateIdentityIdempotent(ctx(t), i, newRecord("invitation", "same-key", i, t0))
		})
	}
	wg.Wait()
	wins := 0
	for k, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, auth.ErrConflict):
			t.Errorf("attempt %d: got error %v, want nil or %v", k, err, auth.ErrConflict)
		}
	}
	if wins != 1 {
		t.Errorf("got %d successful creates, want exactly 1", wins)
	}
	page, err := s.ListIdentities(ctx(t), auth.PageRequest{})
	mustNoErr(t, "list identities", err)
	if len(page.Items) != 1 {
		t.Errorf("got %d identities, want 1: the losers must leave none", len(page.Items))
	}
}

func testPruneIdempotencyRecords(t *testing.T, s auth.Store) {
	for n, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)} {
		i := newIdentity(fmt.Sprintf("prune%d@example.com", n), at)
		_, err := s.CreateIdentityIdempotent(ctx(t), i, newRecord("invitation", fmt.Sprint("key-", n), i, at))
		mustNoErr(t, "create", err)
	}
	got, err := s.PruneIdempotencyRecords(ctx(t), t0.Add(auth.IdempotencyLifetime+time.Hour))
	mustNoErr(t, "prune", err)
	if got != 2 {
		t.Errorf("prune: got %d deleted, want 2", got)
	}
	_, err = s.GetIdempotencyRecord(ctx(t), "invitation", "key-2", t0)
	mustNoErr(t, "get the live record", err)
	for _, key := range []string{"key-0", "key-1"} {
		_, err = s.GetIdempotencyRecord(ctx(t), "invitation", key, t0)
		wantErr(t, "get pruned record "+key, err, auth.ErrNotFound)
	}
	page, err := s.ListIdentities(ctx(t), auth.PageRequest{})
	mustNoErr(t, "list identities", err)
	if len(page.Items) != 3 {
		t.Errorf("got %d identities after prune, want 3: pruning keeps what the requests made", len(page.Items))
	}
}
