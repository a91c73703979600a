package authtest

import (
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

func testPasswordResets(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "reset@example.com", t0)
	_, hash := auth.GenerateToken()
	in := auth.PasswordReset{ID: auth.NewID(auth.PasswordResetIDPrefix, t0), IdentityID: id.ID, TokenHash: hash, CreatedAt: t0, ExpiresAt: t0.Add(30 * time.Minute)}
	got, err := s.CreatePasswordReset(ctx(t), in)
	mustNoErr(t, "create", err)
	want := in
	want.CreatedAt, want.ExpiresAt = us(in.CreatedAt), us(in.ExpiresAt)
	wantEqual(t, "created reset", got, want)
	_, err = s.CreatePasswordReset(ctx(t), in)
	wantErr(t, "duplicate", err, auth.ErrConflict)
	orphan := in
	orphan.ID, orphan.IdentityID = auth.NewID(auth.PasswordResetIDPrefix, t0), auth.NewID(auth.IdentityIDPrefix, t0)
	_, orphan.TokenHash = auth.GenerateToken()
	_, err = s.CreatePasswordReset(ctx(t), orphan)
	wantErr(t, "unknown identity", err, auth.ErrNotFound)

	_, err = s.UsePasswordReset(ctx(t), hash, in.ExpiresAt)
	wantErr(t, "use at expiry", err, auth.ErrNotFound)
	used, err := s.UsePasswordReset(ctx(t), hash, t0.Add(time.Minute))
	mustNoErr(t, "use", err)
	want.UsedAt = ptr(us(t0.Add(time.Minute)))
	wantEqual(t, "used reset", used, want)
	_, err = s.UsePasswordReset(ctx(t), hash, t0.Add(2*time.Minute))
	wantErr(t, "use twice", err, auth.ErrNotFound)
}
