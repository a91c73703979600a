package authtest

import (
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

func mustFail(t *testing.T, s auth.Store, account, ip string, at time.Time) {
	t.Helper()
	mustNoErr(t, "record login failure", s.RecordLoginFailure(ctx(t), auth.LoginFailure{
		ID: auth.NewID(auth.LoginFailureIDPrefix, at), Account: account, IP: ip, At: at,
	}))
}

func wantCount(t *testing.T, what string, got auth.FailureCount, n int, last time.Time) {
	t.Helper()
	if got.Count != n || (n > 0 && !got.Last.Equal(us(last))) {
		t.Errorf("%s: got (%d, last %v), want (%d, last %v)", what, got.Count, got.Last, n, us(last))
	}
}

func testLoginFailures(t *testing.T, s auth.Store) {
	const a, b = "a@example.com", "b@example.com"
	const ip1, ip2 = "192.0.2.1", "2001:db8::1"
	mustFail(t, s, a, ip1, t0.Add(-time.Hour)) // before the window
	mustFail(t, s, a, ip1, t0)
	mustFail(t, s, a, ip1, t0.Add(time.Second))
	mustFail(t, s, a, ip2, t0.Add(2*time.Second))
	mustFail(t, s, b, ip1, t0.Add(3*time.Second))

	st, err := s.LoginFailureStats(ctx(t), a, ip1, t0)
	mustNoErr(t, "stats", err)
	wantCount(t, "account a", st.Account, 3, t0.Add(2*time.Second))
	wantCount(t, "pair a ip1", st.Pair, 2, t0.Add(time.Second))
	wantCount(t, "ip1", st.IP, 3, t0.Add(3*time.Second))

	st, err = s.LoginFailureStats(ctx(t), "nobody@example.com", "198.51.100.9", t0)
	mustNoErr(t, "stats of strangers", err)
	wantCount(t, "unknown account", st.Account, 0, time.Time{})
	wantCount(t, "unknown ip", st.IP, 0, time.Time{})

	mustNoErr(t, "clear", s.ClearLoginFailures(ctx(t), a, ip1))
	st, err = s.LoginFailureStats(ctx(t), a, ip1, t0.Add(-2*time.Hour))
	mustNoErr(t, "stats after clear", err)
	wantCount(t, "pair after clear", st.Pair, 0, time.Time{})
	wantCount(t, "account after clear", st.Account, 1, t0.Add(2*time.Second))

	n, err := s.PruneLoginFailures(ctx(t), t0.Add(3*time.Second))
	mustNoErr(t, "prune", err)
	if n != 1 {
		t.Errorf("prune: got %d deleted, want 1", n)
	}
	st, err = s.LoginFailureStats(ctx(t), b, ip1, t0.Add(-2*time.Hour))
	mustNoErr(t, "stats after prune", err)
	wantCount(t, "b after prune", st.Account, 1, t0.Add(3*time.Second))

	err = s.RecordLoginFailure(ctx(t), auth.LoginFailure{ID: "x", Account: a, At: t0})
	wantErr(t, "bad id", err, auth.ErrInvalid)
	err = s.RecordLoginFailure(ctx(t), auth.LoginFailure{ID: auth.NewID(auth.LoginFailureIDPrefix, t0), Account: a, IP: "nope", At: t0})
	wantErr(t, "bad ip", err, auth.ErrInvalid)
}
