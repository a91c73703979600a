package authtest

import (
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

func testTOTP(t *testing.T, s auth.Store) {
	id := mustCreateIdentity(t, s, "totp@example.com", t0)
	_, err := s.GetTOTP(ctx(t), id.ID)
	wantErr(t, "get before enrolment", err, auth.ErrNotFound)

	mustNoErr(t, "put", s.PutTOTP(ctx(t), auth.TOTPCredential{IdentityID: id.ID, Secret: "sealed-1", CreatedAt: t0}))
	mustNoErr(t, "put again (replaces unconfirmed)", s.PutTOTP(ctx(t), auth.TOTPCredential{IdentityID: id.ID, Secret: "sealed-2", CreatedAt: t0}))
	got, err := s.GetTOTP(ctx(t), id.ID)
	mustNoErr(t, "get", err)
	wantEqual(t, "unconfirmed credential", got, auth.TOTPCredential{IdentityID: id.ID, Secret: "sealed-2", CreatedAt: us(t0)})

	wantErr(t, "use step before confirmation", s.UseTOTPStep(ctx(t), id.ID, 100), auth.ErrNotFound)
	mustNoErr(t, "confirm", s.ConfirmTOTP(ctx(t), id.ID, 100, t0.Add(time.Minute)))
	wantErr(t, "confirm twice", s.ConfirmTOTP(ctx(t), id.ID, 101, t0.Add(time.Minute)), auth.ErrNotFound)
	wantErr(t, "put over confirmed", s.PutTOTP(ctx(t), auth.TOTPCredential{IdentityID: id.ID, Secret: "sealed-3", CreatedAt: t0}), auth.ErrConflict)

	wantErr(t, "replay confirmation step", s.UseTOTPStep(ctx(t), id.ID, 100), auth.ErrConflict)
	wantErr(t, "earlier step", s.UseTOTPStep(ctx(t), id.ID, 99), auth.ErrConflict)
	mustNoErr(t, "next step", s.UseTOTPStep(ctx(t), id.ID, 101))
	wantErr(t, "replay next step", s.UseTOTPStep(ctx(t), id.ID, 101), auth.ErrConflict)
	got, err = s.GetTOTP(ctx(t), id.ID)
	mustNoErr(t, "get confirmed", err)
	if got.ConfirmedAt == nil || !got.ConfirmedAt.Equal(us(t0.Add(time.Minute))) || got.LastStep != 101 {
		t.Errorf("confirmed credential: got (confirmed %v, last step %d), want (%v, 101)", got.ConfirmedAt, got.LastStep, us(t0.Add(time.Minute)))
	}

	_, h1 := auth.GenerateToken()
	_, h2 := auth.GenerateToken()
	mustNoErr(t, "replace codes", s.ReplaceRecoveryCodes(ctx(t), id.ID, [][]byte{h1, h2}, t0))
	wantErr(t, "bad code hash", s.ReplaceRecoveryCodes(ctx(t), id.ID, [][]byte{h1[:3]}, t0), auth.ErrInvalid)
	countCodes(t, s, id.ID, 2)
	mustNoErr(t, "use code", s.UseRecoveryCode(ctx(t), id.ID, h1, t0))
	wantErr(t, "use code twice", s.UseRecoveryCode(ctx(t), id.ID, h1, t0), auth.ErrNotFound)
	other := mustCreateIdentity(t, s, "totp2@example.com", t0)
	wantErr(t, "use another identity's code", s.UseRecoveryCode(ctx(t), other.ID, h2, t0), auth.ErrNotFound)
	countCodes(t, s, id.ID, 1)

	mustNoErr(t, "delete", s.DeleteTOTP(ctx(t), id.ID))
	countCodes(t, s, id.ID, 0)
	wantErr(t, "delete twice", s.DeleteTOTP(ctx(t), id.ID), auth.ErrNotFound)
	_, err = s.GetTOTP(ctx(t), id.ID)
	wantErr(t, "get after delete", err, auth.ErrNotFound)
	wantErr(t, "put for unknown identity", s.PutTOTP(ctx(t), auth.TOTPCredential{IdentityID: auth.NewID(auth.IdentityIDPrefix, t0), Secret: "x", CreatedAt: t0}), auth.ErrNotFound)
}

func countCodes(t *testing.T, s auth.Store, identityID string, want int) {
	t.Helper()
	n, err := s.CountRecoveryCodes(ctx(t), identityID)
	mustNoErr(t, "count codes", err)
	if n != want {
		t.Errorf("got %d unused recovery codes, want %d", n, want)
	}
}
