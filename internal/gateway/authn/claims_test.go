package authn_test

import (
	"testing"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/gateway/authn"
)

func TestExchangeReadsClaims(t *testing.T) {
	a := newAuthServer(t, auth.Options{})
	session := a.mustSession(t, "claims@example.com")
	key := a.mustAPIKey(t, session)
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
	if user.Claims.All["sub"] != user.Subject {
		t.Errorf("claims sub = %v, want %s", user.Claims.All["sub"], user.Subject)
	}
	machine := mustExchange(t, x, key)
	if machine.Claims == nil || machine.Claims.All["kind"] != "api_key" {
		t.Errorf("api key claims = %+v, want kind api_key", machine.Claims)
	}
}
