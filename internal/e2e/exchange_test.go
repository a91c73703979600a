package e2e

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// testOrg is the organization the people of these tests administer.
const testOrg = "org_acme"

// t0 is the start of every test clock.
var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// TestExchangeReadsClaims: the claims the real auth writes into an
// internal token read, once the gateway's exchanger has verified it, as
// the gateway's policy expects them.
func TestExchangeReadsClaims(t *testing.T) {
	a := mustRealAuth(t, auth.Options{Now: authtest.NewClock(t0).Now})
	session, _ := a.mustSession(t, "claims@example.com", false, auth.Membership{OrgID: testOrg, Role: auth.RoleAdmin})
	key := a.mustAPIKey(t, session, testOrg)
	x := a.mustExchanger(t, authn.Options{})

	user := mustExchange(t, x, session)
	if user.Claims == nil {
		t.Fatal("no claims on an exchanged session")
	}
	if role, ok := user.Claims.Role(testOrg); !ok || role != string(auth.RoleAdmin) {
		t.Errorf("role in %s = %q, %v; want admin", testOrg, role, ok)
	}
	if _, ok := user.Claims.Role("org_other"); ok {
		t.Error("member of an organization it does not belong to")
	}
	if user.Claims.Subject != user.Subject || user.ClaimValues["sub"] != user.Subject || user.Claims.Issuer != testIssuer {
		t.Errorf("claims sub = %v (values %v), want %s from %s", user.Claims.Subject, user.ClaimValues["sub"], user.Subject, testIssuer)
	}
	machine := mustExchange(t, x, key)
	if machine.Claims == nil || machine.Kind != identity.KindAPIKey || machine.ClaimValues["kind"] != "api_key" {
		t.Errorf("api key claims = %+v, want kind api_key", machine.Claims)
	}
}

// TestExchangeRefusesRevokedAndUnknown: the real auth refuses a logged-out
// session, an unknown one and a wrong API key in the way the exchanger
// reads as a verdict on the credential (401), never as auth being
// unavailable (503). The fake auth refuses as this test shows auth does.
func TestExchangeRefusesRevokedAndUnknown(t *testing.T) {
	clock := authtest.NewClock(t0)
	a := mustRealAuth(t, auth.Options{Now: clock.Now})
	session, _ := a.mustSession(t, "ada@example.com", false, auth.Membership{OrgID: testOrg, Role: auth.RoleAdmin})
	key := a.mustAPIKey(t, session, testOrg)
	x := a.mustExchanger(t, authn.Options{})

	cached := mustExchange(t, x, session)
	a.mustLogout(t, session)
	// Within the ttl the cache answers: the delay the design accepts.
	clock.Advance(authn.DefaultCacheTTL - time.Millisecond)
	if got := mustExchange(t, x, session); got.Token != cached.Token {
		t.Error("revoked within the ttl: got a new token, want the cached one")
	}
	a.wantExchanges(t, "within the ttl", 1)
	clock.Advance(time.Millisecond)

	for name, c := range map[string]authn.Credential{
		"logged-out session": session,
		"unknown session":    {Kind: authn.KindSession, Value: strings.Repeat("a", 43)},
		"wrong api key":      {Kind: authn.KindAPIKey, Value: alteredKey(key.Value)},
		"garbage bearer":     {Kind: authn.KindBearer, Value: "not-a-token"},
	} {
		_, err := x.Exchange(t.Context(), c)
		if !errors.Is(err, authn.ErrUnauthenticated) || authn.Status(err) != http.StatusUnauthorized {
			t.Errorf("%s: got (%v, status %d), want ErrUnauthenticated and 401", name, err, authn.Status(err))
		}
	}
	a.wantExchanges(t, "four refusals", 5)
	// The key itself still passes: a refusal is of that credential only.
	mustExchange(t, x, key)
}

// mustExchange exchanges c and fails the test on an error.
func mustExchange(tb testing.TB, x *authn.Exchanger, c authn.Credential) authn.Result {
	tb.Helper()
	res, err := x.Exchange(tb.Context(), c)
	mustNoErr(tb, "exchange "+string(c.Kind), err)
	return res
}
