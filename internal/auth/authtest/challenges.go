package authtest

import (
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

func newChallenge(identityID string, at time.Time) auth.LoginChallenge {
	_, hash := auth.GenerateToken()
	return auth.LoginChallenge{
		ID: auth.NewID(auth.LoginChallengeIDPrefix, at), IdentityID: identityID, TokenHash: hash,
		IP: "192.0.2.4", UserAgent: "curl/8", CreatedAt: at, ExpiresAt: at.Add(5 * time.Minute),
	}
}

func testLoginChallenges(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "chl@example.com", t0)
	in := newChallenge(id.ID, t0)
	got, err := s.CreateLoginChallenge(ctx(t), in)
	mustNoErr(t, "create challenge", err)
	want := in
	want.CreatedAt, want.ExpiresAt = us(in.CreatedAt), us(in.ExpiresAt)
	wantEqual(t, "created challenge", got, want)
	read, err := s.GetLoginChallenge(ctx(t), in.TokenHash)
	mustNoErr(t, "get challenge", err)
	wantEqual(t, "read challenge", read, want)

	_, err = s.CreateLoginChallenge(ctx(t), in)
	wantErr(t, "duplicate challenge", err, auth.ErrConflict)
	_, err = s.CreateLoginChallenge(ctx(t), newChallenge(auth.NewID(auth.IdentityIDPrefix, t0), t0))
	wantErr(t, "challenge of unknown identity", err, auth.ErrNotFound)
	bad := newChallenge(id.ID, t0)
	bad.ExpiresAt = bad.CreatedAt
	_, err = s.CreateLoginChallenge(ctx(t), bad)
	wantErr(t, "challenge expiring at creation", err, auth.ErrInvalid)

	for want := 1; want <= 2; want++ {
		n, err := s.FailLoginChallenge(ctx(t), in.ID)
		mustNoErr(t, "fail challenge", err)
		if n != want {
			t.Errorf("fail challenge: got %d attempts, want %d", n, want)
		}
	}
	wantErr(t, "use after expiry", s.UseLoginChallenge(ctx(t), in.ID, in.ExpiresAt), auth.ErrNotFound)
	mustNoErr(t, "use", s.UseLoginChallenge(ctx(t), in.ID, t0.Add(time.Minute)))
	wantErr(t, "use twice", s.UseLoginChallenge(ctx(t), in.ID, t0.Add(time.Minute)), auth.ErrNotFound)
	_, err = s.FailLoginChallenge(ctx(t), in.ID)
	wantErr(t, "fail used challenge", err, auth.ErrNotFound)
	read, err = s.GetLoginChallenge(ctx(t), in.TokenHash)
	mustNoErr(t, "get used challenge", err)
	if read.UsedAt == nil || !read.UsedAt.Equal(us(t0.Add(time.Minute))) || read.Attempts != 2 {
		t.Errorf("used challenge: got (used %v, attempts %d), want (%v, 2)", read.UsedAt, read.Attempts, us(t0.Add(time.Minute)))
	}
	_, other := auth.GenerateToken()
	_, err = s.GetLoginChallenge(ctx(t), other)
	wantErr(t, "unknown challenge", err, auth.ErrNotFound)
}
