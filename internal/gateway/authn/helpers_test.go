package authn_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// testOrg is the organization the fake's principals belong to.
const testOrg = "org_acme"

// t0 is the start of every test clock.
var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// fakeSession is the credential mustFakeAuth grants.
var fakeSession = authn.Credential{Kind: authn.KindSession, Value: sessionToken}

// adaClaims are fakeSession's principal.
var adaClaims = identity.Claims{
	Subject: "idn_ada", Kind: identity.KindUser, CredentialID: "ses_1",
	Orgs: []identity.OrgRole{{ID: testOrg, Role: "admin"}, {ID: "org_two", Role: "viewer"}},
}

// clock is a test clock that moves only when told to; the fake auth and
// the exchangers under test share one.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeAuth is a fake auth (authntest) and the clock it issues tokens on.
type fakeAuth struct {
	*authntest.Auth
	clock *clock
}

// mustFakeAuth starts a fake auth on a clock at t0 that grants fakeSession.
func mustFakeAuth(tb testing.TB) *fakeAuth {
	tb.Helper()
	return mustFakeAuthWith(tb, authntest.Options{})
}

// mustFakeAuthWith is mustFakeAuth with o; o.Now, when set, replaces the
// clock for the fake (fakeExchanger still defaults to the clock).
func mustFakeAuthWith(tb testing.TB, o authntest.Options) *fakeAuth {
	tb.Helper()
	c := &clock{now: t0}
	if o.Now == nil {
		o.Now = c.Now
	}
	fa := &fakeAuth{Auth: authntest.New(tb, o), clock: c}
	fa.Grant(fakeSession.Value, adaClaims)
	return fa
}

// grantKey makes value an API key of testOrg, named id, exchangeable at
// fa, and returns it as a credential.
func (fa *fakeAuth) grantKey(id, value string) authn.Credential {
	fa.Grant(value, identity.Claims{Subject: id, Kind: identity.KindAPIKey, CredentialID: id,
		Orgs: []identity.OrgRole{{ID: testOrg, Role: "scoped"}}})
	return authn.Credential{Kind: authn.KindAPIKey, Value: value}
}

// fakeExchanger returns an Exchanger toward fa, verifying tokens against
// fa's JWKS, on fa's clock and with fa's admitted workload token unless o
// names others.
func fakeExchanger(tb testing.TB, fa *fakeAuth, o authn.Options) *authn.Exchanger {
	tb.Helper()
	if o.Now == nil {
		o.Now = fa.clock.Now
	}
	keys, err := identity.NewJWKS(identity.JWKSOptions{URL: fa.JWKSURL(), Now: o.Now})
	mustNoErr(tb, "jwks", err)
	o.AuthURL, o.Issuer, o.Keys = fa.URL, authntest.Issuer, keys
	if o.WorkloadToken == nil {
		o.WorkloadToken = fa.WorkloadToken()
	}
	x, err := authn.New(o)
	mustNoErr(tb, "new exchanger", err)
	return x
}

// wantExchanges checks how many requests reached the fake's exchange
// endpoint, admitted or not.
func (fa *fakeAuth) wantExchanges(tb testing.TB, what string, want int64) {
	tb.Helper()
	if got := fa.Calls(); got != want {
		tb.Errorf("%s: got %d exchanges at auth, want %d", what, got, want)
	}
}

// counter counts Exchange outcomes, for Options.Observe.
type counter struct {
	mu sync.Mutex
	n  map[authn.Outcome]int
	// changed is signalled, without blocking, on every outcome.
	changed chan struct{}
}

func newCounter() *counter {
	return &counter{n: map[authn.Outcome]int{}, changed: make(chan struct{}, 1)}
}

func (c *counter) observe(o authn.Outcome) {
	c.mu.Lock()
	c.n[o]++
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *counter) get(o authn.Outcome) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[o]
}

// waitFor waits until cond holds; it is re-checked after every outcome.
func (c *counter) waitFor(tb testing.TB, cond func() bool) {
	tb.Helper()
	for !cond() {
		select {
		case <-c.changed:
		case <-tb.Context().Done():
			tb.Fatal("test ended while waiting for exchanges")
		}
	}
}

func mustNoErr(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

// mustExchange exchanges c and fails the test on an error.
func mustExchange(tb testing.TB, x *authn.Exchanger, c authn.Credential) authn.Result {
	tb.Helper()
	res, err := x.Exchange(tb.Context(), c)
	mustNoErr(tb, "exchange "+string(c.Kind), err)
	return res
}

// wantErr checks that err is target and that Status maps it to status.
func wantErr(tb testing.TB, what string, err, target error, status int) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Errorf("%s: got error %v, want %v", what, err, target)
	}
	if got := authn.Status(err); got != status {
		tb.Errorf("%s: got status %d, want %d", what, got, status)
	}
}

// staticToken is a workload token source that always has the same token.
type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

// verifying returns o with an issuer, keys and a workload token, for tests
// whose auth never answers with a token to verify.
func verifying(tb testing.TB, o authn.Options) authn.Options {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mustNoErr(tb, "generate key", err)
	keys, err := identity.NewStaticKeys(jose.JSONWebKey{Key: &k.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"})
	mustNoErr(tb, "static keys", err)
	o.Issuer, o.Keys, o.WorkloadToken = authntest.Issuer, keys, staticToken("workload-token")
	return o
}
