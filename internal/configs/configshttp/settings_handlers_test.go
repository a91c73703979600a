package configshttp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/portico-gw/portico/internal/configs"
)

// put changes the settings of id with ifMatch ("" for none).
func (e *env) put(tb testing.TB, id, token, ifMatch, body string) response {
	tb.Helper()
	r := req{method: "PUT", path: integrationsPath(orgA) + "/" + id + "/settings", token: token, body: body}
	if ifMatch != "" {
		r.header = map[string]string{"If-Match": ifMatch}
	}
	return e.send(tb, r)
}

func TestSettingsVersions(t *testing.T) {
	e := newEnv(t, Options{})
	id, _ := e.mustIntegration(t, "Main")
	base := integrationsPath(orgA) + "/" + id + "/settings"

	r := e.do(t, "GET", base, e.viewer(t), "")
	wantStatus(t, "get first", r, http.StatusOK)
	if r.header.Get("ETag") != `"v1"` || r.body["version"] != 1.0 {
		t.Fatalf("first settings: got ETag %q, %s", r.header.Get("ETag"), r.raw)
	}
	if errs := configs.ValidateSettings(mustJSON(t, r.body["document"])); errs != nil {
		t.Errorf("default settings are invalid: %v", errs)
	}

	wantProblem(t, "no If-Match", e.put(t, id, e.editor(t), "", `{"document":{}}`), http.StatusPreconditionRequired, "precondition-required")
	wantProblem(t, "If-Match *", e.put(t, id, e.editor(t), "*", `{"document":{}}`), http.StatusPreconditionRequired, "precondition-required")
	wantProblem(t, "stale If-Match", e.put(t, id, e.editor(t), `"v7"`, `{"document":{}}`), http.StatusPreconditionFailed, "precondition-failed")
	wantProblem(t, "weak If-Match", e.put(t, id, e.editor(t), `W/"v1"`, `{"document":{}}`), http.StatusPreconditionFailed, "precondition-failed")
	wantProblem(t, "foreign tag", e.put(t, id, e.editor(t), `"abc"`, `{"document":{}}`), http.StatusPreconditionFailed, "precondition-failed")
	wantProblem(t, "two tags", e.put(t, id, e.editor(t), `"v1", "v2"`, `{"document":{}}`), http.StatusBadRequest, "bad-request")
	wantProblem(t, "not a tag", e.put(t, id, e.editor(t), `v1`, `{"document":{}}`), http.StatusBadRequest, "bad-request")

	r = e.put(t, id, e.editor(t), `"v1"`, `{"document":{"activation_ratio":1.5,"p2p":{"cellular":{"upload":"yes"}},"bogus":1},"message":"bad"}`)
	wantProblem(t, "invalid document", r, http.StatusUnprocessableEntity, "invalid-settings")
	if got, want := pointers(r), []string{"/document/activation_ratio", "/document/bogus", "/document/p2p/cellular/upload"}; !slices.Equal(got, want) {
		t.Errorf("invalid document: got pointers %v, want %v", got, want)
	}
	r = e.put(t, id, e.editor(t), `"v1"`, `{"message":"no document"}`)
	wantProblem(t, "no document", r, http.StatusBadRequest, "invalid-argument")
	if got := pointers(r); !slices.Equal(got, []string{"/document"}) {
		t.Errorf("no document: got %v", got)
	}
	r = e.put(t, id, e.editor(t), `"v1"`, `{"document":{},"message":"a\u0000b"}`)
	if got := pointers(r); r.status != http.StatusBadRequest || !slices.Equal(got, []string{"/message"}) {
		t.Errorf("control in message: got %d %v", r.status, got)
	}

	doc2 := `{"activation_ratio":0.5,"properties":{"live":{"activation_threshold":3}}}`
	r = e.put(t, id, e.editor(t), `"v1"`, `{"document":`+doc2+`,"message":"half"}`)
	wantStatus(t, "put v2", r, http.StatusOK)
	if r.header.Get("ETag") != `"v2"` || r.body["message"] != "half" || r.body["author"] != "editor1" {
		t.Errorf("v2: got %s", r.raw)
	}
	wantProblem(t, "same If-Match again", e.put(t, id, e.editor(t), `"v1"`, `{"document":{}}`), http.StatusPreconditionFailed, "precondition-failed")
	wantStatus(t, "put v3", e.put(t, id, e.machine(t, orgA, configs.ScopeWrite), `"v2"`, `{"document":{"activation_threshold":10}}`), http.StatusOK)

	// Versions, newest first, one page at a time.
	r = e.do(t, "GET", base+"/versions?limit=2", e.viewer(t), "")
	wantStatus(t, "versions", r, http.StatusOK)
	var nums []float64
	for _, it := range r.body["items"].([]any) {
		nums = append(nums, it.(map[string]any)["version"].(float64))
	}
	if !slices.Equal(nums, []float64{3, 2}) || r.body["next_cursor"] == nil {
		t.Fatalf("versions page: got %v, %s", nums, r.raw)
	}
	r = e.do(t, "GET", base+"/versions?limit=2&cursor="+r.body["next_cursor"].(string), e.viewer(t), "")
	if items := r.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["version"] != 1.0 || r.body["next_cursor"] != nil {
		t.Errorf("last versions page: got %s", r.raw)
	}
	r = e.do(t, "GET", base+"/versions/2", e.viewer(t), "")
	wantStatus(t, "get v2", r, http.StatusOK)
	if compact(t, string(mustJSON(t, r.body["document"]))) != compact(t, doc2) || r.header.Get("ETag") != `"v2"` {
		t.Errorf("v2: got %s", r.raw)
	}
	for _, v := range []string{"4", "0", "x", "01"} {
		wantProblem(t, "version "+v, e.do(t, "GET", base+"/versions/"+v, e.viewer(t), ""), http.StatusNotFound, "not-found")
	}

	// Diffs apply.
	docs := map[int][]byte{}
	for v := 1; v <= 3; v++ {
		docs[v] = mustJSON(t, e.do(t, "GET", fmt.Sprint(base, "/versions/", v), e.viewer(t), "").body["document"])
	}
	for _, pair := range [][2]int{{1, 2}, {2, 3}, {3, 1}, {2, 2}} {
		r = e.do(t, "GET", fmt.Sprintf("%s/diff?from=%d&to=%d", base, pair[0], pair[1]), e.viewer(t), "")
		wantStatus(t, "diff", r, http.StatusOK)
		patch, err := jsonpatch.DecodePatch(mustJSON(t, r.body["patch"]))
		if err != nil {
			t.Fatalf("diff %v: %v", pair, err)
		}
		got, err := patch.Apply(docs[pair[0]])
		if err != nil {
			t.Fatalf("apply diff %v: %v", pair, err)
		}
		if !jsonpatch.Equal(got, docs[pair[1]]) {
			t.Errorf("diff %v applied gives %s, want %s", pair, got, docs[pair[1]])
		}
	}
	r = e.do(t, "GET", base+"/diff?from=0&to=x", e.viewer(t), "")
	if got := pointers(r); r.status != http.StatusBadRequest || !slices.Equal(got, []string{"/from", "/to"}) {
		t.Errorf("bad diff query: got %d %v", r.status, got)
	}
	wantProblem(t, "diff to a missing version", e.do(t, "GET", base+"/diff?from=1&to=9", e.viewer(t), ""), http.StatusNotFound, "not-found")

	// Restore version 1 as version 4.
	restore := func(v, ifMatch, body string) response {
		r := req{method: "POST", path: base + "/versions/" + v + "/restore", token: e.editor(t), body: body}
		if ifMatch != "" {
			r.header = map[string]string{"If-Match": ifMatch}
		}
		return e.send(t, r)
	}
	wantProblem(t, "restore without If-Match", restore("1", "", ""), http.StatusPreconditionRequired, "precondition-required")
	wantProblem(t, "restore stale", restore("1", `"v2"`, ""), http.StatusPreconditionFailed, "precondition-failed")
	wantProblem(t, "restore missing", restore("9", `"v3"`, ""), http.StatusNotFound, "not-found")
	wantStatus(t, "restore by a viewer", e.send(t, req{method: "POST", path: base + "/versions/1/restore", token: e.viewer(t),
		header: map[string]string{"If-Match": `"v3"`}}), http.StatusForbidden)
	r = restore("1", `"v3"`, `{"message":"roll back"}`)
	wantStatus(t, "restore", r, http.StatusCreated)
	if r.body["version"] != 4.0 || r.body["message"] != "restored version 1: roll back" || r.header.Get("ETag") != `"v4"` {
		t.Errorf("restore: got %s", r.raw)
	}
	if !jsonpatch.Equal(mustJSON(t, r.body["document"]), docs[1]) {
		t.Errorf("restored document: got %s, want %s", mustJSON(t, r.body["document"]), docs[1])
	}
	r = restore("2", `"v4"`, "")
	if r.status != http.StatusCreated || r.body["message"] != "restored version 2" {
		t.Errorf("restore without a body: got %s", r.raw)
	}

	// The audit trail has each change with its patch.
	r = e.do(t, "GET", "/v1/orgs/"+orgA+"/config-audit?integration="+id+"&limit=3", e.viewer(t), "")
	wantStatus(t, "audit", r, http.StatusOK)
	items := r.body["items"].([]any)
	newest := items[0].(map[string]any)
	if newest["action"] != "settings.restored" || newest["message"] != "restored version 2" {
		t.Errorf("newest audit entry: got %v", newest)
	}
	patch, err := jsonpatch.DecodePatch(mustJSON(t, newest["diff"]))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := patch.Apply(docs[1]); err != nil || !jsonpatch.Equal(got, []byte(doc2)) {
		t.Errorf("audit diff of the restore applied to v1's document gives %s, %v; want v2's", got, err)
	}
	if items[2].(map[string]any)["actor"].(map[string]any)["kind"] != "api_key" {
		t.Errorf("third newest entry: got %v, want the API key's change", items[2])
	}
	wantProblem(t, "audit with a bad integration", e.do(t, "GET", "/v1/orgs/"+orgA+"/config-audit?integration=x", e.viewer(t), ""),
		http.StatusBadRequest, "invalid-argument")
}

func TestValidateSettings(t *testing.T) {
	e := newEnv(t, Options{})
	id, _ := e.mustIntegration(t, "Main")
	path := integrationsPath(orgA) + "/" + id + "/settings/validate"
	r := e.do(t, "POST", path, e.viewer(t), `{"document":{"activation_ratio":0.25,"properties":{"live":{"activation_ratio":1}}}}`)
	wantStatus(t, "valid", r, http.StatusOK)
	if r.body["valid"] != true || compact(t, string(mustJSON(t, r.body["effective"]))) != `{"activation_ratio":0.25}` {
		t.Errorf("valid: got %s", r.raw)
	}
	r = e.do(t, "POST", path, e.viewer(t), `{"document":{"content_id":{"source":"regex","pattern":"("}}}`)
	wantProblem(t, "invalid", r, http.StatusUnprocessableEntity, "invalid-settings")
	if got := pointers(r); !slices.Equal(got, []string{"/document/content_id/pattern"}) {
		t.Errorf("invalid: got %v", got)
	}
	r = e.do(t, "POST", path, e.viewer(t), `{"document":[1]}`)
	if got := pointers(r); r.status != http.StatusUnprocessableEntity || !slices.Equal(got, []string{"/document"}) {
		t.Errorf("array document: got %d %v", r.status, got)
	}
	// Nothing was stored.
	r = e.do(t, "GET", integrationsPath(orgA)+"/"+id+"/settings", e.viewer(t), "")
	if r.body["version"] != 1.0 {
		t.Errorf("after dry runs: got version %v, want 1", r.body["version"])
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestSettingsBodyLimit(t *testing.T) {
	e := newEnv(t, Options{MaxBodyBytes: 1 << 10})
	id, _ := e.mustIntegration(t, "Main")
	big := `{"document":{"isp":{"allow":["` + strings.Repeat("x", 2<<10) + `"]}}}`
	wantProblem(t, "too large", e.put(t, id, e.editor(t), `"v1"`, big), http.StatusRequestEntityTooLarge, "body-too-large")
}
