package authtest

import (
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// newReset returns a reset request made at at for identityID ("" for an
// unknown address), with its token hash.
func newReset(identityID, account, ip string, at time.Time) auth.PasswordReset {
	_, hash := auth.GenerateToken()
	return auth.PasswordReset{ID: auth.NewID(auth.PasswordResetIDPrefix, at), IdentityID: identityID, Account: account, IP: ip,
		TokenHash: hash, CreatedAt: at, ExpiresAt: at.Add(30 * time.Minute)}
}

func mustCreateReset(t *testing.T, s auth.Store, r auth.PasswordReset) auth.PasswordReset {
	t.Helper()
	got, err := s.CreatePasswordReset(ctx(t), r)
	mustNoErr(t, "create password reset", err)
	return got
}

const newHash = "$argon2id$v=19$m=512,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"

func testPasswordResets(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "reset@example.com", t0)
	in := newReset(id.ID, "reset@example.com", "192.0.2.1", t0)
	got, err := s.CreatePasswordReset(ctx(t), in)
	mustNoErr(t, "create", err)
	want := in
	want.CreatedAt, want.ExpiresAt = us(in.CreatedAt), us(in.ExpiresAt)
	wantEqual(t, "created reset", got, want)
	_, err = s.CreatePasswordReset(ctx(t), in)
	wantErr(t, "duplicate", err, auth.ErrConflict)
	orphan := newReset(auth.NewID(auth.IdentityIDPrefix, t0), "x@example.com", "", t0)
	_, err = s.CreatePasswordReset(ctx(t), orphan)
	wantErr(t, "unknown identity", err, auth.ErrNotFound)
	for name, r := range map[string]auth.PasswordReset{
		"no account": newReset(id.ID, "", "", t0),
		"bad ip":     newReset(id.ID, "a@example.com", "not an ip", t0),
		"bad id":     func() auth.PasswordReset { r := newReset(id.ID, "a@example.com", "", t0); r.ID = "x"; return r }(),
	} {
		_, err := s.CreatePasswordReset(ctx(t), r)
		wantErr(t, name, err, auth.ErrInvalid)
	}
	// A request for an address no identity has is stored, and its code
	// never works.
	unknown := mustCreateReset(t, s, newReset("", "nobody@example.com", "192.0.2.1", t0))
	_, err = s.CompletePasswordReset(ctx(t), unknown.TokenHash, newHash, t0.Add(time.Minute))
	wantErr(t, "complete an unknown address's code", err, auth.ErrNotFound)

	_, err = s.CompletePasswordReset(ctx(t), in.TokenHash, newHash, in.ExpiresAt)
	wantErr(t, "complete at expiry", err, auth.ErrNotFound)
	used, err := s.CompletePasswordReset(ctx(t), in.TokenHash, newHash, t0.Add(time.Minute))
	mustNoErr(t, "complete", err)
	want.UsedAt = ptr(us(t0.Add(time.Minute)))
	wantEqual(t, "used reset", used, want)
	_, err = s.CompletePasswordReset(ctx(t), in.TokenHash, newHash, t0.Add(2*time.Minute))
	wantErr(t, "complete twice", err, auth.ErrNotFound)
	got2, err := s.GetIdentity(ctx(t), id.ID)
	mustNoErr(t, "get identity", err)
	if got2.PasswordHash != newHash || !got2.UpdatedAt.Equal(us(t0.Add(time.Minute))) {
		t.Errorf("got hash %q updated %v, want the new hash at %v", got2.PasswordHash, got2.UpdatedAt, us(t0.Add(time.Minute)))
	}
	_, err = s.CompletePasswordReset(ctx(t), in.TokenHash, string(make([]byte, auth.MaxPasswordHashLen+1)), t0.Add(time.Minute))
	wantErr(t, "hash too long", err, auth.ErrInvalid)
}

// testCompletePasswordResetBurnsAndSignsOut: completing one code spends
// the identity's other codes (not another identity's) and revokes all its
// sessions.
func testCompletePasswordResetBurnsAndSignsOut(t *testing.T, s auth.Store) {
	a := mustCreateIdentity(t, s, "a@example.com", t0)
	b := mustCreateIdentity(t, s, "b@example.com", t0)
	a1 := mustCreateReset(t, s, newReset(a.ID, "a@example.com", "", t0))
	a2 := mustCreateReset(t, s, newReset(a.ID, "a@example.com", "", t0))
	b1 := mustCreateReset(t, s, newReset(b.ID, "b@example.com", "", t0))
	sa := mustCreateSession(t, s, a.ID, t0)
	sb := mustCreateSession(t, s, b.ID, t0)
	at := t0.Add(time.Minute)
	_, err := s.CompletePasswordReset(ctx(t), a1.TokenHash, newHash, at)
	mustNoErr(t, "complete", err)
	_, err = s.CompletePasswordReset(ctx(t), a2.TokenHash, newHash, at.Add(time.Second))
	wantErr(t, "the identity's other code", err, auth.ErrNotFound)
	if got := mustGetSession(t, s, sa.TokenHash); got.RevokedAt == nil || !got.RevokedAt.Equal(us(at)) {
		t.Errorf("session: got revoked at %v, want %v", got.RevokedAt, us(at))
	}
	if got := mustGetSession(t, s, sb.TokenHash); got.RevokedAt != nil {
		t.Errorf("other identity's session: got revoked at %v, want nil", got.RevokedAt)
	}
	_, err = s.CompletePasswordReset(ctx(t), b1.TokenHash, newHash, at)
	mustNoErr(t, "other identity's code", err)
}

// testCompletePasswordResetRefusesDisabled: a code of a disabled identity
// never works, and a suppressed code never does.
func testCompletePasswordResetRefusesDisabled(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "d@example.com", t0)
	r := mustCreateReset(t, s, newReset(id.ID, "d@example.com", "", t0))
	mustNoErr(t, "disable", s.SetIdentityStatus(ctx(t), id.ID, auth.StatusDisabled, t0))
	_, err := s.CompletePasswordReset(ctx(t), r.TokenHash, newHash, t0.Add(time.Minute))
	wantErr(t, "disabled identity", err, auth.ErrNotFound)
	got, err := s.GetIdentity(ctx(t), id.ID)
	mustNoErr(t, "get identity", err)
	if got.PasswordHash == newHash {
		t.Error("a disabled identity's password was changed")
	}
	mustNoErr(t, "enable", s.SetIdentityStatus(ctx(t), id.ID, auth.StatusActive, t0))
	_, err = s.CompletePasswordReset(ctx(t), r.TokenHash, newHash, t0.Add(time.Minute))
	mustNoErr(t, "the refused code was not spent", err)

	sup := newReset(id.ID, "d@example.com", "", t0)
	sup.Suppressed = true
	mustCreateReset(t, s, sup)
	_, err = s.CompletePasswordReset(ctx(t), sup.TokenHash, newHash, t0.Add(time.Minute))
	wantErr(t, "suppressed code", err, auth.ErrNotFound)
}

// testCompletePasswordResetConcurrent: of concurrent uses of one code,
// exactly one succeeds.
func testCompletePasswordResetConcurrent(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "c@example.com", t0)
	r := mustCreateReset(t, s, newReset(id.ID, "c@example.com", "", t0))
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := s.CompletePasswordReset(ctx(t), r.TokenHash, newHash, t0.Add(time.Minute))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		default:
			wantErr(t, "a losing use", err, auth.ErrNotFound)
		}
	}
	if ok != 1 {
		t.Errorf("got %d successful uses, want 1", ok)
	}
}

func testBurnPasswordResets(t *testing.T, s auth.Store) {
	a := mustCreateIdentity(t, s, "a@example.com", t0)
	b := mustCreateIdentity(t, s, "b@example.com", t0)
	a1 := mustCreateReset(t, s, newReset(a.ID, "a@example.com", "", t0))
	a2 := mustCreateReset(t, s, newReset(a.ID, "a@example.com", "", t0))
	b1 := mustCreateReset(t, s, newReset(b.ID, "b@example.com", "", t0))
	n, err := s.BurnPasswordResets(ctx(t), a.ID, t0.Add(time.Minute))
	mustNoErr(t, "burn", err)
	if n != 2 {
		t.Errorf("got %d burnt, want 2", n)
	}
	for _, r := range []auth.PasswordReset{a1, a2} {
		_, err := s.CompletePasswordReset(ctx(t), r.TokenHash, newHash, t0.Add(2*time.Minute))
		wantErr(t, "burnt code", err, auth.ErrNotFound)
	}
	_, err = s.CompletePasswordReset(ctx(t), b1.TokenHash, newHash, t0.Add(2*time.Minute))
	mustNoErr(t, "other identity's code", err)
	n, err = s.BurnPasswordResets(ctx(t), a.ID, t0.Add(3*time.Minute))
	mustNoErr(t, "burn again", err)
	if n != 0 {
		t.Errorf("burn again: got %d, want 0", n)
	}
}

func testPasswordResetStatsAndPrune(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "a@example.com", t0)
	const ip, other = "192.0.2.1", "198.51.100.2"
	mustCreateReset(t, s, newReset(id.ID, "a@example.com", ip, t0))
	mustCreateReset(t, s, newReset("", "a@example.com", other, t0.Add(time.Minute)))
	sup := newReset(id.ID, "a@example.com", ip, t0.Add(2*time.Minute))
	sup.Suppressed = true
	mustCreateReset(t, s, sup)
	mustCreateReset(t, s, newReset("", "b@example.com", ip, t0.Add(3*time.Minute)))

	st, err := s.PasswordResetStats(ctx(t), "a@example.com", ip, t0)
	mustNoErr(t, "stats", err)
	wantEqual(t, "stats", st, auth.PasswordResetStats{Account: 2, IP: 3, IPOldest: us(t0)})
	st, err = s.PasswordResetStats(ctx(t), "a@example.com", ip, t0.Add(time.Minute))
	mustNoErr(t, "stats later", err)
	wantEqual(t, "stats later", st, auth.PasswordResetStats{Account: 1, IP: 2, IPOldest: us(t0.Add(2 * time.Minute))})
	st, err = s.PasswordResetStats(ctx(t), "c@example.com", "203.0.113.9", t0)
	mustNoErr(t, "stats of nothing", err)
	wantEqual(t, "stats of nothing", st, auth.PasswordResetStats{})

	n, err := s.PrunePasswordResets(ctx(t), t0.Add(2*time.Minute))
	mustNoErr(t, "prune", err)
	if n != 2 {
		t.Errorf("got %d pruned, want 2", n)
	}
	st, err = s.PasswordResetStats(ctx(t), "a@example.com", ip, t0)
	mustNoErr(t, "stats after prune", err)
	wantEqual(t, "stats after prune", st, auth.PasswordResetStats{Account: 0, IP: 2, IPOldest: us(t0.Add(2 * time.Minute))})
}
