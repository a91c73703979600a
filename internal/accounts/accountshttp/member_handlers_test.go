package accountshttp

import (
	"net/http"
	"testing"

	"github.com/portico-gw/portico/internal/accounts"
)

// TestMembersCarryNamesAndAddresses checks what teammates see of each
// other in GET /v1/orgs/{org}/members: every member's display name and
// the address the service knows them by, "" for what it does not know.
func TestMembersCarryNamesAndAddresses(t *testing.T) {
	ie := newInvEnv(t, Options{})
	org := ie.mustOrg(t, "acme", "owner1")
	owner := ie.user(t, "owner1")
	wantStatus(t, "owner's profile", ie.do(t, "PUT", "/v1/profile", owner, `{"display_name":"Olive"}`), http.StatusOK)

	// Accepted without an account: the invited address, the given name.
	_, tok := ie.mustInvite(t, org, "Newt@Example.com", "viewer")
	r := ie.do(t, "POST", "/v1/invitations/accept", "", `{"token":"`+tok+`","password":"a good password","display_name":"Newt"}`)
	wantStatus(t, "accept without an account", r, http.StatusCreated)
	newt := r.body["identity_id"].(string)
	if r.body["email"] != "Newt@Example.com" || r.body["display_name"] != "Newt" {
		t.Errorf("accepted membership: got %s, want Newt's address and name", r.raw)
	}
	// Accepted signed in: the invitation's address, whatever the person
	// signs in with.
	_, tok = ie.mustInvite(t, org, "ada@work.example", "editor")
	r = ie.do(t, "POST", "/v1/invitations/accept-signed-in", ie.user(t, "ada"), `{"token":"`+tok+`"}`)
	wantStatus(t, "accept signed in", r, http.StatusCreated)
	if r.body["email"] != "ada@work.example" || r.body["display_name"] != "" {
		t.Errorf("accepted membership: got %s, want the invited address and no name", r.raw)
	}
	// Added by identity ID: no address is known.
	r = ie.do(t, "PUT", "/v1/orgs/"+org+"/members/bob", owner, `{"role":"viewer"}`)
	wantStatus(t, "add bob", r, http.StatusCreated)
	if r.body["email"] != "" || r.body["display_name"] != "" {
		t.Errorf("added member: got %s, want empty address and name", r.raw)
	}
	wantStatus(t, "bob's profile", ie.do(t, "PUT", "/v1/profile", ie.user(t, "bob"), `{"display_name":"Bob"}`), http.StatusOK)

	// Any member reads them, the least of viewers included.
	r = ie.do(t, "GET", "/v1/orgs/"+org+"/members", ie.user(t, newt), "")
	wantStatus(t, "list members", r, http.StatusOK)
	got := map[string][2]any{}
	for _, it := range r.body["items"].([]any) {
		m := it.(map[string]any)
		got[m["identity_id"].(string)] = [2]any{m["display_name"], m["email"]}
	}
	want := map[string][2]any{
		"owner1": {"Olive", ""},
		newt:     {"Newt", "Newt@Example.com"},
		"ada":    {"", "ada@work.example"},
		"bob":    {"Bob", ""},
	}
	if len(got) != len(want) {
		t.Errorf("members: got %v, want %v", got, want)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("member %s: got (display_name, email) %v, want %v", id, got[id], w)
		}
	}
	wantStatus(t, "an outsider", ie.do(t, "GET", "/v1/orgs/"+org+"/members", ie.user(t, "eve"), ""), http.StatusNotFound)
}

// TestStaffOwnerAddress checks that the first administrator's address,
// given at bootstrap, is what the staff organization's members see.
func TestStaffOwnerAddress(t *testing.T) {
	e := newEnv(t, Options{})
	staff, err := e.svc.BootstrapStaffOwner(t.Context(), "Operator", "operator",
		accounts.StaffOwner{IdentityID: "admin1", Email: "admin@example.com"})
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	r := e.do(t, "GET", "/v1/orgs/"+staff.ID+"/members", e.staff(t, "admin1"), "")
	wantStatus(t, "list staff", r, http.StatusOK)
	items := r.body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["email"] != "admin@example.com" {
		t.Errorf("staff members: got %s, want admin1 with admin@example.com", r.raw)
	}
	_, err = e.svc.BootstrapStaffOwner(t.Context(), "Operator", "operator",
		accounts.StaffOwner{IdentityID: "admin1", Email: "Admin <admin@example.com>"})
	if accounts.Code(err) != accounts.ErrInvalid {
		t.Errorf("malformed address: got %v, want invalid", err)
	}
}
