package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

func TestChangePassword(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	mustIdentity(t, env, "pw@example.com")
	keep := mustLogin(t, env, "pw@example.com", "")
	drop := mustLogin(t, env, "pw@example.com", "")
	p := mustPrincipal(t, env, keep.Token)

	wantErr(t, "wrong current", env.Service.ChangePassword(t.Context(), p, "nope nope nope", "a brand new password", ""), auth.ErrUnauthenticated)
	wantErr(t, "too short", env.Service.ChangePassword(t.Context(), p, testPassword, "short", ""), auth.ErrInvalid)
	mustNoErr(t, "change", env.Service.ChangePassword(t.Context(), p, testPassword, "a brand new password", ""))
	mustPrincipal(t, env, keep.Token)
	_, _, err := env.Service.AuthenticateSession(t.Context(), drop.Token)
	wantErr(t, "other session", err, auth.ErrUnauthenticated)
	_, err = env.Service.Login(t.Context(), auth.LoginRequest{Email: "pw@example.com", Password: "a brand new password"})
	mustNoErr(t, "login with the new password", err)
}

// resetToken waits for the nth mail (from 1) and returns its reset code.
func resetToken(tb testing.TB, env *authtest.Env, n int) string {
	tb.Helper()
	body := env.Mailer.Wait(tb, n)[n-1].Body
	_, rest, ok := strings.Cut(body, "#reset_code=")
	if !ok || len(rest) < auth.TokenLen {
		tb.Fatalf("reset mail without a link: %q", body)
	}
	return rest[:auth.TokenLen]
}

func TestResetPassword(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{ResetURL: "https://dash.example.com/reset"})
	mustIdentity(t, env, "reset@example.com")
	ses := mustLogin(t, env, "reset@example.com", "")

	mustNoErr(t, "unknown address", env.Service.RequestPasswordReset(t.Context(), "nobody@example.com", ""))
	if n := len(env.Mailer.Sent()); n != 0 {
		t.Fatalf("unknown address: got %d mails, want 0", n)
	}
	mustNoErr(t, "request", env.Service.RequestPasswordReset(t.Context(), "Reset@Example.com", ""))
	mail := env.Mailer.Wait(t, 1)[0]
	if mail.To != "reset@example.com" || !strings.Contains(mail.Body, "https://dash.example.com/reset#reset_code=") {
		t.Errorf("got mail %+v, want one to reset@example.com with the link", mail)
	}
	token := resetToken(t, env, 1)
	wantErr(t, "weak new password", env.Service.ResetPassword(t.Context(), token, "short", ""), auth.ErrInvalid)
	mustNoErr(t, "reset", env.Service.ResetPassword(t.Context(), token, "another good password", ""))
	wantErr(t, "token used twice", env.Service.ResetPassword(t.Context(), token, "yet another password", ""), auth.ErrUnauthenticated)
	_, _, err := env.Service.AuthenticateSession(t.Context(), ses.Token)
	wantErr(t, "session after reset", err, auth.ErrUnauthenticated)
	_, err = env.Service.Login(t.Context(), auth.LoginRequest{Email: "reset@example.com", Password: "another good password"})
	mustNoErr(t, "login", err)

	mustNoErr(t, "request again", env.Service.RequestPasswordReset(t.Context(), "reset@example.com", ""))
	env.Clock.Advance(30 * time.Minute)
	wantErr(t, "expired token", env.Service.ResetPassword(t.Context(), resetToken(t, env, 2), "too late password", ""), auth.ErrUnauthenticated)
}
