package authtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

func newSession(identityID string, at time.Time) (auth.Session, string) {
	token, hash := auth.GenerateToken()
	return auth.Session{
		ID:            auth.NewID(auth.SessionIDPrefix, at),
		IdentityID:    identityID,
		TokenHash:     hash,
		CreatedAt:     at,
		LastSeenAt:    at,
		ExpiresAt:     at.Add(24 * time.Hour),
		IdleExpiresAt: at.Add(time.Hour),
		UserAgent:     "Mozilla/5.0 (X11; Linux x86_64)",
		IP:            "2001:db8::7",
	}, token
}

func mustCreateSession(t *testing.T, s auth.Store, identityID string, at time.Time) auth.Session {
	t.Helper()
	ses, _ := newSession(identityID, at)
	got, err := s.CreateSession(ctx(t), ses)
	mustNoErr(t, "create session", err)
	return got
}

func mustGetSession(t *testing.T, s auth.Store, hash []byte) auth.Session {
	t.Helper()
	got, err := s.GetSessionByTokenHash(ctx(t), hash)
	mustNoErr(t, "get session", err)
	return got
}

func testSessionCreateGet(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "ses@example.com", t0)
	in, token := newSession(id.ID, t0)
	got, err := s.CreateSession(ctx(t), in)
	mustNoErr(t, "create session", err)

	want := in
	want.CreatedAt, want.LastSeenAt = us(in.CreatedAt), us(in.LastSeenAt)
	want.ExpiresAt, want.IdleExpiresAt = us(in.ExpiresAt), us(in.IdleExpiresAt)
	wantEqual(t, "created session", got, want)

	hash, err := auth.HashToken(token)
	mustNoErr(t, "hash token", err)
	wantEqual(t, "session by token hash", mustGetSession(t, s, hash), want)
	if !want.Active(t0.Add(time.Minute)) {
		t.Error("new session: got Active false, want true")
	}

	_, other := auth.GenerateToken()
	_, err = s.GetSessionByTokenHash(ctx(t), other)
	wantErr(t, "unknown token hash", err, auth.ErrNotFound)
}

func testSessionCreateErrors(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "seserr@example.com", t0)
	first := mustCreateSession(t, s, id.ID, t0)

	dupHash, _ := newSession(id.ID, t0)
	dupHash.TokenHash = first.TokenHash
	_, err := s.CreateSession(ctx(t), dupHash)
	wantErr(t, "duplicate token hash", err, auth.ErrConflict)

	dupID, _ := newSession(id.ID, t0)
	dupID.ID = first.ID
	_, err = s.CreateSession(ctx(t), dupID)
	wantErr(t, "duplicate id", err, auth.ErrConflict)

	orphan, _ := newSession(auth.NewID(auth.IdentityIDPrefix, t0), t0)
	_, err = s.CreateSession(ctx(t), orphan)
	wantErr(t, "unknown identity", err, auth.ErrNotFound)

	for name, mutate := range map[string]func(*auth.Session){
		"short hash":          func(x *auth.Session) { x.TokenHash = x.TokenHash[:16] },
		"idle after absolute": func(x *auth.Session) { x.IdleExpiresAt = x.ExpiresAt.Add(time.Second) },
		"expires at creation": func(x *auth.Session) { x.ExpiresAt = x.CreatedAt },
		"long user agent":     func(x *auth.Session) { x.UserAgent = strings.Repeat("a", auth.MaxUserAgentLen+1) },
		"bad ip":              func(x *auth.Session) { x.IP = "10.0.0.300" },
		"already revoked":     func(x *auth.Session) { x.RevokedAt = ptr(t0) },
		"bad identity id":     func(x *auth.Session) { x.IdentityID = "nobody" },
	} {
		x, _ := newSession(id.ID, t0)
		mutate(&x)
		_, err := s.CreateSession(ctx(t), x)
		wantErr(t, name, err, auth.ErrInvalid)
	}
}

func testTouchSession(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "touch@example.com", t0)
	ses := mustCreateSession(t, s, id.ID, t0)

	seen := t0.Add(10 * time.Minute)
	mustNoErr(t, "touch", s.TouchSession(ctx(t), ses.ID, seen, seen.Add(time.Hour)))
	got := mustGetSession(t, s, ses.TokenHash)
	if !got.LastSeenAt.Equal(us(seen)) || !got.IdleExpiresAt.Equal(us(seen.Add(time.Hour))) {
		t.Errorf("after touch: got (last seen %v, idle expiry %v), want (%v, %v)", got.LastSeenAt, got.IdleExpiresAt, us(seen), us(seen.Add(time.Hour)))
	}

	// A touch that arrives late must not move LastSeenAt backwards.
	mustNoErr(t, "late touch", s.TouchSession(ctx(t), ses.ID, t0.Add(time.Minute), seen.Add(time.Hour)))
	if got := mustGetSession(t, s, ses.TokenHash); !got.LastSeenAt.Equal(us(seen)) {
		t.Errorf("after late touch: got last seen %v, want %v", got.LastSeenAt, us(seen))
	}

	// The idle expiry never passes the absolute one.
	mustNoErr(t, "touch beyond expiry", s.TouchSession(ctx(t), ses.ID, seen, ses.ExpiresAt.Add(time.Hour)))
	if got := mustGetSession(t, s, ses.TokenHash); !got.IdleExpiresAt.Equal(ses.ExpiresAt) {
		t.Errorf("touch beyond expiry: got idle expiry %v, want the absolute expiry %v", got.IdleExpiresAt, ses.ExpiresAt)
	}

	wantErr(t, "touch unknown", s.TouchSession(ctx(t), auth.NewID(auth.SessionIDPrefix, t0), seen, seen), auth.ErrNotFound)

	idle := mustCreateSession(t, s, id.ID, t0)
	wantErr(t, "touch after idle expiry", s.TouchSession(ctx(t), idle.ID, idle.IdleExpiresAt.Add(time.Second), idle.ExpiresAt), auth.ErrNotFound)

	mustNoErr(t, "revoke", s.RevokeSession(ctx(t), ses.ID, seen))
	wantErr(t, "touch revoked", s.TouchSession(ctx(t), ses.ID, seen, seen.Add(time.Hour)), auth.ErrNotFound)
}

func testRevokeSession(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "revoke@example.com", t0)
	ses := mustCreateSession(t, s, id.ID, t0)
	other := mustCreateSession(t, s, id.ID, t0)

	first := t0.Add(time.Minute)
	mustNoErr(t, "revoke", s.RevokeSession(ctx(t), ses.ID, first))
	mustNoErr(t, "revoke again", s.RevokeSession(ctx(t), ses.ID, first.Add(time.Hour)))
	got := mustGetSession(t, s, ses.TokenHash)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(us(first)) {
		t.Errorf("got revoked at %v, want %v (the first revocation)", got.RevokedAt, us(first))
	}
	if got.Active(first.Add(time.Second)) {
		t.Error("revoked session: got Active true, want false")
	}
	if o := mustGetSession(t, s, other.TokenHash); o.RevokedAt != nil {
		t.Errorf("other session: got revoked at %v, want nil", o.RevokedAt)
	}
	wantErr(t, "revoke unknown", s.RevokeSession(ctx(t), auth.NewID(auth.SessionIDPrefix, t0), first), auth.ErrNotFound)
}

func testRevokeIdentitySessions(t *testing.T, s auth.Store) {
	a := mustCreateIdentity(t, s, "a@example.com", t0)
	b := mustCreateIdentity(t, s, "b@example.com", t0)
	a1, a2, a3 := mustCreateSession(t, s, a.ID, t0), mustCreateSession(t, s, a.ID, t0), mustCreateSession(t, s, a.ID, t0)
	b1 := mustCreateSession(t, s, b.ID, t0)
	early := t0.Add(time.Minute)
	mustNoErr(t, "revoke one", s.RevokeSession(ctx(t), a3.ID, early))

	n, err := s.RevokeIdentitySessions(ctx(t), a.ID, early.Add(time.Minute))
	mustNoErr(t, "revoke all", err)
	if n != 2 {
		t.Errorf("got %d sessions revoked, want 2", n)
	}
	for _, ses := range []auth.Session{a1, a2} {
		if got := mustGetSession(t, s, ses.TokenHash); got.RevokedAt == nil || !got.RevokedAt.Equal(us(early.Add(time.Minute))) {
			t.Errorf("session %s: got revoked at %v, want %v", ses.ID, got.RevokedAt, us(early.Add(time.Minute)))
		}
	}
	if got := mustGetSession(t, s, a3.TokenHash); got.RevokedAt == nil || !got.RevokedAt.Equal(us(early)) {
		t.Errorf("already revoked session: got revoked at %v, want %v", got.RevokedAt, us(early))
	}
	if got := mustGetSession(t, s, b1.TokenHash); got.RevokedAt != nil {
		t.Errorf("other identity's session: got revoked at %v, want nil", got.RevokedAt)
	}
	n, err = s.RevokeIdentitySessions(ctx(t), a.ID, early.Add(time.Hour))
	mustNoErr(t, "revoke all again", err)
	if n != 0 {
		t.Errorf("second revoke all: got %d revoked, want 0", n)
	}
}

func testListActiveSessions(t *testing.T, s auth.Store) {
	a := mustCreateIdentity(t, s, "list@example.com", t0)
	b := mustCreateIdentity(t, s, "other@example.com", t0)
	now := t0.Add(30 * time.Minute)

	want := map[string]bool{}
	for n := range 7 {
		at := t0 // equal creation times across page boundaries
		if n >= 4 {
			at = t0.Add(time.Duration(n) * time.Second)
		}
		want[mustCreateSession(t, s, a.ID, at).ID] = true
	}
	revoked := mustCreateSession(t, s, a.ID, t0)
	mustNoErr(t, "revoke", s.RevokeSession(ctx(t), revoked.ID, t0))
	idle, _ := newSession(a.ID, t0)
	idle.IdleExpiresAt = now
	_, err := s.CreateSession(ctx(t), idle)
	mustNoErr(t, "create idle session", err)
	expired, _ := newSession(a.ID, t0.Add(-48*time.Hour))
	_, err = s.CreateSession(ctx(t), expired)
	mustNoErr(t, "create expired session", err)
	mustCreateSession(t, s, b.ID, t0)

	for _, limit := range []int{1, 2, 3, 7, 20} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			all := collect(t, limit, func(r auth.PageRequest) (auth.Page[auth.Session], error) {
				return s.ListActiveSessions(ctx(t), a.ID, now, r)
			})
			keys := make([]auth.Cursor, len(all))
			seen := map[string]bool{}
			for i, ses := range all {
				keys[i] = auth.Cursor{At: ses.CreatedAt, ID: ses.ID}
				if !want[ses.ID] || seen[ses.ID] {
					t.Errorf("session %s listed twice or not active", ses.ID)
				}
				seen[ses.ID] = true
			}
			if len(seen) != len(want) {
				t.Errorf("got %d active sessions, want %d", len(seen), len(want))
			}
			wantNewestFirst(t, "sessions", keys)
		})
	}
}

func testGetSession(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "getses@example.com", t0)
	ses := mustCreateSession(t, s, id.ID, t0)
	got, err := s.GetSession(ctx(t), ses.ID)
	mustNoErr(t, "get session", err)
	wantEqual(t, "session by id", got, ses)
	_, err = s.GetSession(ctx(t), auth.NewID(auth.SessionIDPrefix, t0))
	wantErr(t, "unknown session", err, auth.ErrNotFound)
}

func testGetActiveSession(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "active@example.com", t0)
	ses := mustCreateSession(t, s, id.ID, t0)
	now := t0.Add(time.Minute)

	got, err := s.GetActiveSession(ctx(t), ses.ID, now)
	mustNoErr(t, "get active session", err)
	wantEqual(t, "active session", got, ses)
	_, err = s.GetActiveSession(ctx(t), auth.NewID(auth.SessionIDPrefix, t0), now)
	wantErr(t, "unknown session", err, auth.ErrNotFound)

	// The bounds are those of Session.Active: active strictly before each
	// expiry.
	lastIdle := ses.IdleExpiresAt.Add(-time.Microsecond)
	_, err = s.GetActiveSession(ctx(t), ses.ID, lastIdle)
	mustNoErr(t, "a microsecond before the idle expiry", err)
	_, err = s.GetActiveSession(ctx(t), ses.ID, ses.IdleExpiresAt)
	wantErr(t, "at the idle expiry", err, auth.ErrNotFound)
	mustNoErr(t, "touch", s.TouchSession(ctx(t), ses.ID, now, ses.ExpiresAt))
	_, err = s.GetActiveSession(ctx(t), ses.ID, ses.ExpiresAt.Add(-time.Microsecond))
	mustNoErr(t, "touched, a microsecond before the absolute expiry", err)
	_, err = s.GetActiveSession(ctx(t), ses.ID, ses.ExpiresAt)
	wantErr(t, "at the absolute expiry", err, auth.ErrNotFound)

	mustNoErr(t, "revoke", s.RevokeSession(ctx(t), ses.ID, now))
	_, err = s.GetActiveSession(ctx(t), ses.ID, now)
	wantErr(t, "revoked session", err, auth.ErrNotFound)

	other := mustCreateSession(t, s, id.ID, t0)
	mustNoErr(t, "disable identity", s.SetIdentityStatus(ctx(t), id.ID, auth.StatusDisabled, now))
	_, err = s.GetActiveSession(ctx(t), other.ID, now)
	wantErr(t, "session of a disabled identity", err, auth.ErrNotFound)
	mustNoErr(t, "enable identity", s.SetIdentityStatus(ctx(t), id.ID, auth.StatusActive, now))
	_, err = s.GetActiveSession(ctx(t), other.ID, now)
	mustNoErr(t, "session of a re-enabled identity", err)
}
