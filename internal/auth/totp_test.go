package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

func code(tb testing.TB, env *authtest.Env, secret string, at time.Time) string {
	tb.Helper()
	c, err := totp.GenerateCode(secret, at)
	mustNoErr(tb, "generate code", err)
	return c
}

// mustEnrol enrols and confirms TOTP for the principal and returns the
// secret and the recovery codes.
func mustEnrol(tb testing.TB, env *authtest.Env, p auth.Principal) (string, []string) {
	tb.Helper()
	en, err := env.Service.EnrolTOTP(tb.Context(), p)
	mustNoErr(tb, "enrol", err)
	codes, err := env.Service.ConfirmTOTP(tb.Context(), p, code(tb, env, en.Secret, env.Clock.Now()))
	mustNoErr(tb, "confirm", err)
	return en.Secret, codes
}

func challenge(tb testing.TB, env *authtest.Env, email string) string {
	tb.Helper()
	res, err := env.Service.Login(tb.Context(), auth.LoginRequest{Email: email, Password: testPassword, IP: "192.0.2.1"})
	mustNoErr(tb, "login", err)
	if res.Session != nil || res.Challenge == "" {
		tb.Fatalf("login with totp: got %+v, want a challenge", res)
	}
	return res.Challenge
}

func TestTOTP(t *testing.T) {
	for name, key := range map[string][]byte{"without secret key": nil, "with secret key": make([]byte, 32)} {
		t.Run(name, func(t *testing.T) {
			env := authtest.NewEnv(t, auth.Options{SecretKey: key})
			id := mustIdentity(t, env, "totp@example.com")
			first := mustLogin(t, env, "totp@example.com", "192.0.2.1")
			other := mustLogin(t, env, "totp@example.com", "192.0.2.2")
			p := mustPrincipal(t, env, first.Token)

			en, err := env.Service.EnrolTOTP(t.Context(), p)
			mustNoErr(t, "enrol", err)
			stored, err := env.Store.GetTOTP(t.Context(), id.ID)
			mustNoErr(t, "get stored", err)
			if key != nil && (stored.Secret[:3] != "v1:" || len(stored.Secret) < 40) {
				t.Errorf("got stored secret %q, want it sealed (v1:)", stored.Secret)
			}
			_, err = env.Service.ConfirmTOTP(t.Context(), p, "000000")
			wantErr(t, "confirm with a wrong code", err, auth.ErrUnauthenticated)
			codes, err := env.Service.ConfirmTOTP(t.Context(), p, code(t, env, en.Secret, env.Clock.Now()))
			mustNoErr(t, "confirm", err)
			if len(codes) != auth.RecoveryCodeCount {
				t.Fatalf("got %d recovery codes, want %d", len(codes), auth.RecoveryCodeCount)
			}
			_, _, err = env.Service.AuthenticateSession(t.Context(), other.Token)
			wantErr(t, "other session after confirmation", err, auth.ErrUnauthenticated)
			mustPrincipal(t, env, first.Token)

			env.Clock.Advance(time.Minute)
			ch := challenge(t, env, "totp@example.com")
			c := code(t, env, en.Secret, env.Clock.Now())
			ns, err := env.Service.LoginSecondFactor(t.Context(), auth.SecondFactorRequest{Challenge: ch, Code: c})
			mustNoErr(t, "second factor", err)
			if ns.Session.IdentityID != id.ID {
				t.Errorf("got session of %s, want %s", ns.Session.IdentityID, id.ID)
			}
			_, err = env.Service.LoginSecondFactor(t.Context(), auth.SecondFactorRequest{Challenge: ch, Code: c})
			wantErr(t, "challenge used twice", err, auth.ErrUnauthenticated)

			// The same code, within its step, on a new challenge: a replay.
			ch = challenge(t, env, "totp@example.com")
			_, err = env.Service.LoginSecondFactor(t.Context(), auth.SecondFactorRequest{Challenge: ch, Code: c})
			wantErr(t, "replayed code", err, auth.ErrUnauthenticated)

			_, err = env.Service.LoginSecondFactor(t.Context(), auth.SecondFactorRequest{Challenge: ch, RecoveryCode: codes[0]})
			mustNoErr(t, "recovery code", err)
			ch = challenge(t, env, "totp@example.com")
			_, err = env.Service.LoginSecondFactor(t.Context(), auth.SecondFactorRequest{Challenge: ch, RecoveryCode: codes[0]})
			wantErr(t, "recovery code used twice", err, auth.ErrUnauthenticated)
			_, err = env.Service.LoginSecondFactor(t.Context(), auth.SecondFactorRequest{Challenge: ch, RecoveryCode: strings.ToLower(codes[1])})
			mustNoErr(t, "second recovery code, typed in lower case", err)
		})
	}
}

func TestTOTPChallengeBurnsAfterWrongCodes(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	mustIdentity(t, env, "burn@example.com")
	secret, _ := mustEnrol(t, env, mustPrincipal(t, env, mustLogin(t, env, "burn@example.com", "").Token))
	env.Clock.Advance(time.Minute)
	ch := challenge(t, env, "burn@example.com")
	for range 5 {
		_, err := env.Service.LoginSecondFactor(t.Context(), auth.SecondFactorRequest{Challenge: ch, Code: "123456", IP: "192.0.2.9"})
		wantErr(t, "wrong code", err, auth.ErrUnauthenticated)
	}
	_, err := env.Service.LoginSecondFactor(t.Context(), auth.SecondFactorRequest{Challenge: ch, Code: code(t, env, secret, env.Clock.Now()), IP: "192.0.2.9"})
	wantErr(t, "right code on a burnt challenge", err, auth.ErrUnauthenticated)
	env.Clock.Advance(6 * time.Minute)
	_, err = env.Service.LoginSecondFactor(t.Context(), auth.SecondFactorRequest{Challenge: challenge(t, env, "burn@example.com"), Code: code(t, env, secret, env.Clock.Now())})
	mustNoErr(t, "new challenge", err)
}

func TestStaffNeedsTOTP(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{RequireTOTPForStaff: true})
	id := mustIdentity(t, env, "staff@example.com")
	env.Dir.SetStaff(id.ID, true)
	ns := mustLogin(t, env, "staff@example.com", "")
	if p := mustPrincipal(t, env, ns.Token); p.Staff {
		t.Error("staff without totp: got Staff true, want false")
	}
	ex, err := env.Service.Exchange(t.Context(), ns.Token, auth.CredentialSession)
	mustNoErr(t, "exchange", err)
	if c, err := env.Issuer.VerifyInternalToken(ex.Token); err != nil || c.Staff {
		t.Errorf("internal token without totp: got (%+v, %v), want staff false", c, err)
	}
	mustEnrol(t, env, mustPrincipal(t, env, ns.Token))
	if p := mustPrincipal(t, env, ns.Token); !p.Staff {
		t.Error("staff with totp: got Staff false, want true")
	}
	ex, err = env.Service.Exchange(t.Context(), ns.Token, auth.CredentialSession)
	mustNoErr(t, "exchange", err)
	if c, err := env.Issuer.VerifyInternalToken(ex.Token); err != nil || !c.Staff {
		t.Errorf("internal token with totp: got (%+v, %v), want staff true", c, err)
	}
}
