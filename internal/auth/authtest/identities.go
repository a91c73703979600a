package authtest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

func testIdentityCreateGet(t *testing.T, s auth.Store) {
	in := newIdentity("Ada.Lovelace@Example.COM", t0)
	in.EmailNorm = "ignored@example.com"
	got, err := s.CreateIdentity(ctx(t), in)
	mustNoErr(t, "create identity", err)

	want := in
	want.EmailNorm = "ada.lovelace@example.com"
	want.CreatedAt, want.UpdatedAt = us(t0), us(t0)
	wantEqual(t, "created identity", got, want)

	byID, err := s.GetIdentity(ctx(t), in.ID)
	mustNoErr(t, "get identity", err)
	wantEqual(t, "identity by id", byID, want)

	for _, email := range []string{"ada.lovelace@example.com", "ADA.LOVELACE@EXAMPLE.COM", " Ada.Lovelace@Example.COM "} {
		byEmail, err := s.GetIdentityByEmail(ctx(t), email)
		mustNoErr(t, "get identity by email "+email, err)
		wantEqual(t, "identity by email "+email, byEmail, want)
	}

	_, err = s.GetIdentity(ctx(t), auth.NewID(auth.IdentityIDPrefix, t0))
	wantErr(t, "get unknown identity", err, auth.ErrNotFound)
	_, err = s.GetIdentityByEmail(ctx(t), "grace@example.com")
	wantErr(t, "get unknown email", err, auth.ErrNotFound)
}

func testIdentityConflicts(t *testing.T, s auth.Store) {
	first := mustCreateIdentity(t, s, "Ann@Example.com", t0)

	_, err := s.CreateIdentity(ctx(t), newIdentity("ann@example.COM", t0))
	wantErr(t, "same email in other case", err, auth.ErrConflict)

	sameID := newIdentity("bob@example.com", t0)
	sameID.ID = first.ID
	_, err = s.CreateIdentity(ctx(t), sameID)
	wantErr(t, "same id", err, auth.ErrConflict)

	got, err := s.GetIdentityByEmail(ctx(t), "ANN@example.com")
	mustNoErr(t, "get first identity", err)
	if got.ID != first.ID || got.Email != "Ann@Example.com" {
		t.Errorf("got identity (%s, %s) after conflicts, want the first (%s, Ann@Example.com)", got.ID, got.Email, first.ID)
	}
}

func testIdentityInvalid(t *testing.T, s auth.Store) {
	for name, mutate := range map[string]func(*auth.Identity){
		"bad email":          func(i *auth.Identity) { i.Email = "not an address" },
		"display name email": func(i *auth.Identity) { i.Email = "Ada <ada@example.com>" },
		"long email":         func(i *auth.Identity) { i.Email = strings.Repeat("a", 250) + "@example.com" },
		"bad status":         func(i *auth.Identity) { i.Status = "locked" },
		"bad id":             func(i *auth.Identity) { i.ID = "ses_" + i.ID[4:] },
		"zero time":          func(i *auth.Identity) { i.CreatedAt = time.Time{} },
		"long hash":          func(i *auth.Identity) { i.PasswordHash = strings.Repeat("x", auth.MaxPasswordHashLen+1) },
	} {
		i := newIdentity("valid@example.com", t0)
		mutate(&i)
		_, err := s.CreateIdentity(ctx(t), i)
		wantErr(t, name, err, auth.ErrInvalid)
	}
	page, err := s.ListIdentities(ctx(t), auth.PageRequest{})
	mustNoErr(t, "list identities", err)
	if len(page.Items) != 0 {
		t.Errorf("got %d identities after invalid creates, want 0", len(page.Items))
	}
}

func testUpdatePasswordHash(t *testing.T, s auth.Store) {
	i := mustCreateIdentity(t, s, "pw@example.com", t0)
	later := t0.Add(time.Hour)
	mustNoErr(t, "update password hash", s.UpdatePasswordHash(ctx(t), i.ID, "$argon2id$new", later))
	got, err := s.GetIdentity(ctx(t), i.ID)
	mustNoErr(t, "get identity", err)
	if got.PasswordHash != "$argon2id$new" || !got.UpdatedAt.Equal(us(later)) || !got.CreatedAt.Equal(us(t0)) {
		t.Errorf("got (hash %q, updated %v, created %v), want (\"$argon2id$new\", %v, %v)",
			got.PasswordHash, got.UpdatedAt, got.CreatedAt, us(later), us(t0))
	}
	wantErr(t, "unknown identity", s.UpdatePasswordHash(ctx(t), auth.NewID(auth.IdentityIDPrefix, t0), "$x", later), auth.ErrNotFound)
	wantErr(t, "long hash", s.UpdatePasswordHash(ctx(t), i.ID, strings.Repeat("x", auth.MaxPasswordHashLen+1), later), auth.ErrInvalid)
}

func testSetIdentityStatus(t *testing.T, s auth.Store) {
	i := mustCreateIdentity(t, s, "status@example.com", t0)
	later := t0.Add(time.Minute)
	mustNoErr(t, "disable", s.SetIdentityStatus(ctx(t), i.ID, auth.StatusDisabled, later))
	got, err := s.GetIdentity(ctx(t), i.ID)
	mustNoErr(t, "get identity", err)
	if got.Status != auth.StatusDisabled || !got.UpdatedAt.Equal(us(later)) {
		t.Errorf("got (status %s, updated %v), want (disabled, %v)", got.Status, got.UpdatedAt, us(later))
	}
	wantErr(t, "unknown status", s.SetIdentityStatus(ctx(t), i.ID, "frozen", later), auth.ErrInvalid)
	wantErr(t, "unknown identity", s.SetIdentityStatus(ctx(t), auth.NewID(auth.IdentityIDPrefix, t0), auth.StatusActive, later), auth.ErrNotFound)
}

func testListIdentities(t *testing.T, s auth.Store) {
	// Seven identities share one timestamp, so page boundaries fall
	// inside a run of equal times and only the ID orders them.
	want := map[string]bool{}
	for n := range 12 {
		at := t0
		if n >= 7 {
			at = t0.Add(time.Duration(n) * time.Second)
		}
		want[mustCreateIdentity(t, s, fmt.Sprintf("user%02d@example.com", n), at).ID] = true
	}
	for _, limit := range []int{1, 3, 5, 12, 50} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			all := collect(t, limit, func(r auth.PageRequest) (auth.Page[auth.Identity], error) { return s.ListIdentities(ctx(t), r) })
			keys := make([]auth.Cursor, len(all))
			seen := map[string]bool{}
			for i, id := range all {
				keys[i] = auth.Cursor{At: id.CreatedAt, ID: id.ID}
				if seen[id.ID] || !want[id.ID] {
					t.Errorf("identity %s listed twice or unexpected", id.ID)
				}
				seen[id.ID] = true
			}
			if len(seen) != len(want) {
				t.Errorf("got %d distinct identities, want %d", len(seen), len(want))
			}
			wantNewestFirst(t, "identities", keys)
		})
	}
}

func testConcurrentCreateSameEmail(t *testing.T, s auth.Store) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for k := range n {
		wg.Go(func() {
			// Every attempt spells the address differently.
			email := "race@example.com"
			if k%2 == 1 {
				email = strings.ToUpper(email[:k]) + email[k:]
			}
			_, errs[k] = s.CreateIdentity(ctx(t), newIdentity(email, t0))
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
}

func testPageRequestInvalid(t *testing.T, s auth.Store) {
	i := mustCreateIdentity(t, s, "page@example.com", t0)
	sessionCursor := auth.Cursor{At: t0, ID: auth.NewID(auth.SessionIDPrefix, t0)}.String()
	for name, req := range map[string]auth.PageRequest{
		"negative limit":       {Limit: -1},
		"limit above max":      {Limit: auth.MaxPageLimit + 1},
		"garbage cursor":       {Cursor: "not a cursor"},
		"cursor of other list": {Cursor: sessionCursor},
	} {
		_, err := s.ListIdentities(ctx(t), req)
		wantErr(t, "identities, "+name, err, auth.ErrInvalid)
		_, err = s.ListAPIKeys(ctx(t), "org_a", req)
		wantErr(t, "api keys, "+name, err, auth.ErrInvalid)
		_, err = s.ListAuditEvents(ctx(t), "org_a", req)
		wantErr(t, "audit events, "+name, err, auth.ErrInvalid)
		if name != "cursor of other list" {
			_, err = s.ListActiveSessions(ctx(t), i.ID, t0, req)
			wantErr(t, "sessions, "+name, err, auth.ErrInvalid)
		}
	}
}
