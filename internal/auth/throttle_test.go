package auth_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

func fail(tb testing.TB, env *authtest.Env, email, ip string) error {
	tb.Helper()
	_, err := env.Service.Login(tb.Context(), auth.LoginRequest{Email: email, Password: "wrong password!", IP: ip})
	return err
}

func wantThrottled(tb testing.TB, what string, err error, retry time.Duration) {
	tb.Helper()
	te, ok := errors.AsType[*auth.ThrottledError](err)
	if !ok || !errors.Is(err, auth.ErrThrottled) {
		tb.Fatalf("%s: got error %v, want throttled", what, err)
	}
	if te.RetryAfter != retry {
		tb.Errorf("%s: got retry after %v, want %v", what, te.RetryAfter, retry)
	}
}

func login(tb testing.TB, env *authtest.Env, email, ip string) error {
	tb.Helper()
	_, err := env.Service.Login(tb.Context(), auth.LoginRequest{Email: email, Password: testPassword, IP: ip})
	return err
}

func TestThrottlePair(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	mustIdentity(t, env, "victim@example.com")
	const attacker, user = "198.51.100.66", "192.0.2.10"
	for i := range 5 {
		wantErr(t, fmt.Sprintf("failure %d", i+1), fail(t, env, "victim@example.com", attacker), auth.ErrUnauthenticated)
	}
	// The sixth attempt from the same address waits, even with the right password.
	wantThrottled(t, "sixth attempt", login(t, env, "victim@example.com", attacker), time.Second)
	// The real user, elsewhere, is not held up.
	mustNoErr(t, "user from another address", login(t, env, "victim@example.com", user))

	env.Clock.Advance(time.Second)
	wantErr(t, "attempt after the delay", fail(t, env, "victim@example.com", attacker), auth.ErrUnauthenticated)
	wantThrottled(t, "seventh attempt", fail(t, env, "victim@example.com", attacker), 2*time.Second)
	// Waiting out each delay, the delays double up to the cap and no further.
	var longest time.Duration
	for range 40 {
		err := fail(t, env, "victim@example.com", attacker)
		if te, ok := errors.AsType[*auth.ThrottledError](err); ok {
			longest = max(longest, te.RetryAfter)
			env.Clock.Advance(te.RetryAfter)
		}
	}
	if longest != 5*time.Minute {
		t.Errorf("got longest delay %v, want the cap 5m0s", longest)
	}

	// The lockout is bounded: once the failures age out, the address is admitted.
	env.Clock.Advance(15*time.Minute + time.Second)
	mustNoErr(t, "after the window", login(t, env, "victim@example.com", attacker))
	// A success clears the pair.
	wantErr(t, "failure after success", fail(t, env, "victim@example.com", attacker), auth.ErrUnauthenticated)
	wantErr(t, "second failure after success", fail(t, env, "victim@example.com", attacker), auth.ErrUnauthenticated)

	page, err := env.Store.ListAuditEvents(t.Context(), "", auth.PageRequest{Limit: 1000})
	mustNoErr(t, "list audit", err)
	lockouts := 0
	for _, e := range page.Items {
		if e.Kind == "login.lockout" {
			lockouts++
		}
	}
	if lockouts == 0 {
		t.Error("got no login.lockout audit event, want at least one")
	}
}

func TestThrottleSpraying(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	mustIdentity(t, env, "target@example.com")
	const sprayer = "203.0.113.5"
	for i := range 100 {
		wantErr(t, "spray", fail(t, env, fmt.Sprintf("user%d@example.com", i), sprayer), auth.ErrUnauthenticated)
	}
	wantThrottled(t, "101st account from the same address", login(t, env, "target@example.com", sprayer), time.Second)
	mustNoErr(t, "another address", login(t, env, "target@example.com", "192.0.2.1"))
}

// TestThrottleSharedAddress is an office behind one NAT address: one
// person's failures, and a few more typos around the office, must not
// keep everyone else there from signing in; the pair limit still stops
// the one guessing. The old address limit (20 failures) locked the whole
// address out for up to 15 minutes.
func TestThrottleSharedAddress(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	const office = "203.0.113.80"
	for i := range 40 {
		mustIdentity(t, env, fmt.Sprintf("staff%d@example.com", i))
	}
	mustIdentity(t, env, "forgetful@example.com")
	for range 5 {
		wantErr(t, "forgetful", fail(t, env, "forgetful@example.com", office), auth.ErrUnauthenticated)
	}
	wantThrottled(t, "forgetful's sixth try", fail(t, env, "forgetful@example.com", office), time.Second)
	// Thirty colleagues mistype once each, then sign in.
	for i := range 30 {
		wantErr(t, "typo", fail(t, env, fmt.Sprintf("staff%d@example.com", i), office), auth.ErrUnauthenticated)
	}
	for i := range 40 {
		mustNoErr(t, fmt.Sprintf("staff%d from the office", i), login(t, env, fmt.Sprintf("staff%d@example.com", i), office))
	}
}

func TestThrottleAccountIsBounded(t *testing.T) {
	o := auth.Options{}
	o.Throttle = auth.DefaultThrottleOptions()
	o.Throttle.AccountHard = 12
	env := authtest.NewEnv(t, o)
	mustIdentity(t, env, "popular@example.com")
	// A distributed attack: eleven addresses fail once each.
	for i := range 11 {
		env.Clock.Advance(time.Second)
		wantErr(t, "distributed failure", fail(t, env, "popular@example.com", fmt.Sprintf("198.51.100.%d", i+1)), auth.ErrUnauthenticated)
	}
	// Eleven failures are past AccountFree (10): addresses that failed wait.
	wantThrottled(t, "failed address", login(t, env, "popular@example.com", "198.51.100.1"), 2*time.Second)
	// Below AccountHard a clean address is admitted at once.
	mustNoErr(t, "clean address", login(t, env, "popular@example.com", "192.0.2.77"))
	wantErr(t, "twelfth failure", fail(t, env, "popular@example.com", "198.51.100.99"), auth.ErrUnauthenticated)
	// At AccountHard every address waits, but never more than AccountMax.
	wantThrottled(t, "clean address at the hard limit", login(t, env, "popular@example.com", "192.0.2.78"), 4*time.Second)
	var longest time.Duration
	for i := range 30 {
		err := fail(t, env, "popular@example.com", fmt.Sprintf("203.0.113.%d", i+1))
		if te, ok := errors.AsType[*auth.ThrottledError](err); ok {
			longest = max(longest, te.RetryAfter)
			env.Clock.Advance(te.RetryAfter)
		}
	}
	if longest != 30*time.Second {
		t.Errorf("got longest account delay %v, want the cap 30s", longest)
	}
	env.Clock.Advance(30 * time.Second)
	mustNoErr(t, "clean address after the cap", login(t, env, "popular@example.com", "192.0.2.78"))
}

func TestThrottleWithoutAddress(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	mustIdentity(t, env, "quiet@example.com")
	for i := range 30 {
		wantErr(t, "failure without address", fail(t, env, fmt.Sprintf("u%d@example.com", i), ""), auth.ErrUnauthenticated)
	}
	mustNoErr(t, "other account without address", login(t, env, "quiet@example.com", ""))
	for range 10 {
		wantErr(t, "failure", fail(t, env, "quiet@example.com", ""), auth.ErrUnauthenticated)
	}
	wantThrottled(t, "account delay applies to every attempt", login(t, env, "quiet@example.com", ""), time.Second)
}
