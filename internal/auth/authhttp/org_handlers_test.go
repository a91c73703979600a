package authhttp

import (
	"errors"
	"net/http"
	"testing"

	"github.com/portico-gw/portico/internal/auth"
)

func TestAPIKeysOverHTTP(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	b, _ := s.signedIn(t, "adm@example.com", "org_acme")
	viewer, vid := s.signedIn(t, "viewer@example.com", "")
	s.Dir.SetMemberships(vid.ID, auth.Membership{OrgID: "org_acme", Role: auth.RoleViewer})

	var keys []apiKeyJSON
	for _, name := range []string{"one", "two", "three"} {
		r := s.do(t, b, "POST", "/v1/orgs/org_acme/api-keys", map[string]any{"name": name, "scopes": []string{"configs:read"}})
		wantStatus(t, "create", r, http.StatusCreated)
		var k apiKeyJSON
		r.json(t, &k)
		if k.Key == "" || k.ExpiresAt == nil {
			t.Fatalf("got %+v, want the key and an expiry", k)
		}
		keys = append(keys, k)
	}
	wantStatus(t, "viewer creates", s.do(t, viewer, "POST", "/v1/orgs/org_acme/api-keys", map[string]any{"name": "x"}), http.StatusForbidden)
	wantStatus(t, "viewer lists", s.do(t, viewer, "GET", "/v1/orgs/org_acme/api-keys", nil), http.StatusForbidden)
	wantStatus(t, "bad scope", s.do(t, b, "POST", "/v1/orgs/org_acme/api-keys", map[string]any{"name": "x", "scopes": []string{"NOPE"}}), http.StatusBadRequest)
	wantStatus(t, "no csrf header", s.do(t, b, "POST", "/v1/orgs/org_acme/api-keys", map[string]any{"name": "x"}, CSRFHeader, ""), http.StatusForbidden)

	seen := map[string]bool{}
	cursor := ""
	for range 4 {
		r := s.do(t, b, "GET", "/v1/orgs/org_acme/api-keys?limit=2&cursor="+cursor, nil)
		wantStatus(t, "list", r, http.StatusOK)
		var page pageJSON[apiKeyJSON]
		r.json(t, &page)
		for _, k := range page.Items {
			if k.Key != "" {
				t.Errorf("listed key %s carries its secret", k.ID)
			}
			seen[k.ID] = true
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 3 {
		t.Errorf("got %d keys over the pages, want 3", len(seen))
	}
	wantStatus(t, "garbage cursor", s.do(t, b, "GET", "/v1/orgs/org_acme/api-keys?cursor=zzz", nil), http.StatusBadRequest)

	wantStatus(t, "revoke", s.do(t, b, "DELETE", "/v1/orgs/org_acme/api-keys/"+keys[0].ID, nil), http.StatusNoContent)
	wantStatus(t, "revoke unknown", s.do(t, b, "DELETE", "/v1/orgs/org_acme/api-keys/key_nope", nil), http.StatusNotFound)
	_, err := s.Service.Exchange(t.Context(), keys[0].Key, "")
	if !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("exchange of a revoked key: got %v, want unauthenticated", err)
	}

	r := s.do(t, b, "GET", "/v1/orgs/org_acme/audit?limit=100", nil)
	wantStatus(t, "audit", r, http.StatusOK)
	var audit pageJSON[auditJSON]
	r.json(t, &audit)
	kinds := map[string]int{}
	for _, e := range audit.Items {
		kinds[e.Kind]++
	}
	if kinds["api_key.created"] != 3 || kinds["api_key.revoked"] != 1 {
		t.Errorf("got audit kinds %v, want 3 api_key.created and 1 api_key.revoked", kinds)
	}
	wantStatus(t, "viewer reads audit", s.do(t, viewer, "GET", "/v1/orgs/org_acme/audit", nil), http.StatusForbidden)
}

func TestClientsOverHTTP(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	b, _ := s.signedIn(t, "adm@example.com", "org_acme")
	id, _ := s.mustCreateClient(t, b, "org_acme", true, "analytics:read")
	r := s.do(t, b, "GET", "/v1/orgs/org_acme/clients", nil)
	wantStatus(t, "list", r, http.StatusOK)
	var page pageJSON[clientJSON]
	r.json(t, &page)
	if len(page.Items) != 1 || page.Items[0].ClientID != id || page.Items[0].ClientSecret != "" || !page.Items[0].RefreshTokens {
		t.Errorf("got %+v, want the one client without its secret", page.Items)
	}
	wantStatus(t, "other org", s.do(t, b, "GET", "/v1/orgs/org_other/clients", nil), http.StatusForbidden)
	wantStatus(t, "revoke", s.do(t, b, "DELETE", "/v1/orgs/org_acme/clients/"+id, nil), http.StatusNoContent)
	wantStatus(t, "revoke again", s.do(t, b, "DELETE", "/v1/orgs/org_acme/clients/"+id, nil), http.StatusNoContent)
}
