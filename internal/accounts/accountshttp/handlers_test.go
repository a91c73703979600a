package accountshttp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

func TestHappyPaths(t *testing.T) {
	e := newEnv(t, Options{})
	owner := e.user(t, "owner1")
	org := e.mustOrg(t, "acme", "owner1")

	r := e.do(t, "GET", "/v1/orgs", owner, "")
	wantStatus(t, "list orgs", r, http.StatusOK)
	if items := r.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != org {
		t.Errorf("list orgs: got %v, want only %s", items, org)
	}
	wantStatus(t, "get org", e.do(t, "GET", "/v1/orgs/"+org, owner, ""), http.StatusOK)
	r = e.do(t, "PATCH", "/v1/orgs/"+org, owner, `{"name":"Acme Video"}`)
	wantStatus(t, "patch org", r, http.StatusOK)
	if r.body["name"] != "Acme Video" {
		t.Errorf("patch org: got name %v, want Acme Video", r.body["name"])
	}
	wantStatus(t, "add member", e.do(t, "PUT", "/v1/orgs/"+org+"/members/viewer1", owner, `{"role":"viewer"}`), http.StatusCreated)
	wantStatus(t, "change role", e.do(t, "PUT", "/v1/orgs/"+org+"/members/viewer1", owner, `{"role":"editor"}`), http.StatusOK)
	r = e.do(t, "GET", "/v1/orgs/"+org+"/members", e.user(t, "viewer1"), "")
	wantStatus(t, "list members", r, http.StatusOK)
	if n := len(r.body["items"].([]any)); n != 2 {
		t.Errorf("list members: got %d, want 2", n)
	}
	r = e.do(t, "DELETE", "/v1/orgs/"+org+"/members/viewer1", owner, "")
	wantStatus(t, "remove member", r, http.StatusNoContent)

	r = e.do(t, "GET", "/v1/profile", owner, "")
	wantStatus(t, "get empty profile", r, http.StatusOK)
	if _, ok := r.body["updated_at"]; ok {
		t.Errorf("empty profile has updated_at: %s", r.raw)
	}
	r = e.do(t, "PUT", "/v1/profile", owner, `{"display_name":"Olive","locale":"en-gb","timezone":"Europe/Paris","preferences":{"theme":"dark"}}`)
	wantStatus(t, "put profile", r, http.StatusOK)
	r = e.do(t, "GET", "/v1/profile", owner, "")
	if r.body["display_name"] != "Olive" || r.body["locale"] != "en-GB" {
		t.Errorf("get profile: got %s", r.raw)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", r.header.Get("Cache-Control"))
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t, Options{})
	org := e.mustOrg(t, "acme", "owner1")
	for _, rt := range e.h.routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = strings.NewReplacer("{org}", org, "{identity}", "owner1").Replace(path)
		if rt.access != accessAuthed {
			continue
		}
		t.Run(rt.pattern, func(t *testing.T) {
			r := e.do(t, method, path, "", "")
			wantStatus(t, "no token", r, http.StatusUnauthorized)
			if r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			wantStatus(t, "bad token", e.do(t, method, path, "not.a.token", ""), http.StatusUnauthorized)
			for _, k := range []identity.PrincipalKind{identity.KindClient, identity.KindAPIKey} {
				wantStatus(t, string(k), e.do(t, method, path, e.token(t, "owner1", k, true), ""), http.StatusForbidden)
			}
		})
	}
}

// unavailableKeys is a key source that cannot be read.
type unavailableKeys struct{}

func (unavailableKeys) Key(context.Context, string) (jose.JSONWebKey, error) {
	return jose.JSONWebKey{}, identity.ErrKeysUnavailable
}

// TestKeysUnavailable checks that every authed route answers 503 with
// Retry-After while the internal token's keys cannot be read: api/accounts.yaml
// says so of each.
func TestKeysUnavailable(t *testing.T) {
	e := newEnv(t, Options{})
	org := e.mustOrg(t, "acme", "owner1")
	v, err := identity.NewVerifier(identity.VerifierOptions{Keys: unavailableKeys{}, Issuer: testIssuer, Audience: identity.InternalAudience})
	if err != nil {
		t.Fatalf("verifier: %v", err)
	}
	if e.h, err = NewHandler(e.svc, Options{Verifier: v, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatalf("handler: %v", err)
	}
	token := e.user(t, "owner1")
	for _, rt := range e.h.routes() {
		if rt.access != accessAuthed {
			continue
		}
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = strings.NewReplacer("{org}", org, "{identity}", "owner1", "{invitation}", "inv_01JDQ0N4Y3T2ZB8VJX6K9M4R7P").Replace(path)
		r := e.do(t, method, path, token, "")
		wantStatus(t, rt.pattern, r, http.StatusServiceUnavailable)
		if got := r.body["type"]; got != "https://portico.dev/problems/keys-unavailable" {
			t.Errorf("%s: got type %v, want keys-unavailable", rt.pattern, got)
		}
	}
}

func TestOtherOrganizationIsNotFound(t *testing.T) {
	e := newEnv(t, Options{})
	mine := e.mustOrg(t, "mine", "me")
	theirs := e.mustOrg(t, "theirs", "them")
	me := e.user(t, "me")
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/orgs/" + theirs, ""},
		{"PATCH", "/v1/orgs/" + theirs, `{"name":"Mine now"}`},
		{"GET", "/v1/orgs/" + theirs + "/members", ""},
		{"PUT", "/v1/orgs/" + theirs + "/members/me", `{"role":"owner"}`},
		{"DELETE", "/v1/orgs/" + theirs + "/members/them", ""},
		{"GET", "/v1/orgs/org_01JDQ0N4Y3T2ZB8VJX6K9M4R7P", ""},
		{"GET", "/v1/orgs/nonsense", ""},
	} {
		r := e.do(t, c.method, c.path, me, c.body)
		wantStatus(t, c.method+" "+c.path, r, http.StatusNotFound)
		if r.body["detail"] != "no such organization." {
			t.Errorf("%s %s: got detail %v, want the one answer for any missing organization", c.method, c.path, r.body["detail"])
		}
	}
	// The same caller still reaches its own organization.
	wantStatus(t, "own org", e.do(t, "GET", "/v1/orgs/"+mine, me, ""), http.StatusOK)
}

func TestMemberPagination(t *testing.T) {
	e := newEnv(t, Options{MaxPageLimit: 3})
	owner := e.user(t, "owner1")
	org := e.mustOrg(t, "acme", "owner1")
	for i := range 6 {
		wantStatus(t, "add", e.do(t, "PUT", fmt.Sprintf("/v1/orgs/%s/members/m%d", org, i), owner, `{"role":"viewer"}`), http.StatusCreated)
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		r := e.do(t, "GET", "/v1/orgs/"+org+"/members?limit=2&cursor="+cursor, owner, "")
		wantStatus(t, "page", r, http.StatusOK)
		pages++
		for _, it := range r.body["items"].([]any) {
			seen[it.(map[string]any)["identity_id"].(string)] = true
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != 7 || pages != 4 {
		t.Errorf("got %d members in %d pages, want 7 in 4", len(seen), pages)
	}
	for _, q := range []string{"limit=0", "limit=4", "limit=-1", "limit=x", "cursor=bogus"} {
		wantStatus(t, q, e.do(t, "GET", "/v1/orgs/"+org+"/members?"+q, owner, ""), http.StatusBadRequest)
	}
	r := e.do(t, "GET", "/v1/orgs/"+org+"/members", owner, "")
	if n := len(r.body["items"].([]any)); n != 3 {
		t.Errorf("default page: got %d items, want MaxPageLimit 3", n)
	}
}

func TestLastOwnerIsConflict(t *testing.T) {
	e := newEnv(t, Options{})
	org := e.mustOrg(t, "acme", "owner1")
	owner := e.user(t, "owner1")
	for _, c := range []struct{ method, body string }{{"DELETE", ""}, {"PUT", `{"role":"admin"}`}} {
		r := e.do(t, c.method, "/v1/orgs/"+org+"/members/owner1", owner, c.body)
		wantStatus(t, c.method, r, http.StatusConflict)
		if r.body["reason"] != "last-owner" || r.body["detail"] != "the organization must keep at least one owner." {
			t.Errorf("%s: got %s, want reason last-owner and the safe message", c.method, r.raw)
		}
	}
}

func TestValidationPointers(t *testing.T) {
	e := newEnv(t, Options{})
	staff := e.staff(t, "staff1")
	r := e.do(t, "POST", "/v1/orgs", staff, `{"name":"","slug":"-bad","plan":{"name":"","viewer_cap":-1},"owner":"no spaces"}`)
	wantStatus(t, "invalid org", r, http.StatusBadRequest)
	var got []string
	for _, fe := range r.body["errors"].([]any) {
		got = append(got, fe.(map[string]any)["pointer"].(string))
	}
	want := "/name /slug /plan/name /plan/viewer_cap /owner"
	if strings.Join(got, " ") != want {
		t.Errorf("got pointers %v, want %s", got, want)
	}
	r = e.do(t, "POST", "/v1/orgs", staff, `{"name":1}`)
	wantStatus(t, "wrong type", r, http.StatusBadRequest)
	if !strings.Contains(r.raw, `"pointer":"/name"`) {
		t.Errorf("wrong type: got %s, want a pointer to /name", r.raw)
	}
	for name, body := range map[string]string{
		"unknown field": `{"name":"a","slug":"abc","plan":{"name":"p"},"owner":"o","extra":1}`,
		"two values":    `{} {}`,
		"not json":      `{`,
	} {
		wantStatus(t, name, e.do(t, "POST", "/v1/orgs", staff, body), http.StatusBadRequest)
	}
	big := `{"display_name":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`
	wantStatus(t, "too large", e.do(t, "PUT", "/v1/profile", staff, big), http.StatusRequestEntityTooLarge)
	wantStatus(t, "slug taken", e.do(t, "POST", "/v1/orgs", staff, `{"name":"A","slug":"dup","plan":{"name":"p"},"owner":"o"}`), http.StatusCreated)
	r = e.do(t, "POST", "/v1/orgs", staff, `{"name":"A","slug":"dup","plan":{"name":"p"},"owner":"o"}`)
	wantStatus(t, "slug taken", r, http.StatusConflict)
	wantStatus(t, "not staff", e.do(t, "POST", "/v1/orgs", e.user(t, "o"), `{"name":"A","slug":"new","plan":{"name":"p"},"owner":"o"}`), http.StatusForbidden)
}

func TestInternalMemberships(t *testing.T) {
	e := newEnv(t, Options{})
	org := e.mustOrg(t, "acme", "owner1")
	path := "/internal/v1/identities/owner1/memberships"
	wantStatus(t, "no token", e.do(t, "GET", path, "", ""), http.StatusUnauthorized)
	wantStatus(t, "gateway", e.do(t, "GET", path, e.workloadToken(t, workload.Gateway), ""), http.StatusForbidden)
	wantStatus(t, "internal token", e.do(t, "GET", path, e.staff(t, "staff1"), ""), http.StatusUnauthorized)
	r := e.do(t, "GET", path, e.workloadToken(t, workload.Auth), "")
	wantStatus(t, "auth", r, http.StatusOK)
	ms := r.body["memberships"].([]any)
	if len(ms) != 1 || ms[0].(map[string]any)["org_id"] != org || ms[0].(map[string]any)["role"] != "owner" {
		t.Errorf("got %s, want owner of %s", r.raw, org)
	}
}

func TestInternalOrganization(t *testing.T) {
	e := newEnv(t, Options{})
	org := e.mustOrg(t, "acme", "owner1")
	path := "/internal/v1/orgs/" + org
	wantStatus(t, "no token", e.do(t, "GET", path, "", ""), http.StatusUnauthorized)
	wantStatus(t, "gateway", e.do(t, "GET", path, e.workloadToken(t, workload.Gateway), ""), http.StatusForbidden)
	auth := e.workloadToken(t, workload.Auth)
	r := e.do(t, "GET", path, auth, "")
	wantStatus(t, "auth", r, http.StatusOK)
	if r.body["id"] != org || r.body["status"] != "active" || r.body["staff"] != false || r.body["viewer_cap"] != float64(0) {
		t.Errorf("got %s, want %s active, not staff, no viewer cap", r.raw, org)
	}
	wantStatus(t, "plan", e.do(t, "PATCH", "/v1/orgs/"+org, e.staff(t, "staff1"), `{"plan":{"name":"pro","viewer_cap":5000}}`), http.StatusOK)
	if r := e.do(t, "GET", path, e.workloadToken(t, workload.Analytics), ""); r.status != http.StatusOK || r.body["viewer_cap"] != float64(5000) {
		t.Errorf("analytics after the plan change: got %d %s, want the viewer cap 5000", r.status, r.raw)
	}
	wantStatus(t, "configs", e.do(t, "GET", path, e.workloadToken(t, workload.Configs), ""), http.StatusForbidden)
	wantStatus(t, "suspend", e.do(t, "PATCH", "/v1/orgs/"+org, e.staff(t, "staff1"), `{"status":"suspended"}`), http.StatusOK)
	if r := e.do(t, "GET", path, auth, ""); r.body["status"] != "suspended" {
		t.Errorf("after suspension got %s", r.raw)
	}
	wantStatus(t, "unknown", e.do(t, "GET", "/internal/v1/orgs/org_01JDQ0N4Y3T2ZB8VJX6K9M4R7Z", auth, ""), http.StatusNotFound)
	wantStatus(t, "malformed", e.do(t, "GET", "/internal/v1/orgs/nope", auth, ""), http.StatusNotFound)
}

func TestSuspendedIsReadOnly(t *testing.T) {
	e := newEnv(t, Options{})
	org := e.mustOrg(t, "acme", "owner1")
	owner := e.user(t, "owner1")
	wantStatus(t, "plan by owner", e.do(t, "PATCH", "/v1/orgs/"+org, owner, `{"plan":{"name":"pro"}}`), http.StatusForbidden)
	wantStatus(t, "suspend", e.do(t, "PATCH", "/v1/orgs/"+org, e.staff(t, "staff1"), `{"status":"suspended"}`), http.StatusOK)
	wantStatus(t, "read", e.do(t, "GET", "/v1/orgs/"+org, owner, ""), http.StatusOK)
	r := e.do(t, "PATCH", "/v1/orgs/"+org, owner, `{"name":"x"}`)
	wantStatus(t, "rename", r, http.StatusForbidden)
	if r.body["detail"] != "the organization is suspended and read-only." {
		t.Errorf("rename: got detail %v", r.body["detail"])
	}
}

func TestNewHandlerNeedsVerifier(t *testing.T) {
	if _, err := NewHandler(nil, Options{}); err == nil {
		t.Error("got no error without a Verifier")
	}
}

func TestSearchOrganizations(t *testing.T) {
	e := newEnv(t, Options{})
	acme := e.mustOrg(t, "acme", "owner1")
	e.mustOrg(t, "globex", "owner2")
	staff := e.staff(t, "staff1")
	r := e.do(t, "GET", "/v1/orgs?q=ACM", staff, "")
	wantStatus(t, "search", r, http.StatusOK)
	items, _ := r.body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != acme {
		t.Errorf("q=ACM: got %s, want %s alone", r.raw, acme)
	}
	r = e.do(t, "GET", "/v1/orgs?status=suspended", staff, "")
	wantStatus(t, "suspended", r, http.StatusOK)
	if items, _ := r.body["items"].([]any); len(items) != 0 {
		t.Errorf("status=suspended: got %s, want none", r.raw)
	}
	for _, q := range []string{"status=gone", "q=a&q=b", "q=" + strings.Repeat("x", 101)} {
		wantStatus(t, q, e.do(t, "GET", "/v1/orgs?"+q, staff, ""), http.StatusBadRequest)
	}
}
