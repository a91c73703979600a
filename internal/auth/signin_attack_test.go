package auth_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

// wrongCode returns a six-digit code that no step the service accepts
// now (the current one and one either side) has.
func wrongCode(tb testing.TB, env *authtest.Env, secret string) string {
	tb.Helper()
	valid := map[string]bool{}
	for d := -1; d <= 1; d++ {
		valid[code(tb, env, secret, env.Clock.Now().Add(time.Duration(d)*30*time.Second))] = true
	}
	for i := 0; ; i++ {
		if c := fmt.Sprintf("%06d", i); !valid[c] {
			return c
		}
	}
}

// addr returns the n-th of many distinct client addresses.
func addr(n int) string { return fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255) }

// totpIdentity makes an identity with a confirmed authenticator and
// returns its secret; the clock is then past the enrolment's time step.
func totpIdentity(tb testing.TB, env *authtest.Env, email string) string {
	tb.Helper()
	mustIdentity(tb, env, email)
	secret, _ := mustEnrol(tb, env, mustPrincipal(tb, env, mustLogin(tb, env, email, "192.0.2.200").Token))
	env.Clock.Advance(time.Minute)
	return secret
}

func passwordStep(tb testing.TB, env *authtest.Env, email, ip string) (string, error) {
	tb.Helper()
	res, err := env.Service.Login(tb.Context(), auth.LoginRequest{Email: email, Password: testPassword, IP: ip})
	if err == nil && res.Challenge == "" {
		tb.Fatalf("password step: got %+v, want a challenge", res)
	}
	return res.Challenge, err
}

func codeStep(tb testing.TB, env *authtest.Env, challenge, code, ip string) error {
	tb.Helper()
	_, err := env.Service.LoginSecondFactor(tb.Context(), auth.SecondFactorRequest{Challenge: challenge, Code: code, IP: ip})
	return err
}

// TestSecondFactorFailuresSurviveThePassword is the attack of a stolen
// password: wrong codes, then the password again for a fresh challenge,
// over and over. A right password used to clear the failures the codes
// had built up, so codes could be tried for ever.
func TestSecondFactorFailuresSurviveThePassword(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	secret := totpIdentity(t, env, "mfa@example.com")
	const attacker = "198.51.100.23"
	ch, err := passwordStep(t, env, "mfa@example.com", attacker)
	mustNoErr(t, "password", err)
	for i := range 5 {
		wantErr(t, fmt.Sprintf("wrong code %d", i+1), codeStep(t, env, ch, wrongCode(t, env, secret), attacker), auth.ErrUnauthenticated)
	}
	// The same address is held up by its pair even with the right password.
	_, err = passwordStep(t, env, "mfa@example.com", attacker)
	if !errors.Is(err, auth.ErrThrottled) {
		t.Errorf("right password from the guessing address: got %v, want throttled", err)
	}
	// From a new address the password gives a new challenge, but the codes'
	// failures are the identity's: the next code waits, right or wrong.
	ch, err = passwordStep(t, env, "mfa@example.com", "203.0.113.9")
	mustNoErr(t, "password from elsewhere", err)
	wantThrottled(t, "wrong code on the new challenge", codeStep(t, env, ch, wrongCode(t, env, secret), "203.0.113.9"), time.Second)
	wantThrottled(t, "right code on the new challenge", codeStep(t, env, ch, code(t, env, secret, env.Clock.Now()), "203.0.113.9"), time.Second)
	// Waiting out the delay, the real user signs in.
	env.Clock.Advance(time.Second)
	mustNoErr(t, "right code after the delay", codeStep(t, env, ch, code(t, env, secret, env.Clock.Now()), "203.0.113.9"))
}

// TestSecondFactorGuessesPerDay checks the bound docs/security.md states
// under "Sign-in and second factor": an attacker who knows the password,
// uses a new address for every request and retries the moment each delay
// ends gets exactly 39 codes checked in the first day and 735 in thirty.
func TestSecondFactorGuessesPerDay(t *testing.T) {
	for _, tc := range []struct {
		days, want int
	}{{1, 39}, {30, 735}} {
		t.Run(fmt.Sprintf("%d days", tc.days), func(t *testing.T) {
			// A cheap hash: a month of password steps is simulated.
			env := authtest.NewEnv(t, auth.Options{Hasher: hasherOf(64)})
			secret := totpIdentity(t, env, "target@example.com")
			end := env.Clock.Now().Add(time.Duration(tc.days) * 24 * time.Hour)
			var (
				guesses, n, left int
				ch               string
				expires          time.Time
			)
			for env.Clock.Now().Before(end) {
				if left == 0 || !env.Clock.Now().Before(expires) {
					n++
					c, err := passwordStep(t, env, "target@example.com", addr(n))
					if te, ok := errors.AsType[*auth.ThrottledError](err); ok {
						env.Clock.Advance(te.RetryAfter)
						continue
					}
					mustNoErr(t, "password step", err)
					ch, left, expires = c, 5, env.Clock.Now().Add(5*time.Minute)
				}
				n++
				err := codeStep(t, env, ch, wrongCode(t, env, secret), addr(n))
				if te, ok := errors.AsType[*auth.ThrottledError](err); ok {
					env.Clock.Advance(te.RetryAfter)
					continue
				}
				wantErr(t, "wrong code", err, auth.ErrUnauthenticated)
				guesses++
				left--
			}
			if guesses != tc.want {
				t.Errorf("got %d codes checked in %d days, want %d (the bound in docs/security.md)", guesses, tc.days, tc.want)
			}
		})
	}
}

// TestChallengesPerIdentityCapped: a right password may open at most
// ChallengeCap challenges an hour, from any addresses; a whole sign-in
// clears the count.
func TestChallengesPerIdentityCapped(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	secret := totpIdentity(t, env, "cap@example.com")
	var ch string
	for i := range 10 {
		c, err := passwordStep(t, env, "cap@example.com", addr(i))
		mustNoErr(t, fmt.Sprintf("challenge %d", i+1), err)
		ch = c
	}
	_, err := passwordStep(t, env, "cap@example.com", addr(99))
	wantThrottled(t, "eleventh challenge", err, time.Hour)
	mustNoErr(t, "right code on an open challenge", codeStep(t, env, ch, code(t, env, secret, env.Clock.Now()), addr(9)))
	_, err = passwordStep(t, env, "cap@example.com", addr(100))
	mustNoErr(t, "challenge after a whole sign-in", err)
}

// TestLoginConcurrentAttempts fires 50 wrong passwords for one account from
// one address at once. The throttle used to check the failures first and
// record them after the hash, so every attempt passed the check; now each
// is counted before its password is checked, and no more than the pair's
// 5 free attempts get a password checked.
func TestLoginConcurrentAttempts(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	mustIdentity(t, env, "victim@example.com")
	var hashes atomic.Int64
	auth.SetHashHook(env.Service, func(int) { hashes.Add(1) })
	const attempts, allowed = 50, 5
	var (
		wg                 sync.WaitGroup
		checked, throttled atomic.Int64
		mu                 sync.Mutex
		unexpected         []error
		start              = make(chan struct{})
	)
	for range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := fail(t, env, "victim@example.com", "198.51.100.66")
			switch {
			case errors.Is(err, auth.ErrUnauthenticated):
				checked.Add(1)
			case errors.Is(err, auth.ErrThrottled):
				throttled.Add(1)
			default:
				mu.Lock()
				unexpected = append(unexpected, err)
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range unexpected {
		t.Errorf("concurrent attempt: got %v, want unauthenticated or throttled", err)
	}
	if checked.Load() > allowed || hashes.Load() > allowed {
		t.Errorf("got %d attempts answered 401 and %d passwords hashed of %d at once, want at most %d",
			checked.Load(), hashes.Load(), attempts, allowed)
	}
	if checked.Load()+throttled.Load() != attempts {
		t.Errorf("got %d checked + %d throttled, want %d in all", checked.Load(), throttled.Load(), attempts)
	}
}

// TestHotAddressWarns: one address making most failures is logged at Warn,
// once a minute, with a pointer to --trusted-proxies.
func TestHotAddressWarns(t *testing.T) {
	logs := &lockedBuffer{}
	env := authtest.NewEnv(t, auth.Options{Logger: newTextLogger(logs)})
	const hot = "203.0.113.44"
	for i := range 5 {
		wantErr(t, "elsewhere", fail(t, env, fmt.Sprintf("x%d@example.com", i), addr(i)), auth.ErrUnauthenticated)
	}
	for i := range 30 {
		wantErr(t, "hot", fail(t, env, fmt.Sprintf("h%d@example.com", i), hot), auth.ErrUnauthenticated)
	}
	if got := logs.count("one address makes most sign-in failures"); got != 1 {
		t.Fatalf("got %d warnings in the first minute, want 1; logs:\n%s", got, logs)
	}
	if !logs.contains("level=WARN") || !logs.contains("ip="+hot) || !logs.contains("--trusted-proxies") {
		t.Errorf("got logs\n%s\nwant a WARN naming ip=%s and --trusted-proxies", logs, hot)
	}
	env.Clock.Advance(time.Minute)
	for i := range 25 {
		wantErr(t, "hot again", fail(t, env, fmt.Sprintf("k%d@example.com", i), hot), auth.ErrUnauthenticated)
	}
	if got := logs.count("one address makes most sign-in failures"); got != 2 {
		t.Errorf("got %d warnings after two minutes, want 2", got)
	}
	// Failures spread over many addresses are no warning.
	env.Clock.Advance(time.Minute)
	for i := range 60 {
		wantErr(t, "spread", fail(t, env, fmt.Sprintf("s%d@example.com", i), addr(1000+i%4)), auth.ErrUnauthenticated)
	}
	if got := logs.count("one address makes most sign-in failures"); got != 2 {
		t.Errorf("got %d warnings after spread failures, want still 2", got)
	}
}

// lockedBuffer keeps log lines that goroutines write while a test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) count(s string) int { return strings.Count(l.String(), s) }

func (l *lockedBuffer) contains(s string) bool { return strings.Contains(l.String(), s) }

func newTextLogger(b *lockedBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }
