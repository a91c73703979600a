package authtest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

func newRefreshToken(clientID string, at time.Time) auth.RefreshToken {
	_, hash := auth.GenerateToken()
	id := auth.NewID(auth.RefreshTokenIDPrefix, at)
	return auth.RefreshToken{
		ID: id, FamilyID: id, ClientID: clientID, Subject: clientID, Scopes: []string{"analytics:read"},
		Audiences: []string{"https://api.example.com/a", "portico-api"}, TokenHash: hash, CreatedAt: at, ExpiresAt: at.Add(24 * time.Hour),
	}
}

func successor(prev auth.RefreshToken, at time.Time) auth.RefreshToken {
	next := newRefreshToken(prev.ClientID, at)
	next.FamilyID = prev.FamilyID
	return next
}

func testRefreshTokens(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "rt@example.com", t0)
	c := mustCreateClient(t, s, "org_acme", id.ID, t0)
	first := newRefreshToken(c.ID, t0)
	got, err := s.CreateRefreshToken(ctx(t), first)
	mustNoErr(t, "create", err)
	want := first
	want.CreatedAt, want.ExpiresAt = us(first.CreatedAt), us(first.ExpiresAt)
	wantEqual(t, "created", got, want)
	read, err := s.GetRefreshToken(ctx(t), first.TokenHash)
	mustNoErr(t, "get", err)
	wantEqual(t, "read", read, want)

	_, err = s.CreateRefreshToken(ctx(t), newRefreshToken(auth.NewID(auth.ClientIDPrefix, t0), t0))
	wantErr(t, "unknown client", err, auth.ErrNotFound)
	bad := newRefreshToken(c.ID, t0)
	bad.UsedAt = ptr(t0)
	_, err = s.CreateRefreshToken(ctx(t), bad)
	wantErr(t, "already used", err, auth.ErrInvalid)

	nonce := []byte("0123456789abcdef0123456789abcdef")
	second := successor(first, t0.Add(time.Minute))
	mustNoErr(t, "rotate", s.RotateRefreshToken(ctx(t), first.ID, nonce, second))
	read, err = s.GetRefreshToken(ctx(t), first.TokenHash)
	mustNoErr(t, "get used", err)
	if read.UsedAt == nil || !read.UsedAt.Equal(us(second.CreatedAt)) || string(read.SuccessorNonce) != string(nonce) {
		t.Errorf("used token: got (used %v, nonce %q), want (%v, %q)", read.UsedAt, read.SuccessorNonce, us(second.CreatedAt), nonce)
	}
	_, err = s.GetRefreshToken(ctx(t), second.TokenHash)
	mustNoErr(t, "get successor", err)

	err = s.RotateRefreshToken(ctx(t), first.ID, nonce, successor(first, t0.Add(2*time.Minute)))
	wantErr(t, "rotate used token", err, auth.ErrConflict)
	err = s.RotateRefreshToken(ctx(t), auth.NewID(auth.RefreshTokenIDPrefix, t0), nonce, successor(first, t0))
	wantErr(t, "rotate unknown token", err, auth.ErrNotFound)

	// Of concurrent rotations of one token, exactly one wins.
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for k := range n {
		wg.Go(func() {
			errs[k] = s.RotateRefreshToken(ctx(t), second.ID, nonce, successor(second, t0.Add(3*time.Minute)))
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, auth.ErrConflict):
			t.Errorf("concurrent rotation: got error %v, want nil or %v", err, auth.ErrConflict)
		}
	}
	if wins != 1 {
		t.Errorf("concurrent rotations: got %d winners, want 1", wins)
	}

	unrelated := newRefreshToken(c.ID, t0)
	_, err = s.CreateRefreshToken(ctx(t), unrelated)
	mustNoErr(t, "create unrelated", err)
	revoked, err := s.RevokeRefreshFamily(ctx(t), first.FamilyID, t0.Add(time.Hour))
	mustNoErr(t, "revoke family", err)
	if revoked != 3 {
		t.Errorf("revoke family: got %d revoked, want 3", revoked)
	}
	read, err = s.GetRefreshToken(ctx(t), unrelated.TokenHash)
	mustNoErr(t, "get unrelated", err)
	if read.RevokedAt != nil {
		t.Errorf("token of another family: got revoked at %v, want nil", read.RevokedAt)
	}
	read, err = s.GetRefreshToken(ctx(t), second.TokenHash)
	mustNoErr(t, "get revoked", err)
	if read.RevokedAt == nil {
		t.Error("token of revoked family: got RevokedAt nil, want set")
	}
}

func testRevokedAccessTokens(t *testing.T, s auth.Store) {
	revoked, err := s.AccessTokenRevoked(ctx(t), "jti-1")
	mustNoErr(t, "check", err)
	if revoked {
		t.Error("unknown jti: got revoked, want not")
	}
	mustNoErr(t, "revoke", s.RevokeAccessToken(ctx(t), "jti-1", t0))
	mustNoErr(t, "revoke again", s.RevokeAccessToken(ctx(t), "jti-1", t0))
	revoked, err = s.AccessTokenRevoked(ctx(t), "jti-1")
	mustNoErr(t, "check revoked", err)
	if !revoked {
		t.Error("revoked jti: got not revoked, want revoked")
	}
	wantErr(t, "empty jti", s.RevokeAccessToken(ctx(t), "", t0), auth.ErrInvalid)
}
