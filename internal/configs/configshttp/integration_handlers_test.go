package configshttp

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

func TestIntegrationLifecycle(t *testing.T) {
	e := newEnv(t, Options{})
	id, key := e.mustIntegration(t, "Main site")
	path := integrationsPath(orgA) + "/" + id

	r := e.do(t, "GET", path, e.viewer(t), "")
	wantStatus(t, "get", r, http.StatusOK)
	if r.body["delivery_key"] != key || r.body["status"] != "active" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("get: got %s", r.raw)
	}
	if got := fmt.Sprint(r.body["domains"]); got != "[example.com *.cdn.example.net]" {
		t.Errorf("domains: got %s", got)
	}
	r = e.do(t, "PATCH", path, e.admin(t), `{"name":"Renamed","domains":["www.Example.org"],"environment":"staging"}`)
	wantStatus(t, "patch", r, http.StatusOK)
	if r.body["name"] != "Renamed" || fmt.Sprint(r.body["domains"]) != "[example.org]" || r.body["environment"] != "staging" {
		t.Errorf("patch: got %s", r.raw)
	}
	r = e.do(t, "GET", integrationsPath(orgA), e.machine(t, orgA, configs.ScopeRead), "")
	wantStatus(t, "list by a read key", r, http.StatusOK)
	if n := len(r.body["items"].([]any)); n != 1 {
		t.Errorf("list: got %d items, want 1", n)
	}
	wantStatus(t, "delete by an admin", e.do(t, "DELETE", path, e.admin(t), ""), http.StatusForbidden)
	wantStatus(t, "delete by the owner", e.do(t, "DELETE", path, e.owner(t), ""), http.StatusNoContent)
	wantProblem(t, "get deleted", e.do(t, "GET", path, e.owner(t), ""), http.StatusNotFound, "not-found")
	r = e.do(t, "GET", "/v1/orgs/"+orgA+"/config-audit?integration="+id, e.viewer(t), "")
	wantStatus(t, "audit", r, http.StatusOK)
	var actions []string
	for _, it := range r.body["items"].([]any) {
		actions = append(actions, it.(map[string]any)["action"].(string))
	}
	if want := []string{"integration.deleted", "integration.updated", "integration.created"}; !slices.Equal(actions, want) {
		t.Errorf("audit actions: got %v, want %v", actions, want)
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t, Options{})
	id, _ := e.mustIntegration(t, "Main")
	for _, rt := range e.h.routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if !strings.HasPrefix(path, "/v1/orgs/") {
			continue
		}
		path = strings.NewReplacer("{org}", orgA, "{integration}", id, "{version}", "1").Replace(path)
		t.Run(rt.pattern, func(t *testing.T) {
			r := e.do(t, method, path, "", "")
			wantStatus(t, "no token", r, http.StatusUnauthorized)
			if r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			wantStatus(t, "bad token", e.do(t, method, path, "not.a.token", ""), http.StatusUnauthorized)
			wantStatus(t, "workload token", e.do(t, method, path, e.workloadToken(t, workload.Gateway), ""), http.StatusUnauthorized)
			// A machine token without exactly one organization is refused.
			two := e.sign(t, identity.Claims{Subject: "key_2", Kind: identity.KindAPIKey, Scopes: []string{configs.ScopeWrite},
				Orgs: []identity.OrgRole{{ID: orgA, Role: "scoped"}, {ID: orgB, Role: "scoped"}}})
			wantProblem(t, "two orgs", e.do(t, method, path, two, ""), http.StatusForbidden, "forbidden")
		})
	}
}

// TestOtherOrganizationIsNotFound checks that every /v1/orgs route
// answers a caller outside the organization as if nothing were there.
func TestOtherOrganizationIsNotFound(t *testing.T) {
	e := newEnv(t, Options{})
	id, _ := e.mustIntegration(t, "Theirs")
	outsiders := map[string]string{
		"owner elsewhere": e.member(t, "owner9", orgB, configs.RoleOwner),
		"key elsewhere":   e.machine(t, orgB, configs.ScopeRead, configs.ScopeWrite),
		"no organization": e.sign(t, identity.Claims{Subject: "nobody", Kind: identity.KindUser}),
	}
	body := map[string]string{
		"POST /v1/orgs/{org}/integrations":                                   `{"name":"x","environment":"production"}`,
		"PATCH /v1/orgs/{org}/integrations/{integration}":                    `{"name":"Mine"}`,
		"PUT /v1/orgs/{org}/integrations/{integration}/settings":             `{"document":{}}`,
		"POST /v1/orgs/{org}/integrations/{integration}/settings/validate":   `{"document":{}}`,
		"POST /v1/orgs/{org}/integrations/{integration}/delivery-key/rotate": `{}`,
	}
	for _, rt := range e.h.routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if !strings.HasPrefix(path, "/v1/orgs/") {
			continue
		}
		path = strings.NewReplacer("{org}", orgA, "{integration}", id, "{version}", "1").Replace(path) + "?from=1&to=1"
		for who, tok := range outsiders {
			r := e.send(t, req{method: method, path: path, token: tok, body: body[rt.pattern],
				header: map[string]string{"If-Match": `"v1"`}})
			wantProblem(t, rt.pattern+" by "+who, r, http.StatusNotFound, "not-found")
			if r.body["detail"] != "no such organization." {
				t.Errorf("%s by %s: got detail %v, want the one answer for any unseen organization", rt.pattern, who, r.body["detail"])
			}
		}
	}
	// A missing integration in one's own organization is 404 too.
	wantProblem(t, "missing integration", e.do(t, "GET", integrationsPath(orgA)+"/"+configs.NewIntegrationID(time.Now()), e.viewer(t), ""),
		http.StatusNotFound, "not-found")
	wantProblem(t, "malformed integration", e.do(t, "GET", integrationsPath(orgA)+"/nonsense", e.viewer(t), ""),
		http.StatusNotFound, "not-found")
}

// TestPermissions runs each kind of change by each kind of caller.
func TestPermissions(t *testing.T) {
	e := newEnv(t, Options{})
	callers := map[string]string{
		"owner":     e.owner(t),
		"admin":     e.admin(t),
		"editor":    e.editor(t),
		"viewer":    e.viewer(t),
		"odd role":  e.member(t, "odd1", orgA, "guest"),
		"read key":  e.machine(t, orgA, configs.ScopeRead),
		"write key": e.machine(t, orgA, configs.ScopeWrite),
		"no scope":  e.machine(t, orgA, "analytics:read"),
		"staff":     e.staff(t),
	}
	type action struct {
		name    string
		allowed []string
		run     func(tok, id string) response
	}
	read := []string{"owner", "admin", "editor", "viewer", "read key", "write key", "staff"}
	write := []string{"owner", "admin", "editor", "write key"}
	manage := []string{"owner", "admin"}
	actions := []action{
		{"read settings", read, func(tok, id string) response {
			return e.do(t, "GET", integrationsPath(orgA)+"/"+id+"/settings", tok, "")
		}},
		{"change settings", write, func(tok, id string) response {
			return e.send(t, req{method: "PUT", path: integrationsPath(orgA) + "/" + id + "/settings", token: tok,
				body: `{"document":{"activation_ratio":0.5}}`, header: map[string]string{"If-Match": `"v1"`}})
		}},
		{"create", manage, func(tok, _ string) response {
			return e.do(t, "POST", integrationsPath(orgA), tok, `{"name":"New","environment":"staging"}`)
		}},
		{"rename", manage, func(tok, id string) response {
			return e.do(t, "PATCH", integrationsPath(orgA)+"/"+id, tok, `{"name":"Other"}`)
		}},
		{"disable", append(manage, "staff"), func(tok, id string) response {
			return e.do(t, "PATCH", integrationsPath(orgA)+"/"+id, tok, `{"status":"disabled"}`)
		}},
		{"bypass", []string{"staff"}, func(tok, id string) response {
			return e.do(t, "PATCH", integrationsPath(orgA)+"/"+id, tok, `{"status":"bypassed"}`)
		}},
		{"rotate", manage, func(tok, id string) response {
			return e.do(t, "POST", integrationsPath(orgA)+"/"+id+"/delivery-key/rotate", tok, "")
		}},
		{"delete", []string{"owner"}, func(tok, id string) response {
			return e.do(t, "DELETE", integrationsPath(orgA)+"/"+id, tok, "")
		}},
	}
	for _, a := range actions {
		for who, tok := range callers {
			t.Run(a.name+" by "+who, func(t *testing.T) {
				id, _ := e.mustIntegration(t, "Subject")
				r := a.run(tok, id)
				if slices.Contains(a.allowed, who) {
					if r.status >= 300 {
						t.Errorf("got %d, want success; %s", r.status, r.raw)
					}
				} else {
					wantProblem(t, "refused", r, http.StatusForbidden, "forbidden")
				}
			})
		}
	}
}

func TestBypassIsStaffOnly(t *testing.T) {
	e := newEnv(t, Options{})
	id, _ := e.mustIntegration(t, "Main")
	path := integrationsPath(orgA) + "/" + id
	wantStatus(t, "staff bypasses", e.do(t, "PATCH", path, e.staff(t), `{"status":"bypassed"}`), http.StatusOK)
	r := e.do(t, "PATCH", path, e.owner(t), `{"status":"active"}`)
	wantProblem(t, "owner lifts the bypass", r, http.StatusForbidden, "forbidden")
	if r.body["detail"] != "only staff bypass an integration or end a bypass." {
		t.Errorf("got detail %v", r.body["detail"])
	}
	wantStatus(t, "owner renames a bypassed integration", e.do(t, "PATCH", path, e.owner(t), `{"name":"Still bypassed"}`), http.StatusOK)
	wantStatus(t, "staff renames", e.do(t, "PATCH", path, e.staff(t), `{"name":"x"}`), http.StatusForbidden)
	wantStatus(t, "staff lifts", e.do(t, "PATCH", path, e.staff(t), `{"status":"active"}`), http.StatusOK)
	r = e.do(t, "GET", "/v1/orgs/"+orgA+"/config-audit", e.staff(t), "")
	wantStatus(t, "audit by staff", r, http.StatusOK)
	items := r.body["items"].([]any)
	first := items[0].(map[string]any)
	if actor := first["actor"].(map[string]any); first["action"] != "status.changed" || actor["id"] != "staff1" || actor["staff"] != true {
		t.Errorf("newest audit entry: got %v, want staff1's status change, marked as staff's", first)
	}
	// The owner's rename in between is the owner's own.
	for _, it := range items {
		entry := it.(map[string]any)
		if actor := entry["actor"].(map[string]any); entry["action"] == "integration.updated" && actor["staff"] != false {
			t.Errorf("the owner's change is marked as staff's: %v", entry)
		}
	}
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do(t, "POST", integrationsPath(orgA), e.admin(t),
		`{"name":"","environment":"dev","domains":["https://example.com","ok.example.com","com","OK.example.com"],"bundle_ids":["player","com.x.y"]}`)
	wantProblem(t, "invalid", r, http.StatusBadRequest, "invalid-argument")
	want := []string{"/name", "/environment", "/domains/0", "/domains/2", "/domains/3", "/bundle_ids/0"}
	if got := pointers(r); !slices.Equal(got, want) {
		t.Errorf("got pointers %v, want %v", got, want)
	}
	if !strings.Contains(r.raw, `"remove the scheme https://"`) {
		t.Errorf("want the domain's reason in %s", r.raw)
	}
	r = e.do(t, "POST", integrationsPath(orgA), e.admin(t), `{"name":1}`)
	wantProblem(t, "wrong type", r, http.StatusBadRequest, "invalid-argument")
	if got := pointers(r); !slices.Equal(got, []string{"/name"}) {
		t.Errorf("wrong type: got pointers %v", got)
	}
	for name, body := range map[string]string{
		"unknown field": `{"name":"a","environment":"staging","extra":1}`,
		"two values":    `{} {}`,
		"not json":      `{`,
	} {
		wantProblem(t, name, e.do(t, "POST", integrationsPath(orgA), e.admin(t), body), http.StatusBadRequest, "bad-request")
	}
	big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
	wantStatus(t, "too large", e.do(t, "POST", integrationsPath(orgA), e.admin(t), big), http.StatusRequestEntityTooLarge)
	r = e.send(t, req{method: "POST", path: integrationsPath(orgA), token: e.admin(t), body: "x",
		header: map[string]string{"Content-Type": "text/plain"}})
	wantStatus(t, "text", r, http.StatusUnsupportedMediaType)
}

func TestIdempotentCreate(t *testing.T) {
	e := newEnv(t, Options{})
	body := `{"name":"Once","environment":"production"}`
	post := func(tok, key, body string) response {
		return e.send(t, req{method: "POST", path: integrationsPath(orgA), token: tok, body: body,
			header: map[string]string{IdempotencyKeyHeader: key}})
	}
	first := post(e.admin(t), "k-1", body)
	wantStatus(t, "first", first, http.StatusCreated)
	if first.header.Get(IdempotentReplayedHeader) != "" {
		t.Error("first answer says replayed")
	}
	for _, k := range []string{"k-1", `"k-1"`} {
		again := post(e.admin(t), k, body)
		wantStatus(t, "retry "+k, again, http.StatusCreated)
		if again.body["id"] != first.body["id"] || again.header.Get(IdempotentReplayedHeader) != "true" {
			t.Errorf("retry %s: got %v replayed %q, want %v replayed true", k, again.body["id"], again.header.Get(IdempotentReplayedHeader), first.body["id"])
		}
		if again.header.Get("Location") != first.header.Get("Location") {
			t.Errorf("retry %s: got Location %q, want %q", k, again.header.Get("Location"), first.header.Get("Location"))
		}
	}
	wantProblem(t, "same key, other body", post(e.admin(t), "k-1", `{"name":"Twice","environment":"production"}`),
		http.StatusUnprocessableEntity, "idempotency-key-reused")
	other := post(e.owner(t), "k-1", body)
	wantStatus(t, "same key, other caller", other, http.StatusCreated)
	if other.body["id"] == first.body["id"] {
		t.Error("another caller's key replayed the first caller's answer")
	}
	for name, k := range map[string]string{"bad quoting": `"open`, "too long": strings.Repeat("k", 256), "control": "a\tb"} {
		wantProblem(t, name, post(e.admin(t), k, body), http.StatusBadRequest, "bad-request")
	}
	r := e.do(t, "GET", integrationsPath(orgA), e.admin(t), "")
	if n := len(r.body["items"].([]any)); n != 2 {
		t.Errorf("got %d integrations, want 2", n)
	}
}

// TestIdempotencyExpires checks that a key is forgotten after its
// lifetime: the same key then creates anew.
func TestIdempotencyExpires(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	e := newEnv(t, Options{}, configs.WithClock(func() time.Time { return clock() }), configs.WithIdempotencyLifetime(time.Hour))
	post := func() response {
		return e.send(t, req{method: "POST", path: integrationsPath(orgA), token: e.admin(t), body: `{"name":"A","environment":"staging"}`,
			header: map[string]string{IdempotencyKeyHeader: "k"}})
	}
	first := post()
	now = now.Add(time.Hour)
	if n, err := e.svc.PruneIdempotencyRecords(t.Context()); err != nil || n != 1 {
		t.Errorf("prune: got %d, %v; want 1", n, err)
	}
	second := post()
	wantStatus(t, "after expiry", second, http.StatusCreated)
	if second.body["id"] == first.body["id"] || second.header.Get(IdempotentReplayedHeader) != "" {
		t.Errorf("after expiry: got a replay of %v", first.body["id"])
	}
}

func TestIntegrationPagination(t *testing.T) {
	e := newEnv(t, Options{MaxPageLimit: 3})
	for i := range 5 {
		e.mustIntegration(t, fmt.Sprint("I", i))
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		r := e.do(t, "GET", integrationsPath(orgA)+"?limit=2&cursor="+cursor, e.viewer(t), "")
		wantStatus(t, "page", r, http.StatusOK)
		pages++
		for _, it := range r.body["items"].([]any) {
			seen[it.(map[string]any)["id"].(string)] = true
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
	if len(seen) != 5 || pages != 3 {
		t.Errorf("got %d integrations in %d pages, want 5 in 3", len(seen), pages)
	}
	for _, q := range []string{"limit=0", "limit=4", "limit=-1", "limit=x", "cursor=bogus"} {
		wantStatus(t, q, e.do(t, "GET", integrationsPath(orgA)+"?"+q, e.viewer(t), ""), http.StatusBadRequest)
	}
	r := e.do(t, "GET", integrationsPath(orgA), e.viewer(t), "")
	if n := len(r.body["items"].([]any)); n != 3 {
		t.Errorf("default page: got %d items, want MaxPageLimit 3", n)
	}
	r = e.do(t, "GET", integrationsPath(orgB), e.member(t, "o", orgB, configs.RoleOwner), "")
	wantStatus(t, "empty org", r, http.StatusOK)
	if n := len(r.body["items"].([]any)); n != 0 || r.body["next_cursor"] != nil {
		t.Errorf("empty org: got %s", r.raw)
	}
}

func TestRotateDeliveryKey(t *testing.T) {
	e := newEnv(t, Options{})
	id, oldKey := e.mustIntegration(t, "Main")
	path := integrationsPath(orgA) + "/" + id + "/delivery-key/rotate"
	for name, body := range map[string]string{
		"negative":  `{"overlap_seconds":-1}`,
		"too long":  `{"overlap_seconds":2592001}`,
		"not a int": `{"overlap_seconds":"1h"}`,
	} {
		r := e.do(t, "POST", path, e.admin(t), body)
		wantStatus(t, name, r, http.StatusBadRequest)
		if got := pointers(r); !slices.Equal(got, []string{"/overlap_seconds"}) {
			t.Errorf("%s: got pointers %v", name, got)
		}
	}
	r := e.do(t, "POST", path, e.admin(t), "")
	wantStatus(t, "rotate with the default overlap", r, http.StatusOK)
	newKey := r.body["delivery_key"].(string)
	if newKey == oldKey || r.body["previous_delivery_key"] != oldKey {
		t.Fatalf("rotate: got %s", r.raw)
	}
	expires, err := time.Parse(time.RFC3339Nano, r.body["previous_key_expires_at"].(string))
	if err != nil || expires.Sub(time.Now()) < 23*time.Hour || expires.Sub(time.Now()) > 25*time.Hour {
		t.Errorf("default overlap: the old key expires at %v (%v), want in a day", expires, err)
	}
	origin := map[string]string{"Origin": "https://example.com"}
	for _, k := range []string{oldKey, newKey} {
		wantStatus(t, "sdk config by "+k, e.send(t, req{method: "GET", path: "/v1/sdk/config/" + k, header: origin}), http.StatusOK)
	}
	r = e.do(t, "POST", path, e.admin(t), `{"overlap_seconds":0}`)
	wantStatus(t, "rotate at once", r, http.StatusOK)
	newest := r.body["delivery_key"].(string)
	for _, k := range []string{oldKey, newKey} {
		wantStatus(t, "sdk config by retired "+k, e.send(t, req{method: "GET", path: "/v1/sdk/config/" + k, header: origin}), http.StatusNotFound)
	}
	wantStatus(t, "sdk config by newest", e.send(t, req{method: "GET", path: "/v1/sdk/config/" + newest, header: origin}), http.StatusOK)
}
