package authhttp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// signedInStaff returns a browser signed in as a new staff identity.
func (s *testServer) signedInStaff(tb testing.TB, email string) (*caller, auth.Identity) {
	tb.Helper()
	b, id := s.signedIn(tb, email, "")
	s.Dir.SetStaff(id.ID, true)
	return b, id
}

// sessionOf returns a caller's session token.
func (s *testServer) sessionOf(tb testing.TB, b *caller) string {
	tb.Helper()
	if b.session == "" {
		tb.Fatal("got no session cookie")
	}
	return b.session
}

func wantProblem(tb testing.TB, what string, r response, status int, typ string) {
	tb.Helper()
	wantStatus(tb, what, r, status)
	if got := r.problemType(tb); got != typ {
		tb.Errorf("%s: got problem %s, want %s", what, got, typ)
	}
}

// auditEvents returns the audit events outside any organization.
func (s *testServer) auditEvents(tb testing.TB) []auth.AuditEvent {
	tb.Helper()
	page, err := s.Store.ListAuditEvents(tb.Context(), "", auth.PageRequest{Limit: auth.MaxPageLimit})
	if err != nil {
		tb.Fatalf("list audit: %v", err)
	}
	return page.Items
}

func (s *testServer) wantAudit(tb testing.TB, kind, actor, identity string) {
	tb.Helper()
	for _, e := range s.auditEvents(tb) {
		if e.Kind == kind && e.ActorID == actor && e.Detail["identity"] == identity {
			return
		}
	}
	tb.Errorf("got no audit event %s by %s about %s, want one", kind, actor, identity)
}

func TestIdentitiesStaffOnly(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	staff, _ := s.signedInStaff(t, "staff@example.com")
	member, mid := s.signedIn(t, "member@example.com", "org_acme")
	other := s.mustIdentity(t, "other@example.com")

	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/identities", nil},
		{"POST", "/v1/identities", map[string]string{"email": "new@example.com", "password": testPassword}},
		{"GET", "/v1/identities/" + other.ID, nil},
		{"PATCH", "/v1/identities/" + other.ID, map[string]string{"status": "disabled"}},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			wantProblem(t, "non-staff", s.do(t, member, tc.method, tc.path, tc.body), http.StatusForbidden, "forbidden")
			wantProblem(t, "signed out", s.do(t, nil, tc.method, tc.path, tc.body), http.StatusUnauthorized, "unauthenticated")
			r := s.do(t, staff, tc.method, tc.path, tc.body)
			if r.status >= 300 {
				t.Errorf("staff: got status %d, want success; body %s", r.status, r.body)
			}
		})
	}
	r := s.do(t, member, "GET", "/v1/identities/"+mid.ID, nil)
	wantStatus(t, "member reads itself", r, http.StatusOK)
	var got identityJSON
	r.json(t, &got)
	if got.ID != mid.ID || got.Email != "member@example.com" || got.Status != "active" || !got.HasPassword {
		t.Errorf("got %+v, want member@example.com, active, with a password", got)
	}
	r = s.do(t, staff, "POST", "/v1/identities", map[string]string{"email": "csrf@example.com"}, CSRFHeader, "")
	wantProblem(t, "create without the CSRF header", r, http.StatusForbidden, "csrf-check-failed")
}

func TestCreateIdentityOverHTTP(t *testing.T) {
	s := newTestServer(t, auth.Options{ResetURL: "https://dash.example.com/reset"}, Options{})
	staff, sid := s.signedInStaff(t, "staff@example.com")

	r := s.do(t, staff, "POST", "/v1/identities", map[string]string{"email": "Grace@Example.com", "password": testPassword})
	wantStatus(t, "create", r, http.StatusCreated)
	var created identityJSON
	r.json(t, &created)
	if loc := r.header.Get("Location"); loc != "/v1/identities/"+created.ID {
		t.Errorf("got Location %q, want /v1/identities/%s", loc, created.ID)
	}
	if created.Email != "Grace@Example.com" || created.Status != "active" || !created.HasPassword {
		t.Errorf("got %+v, want Grace@Example.com, active, with a password", created)
	}
	s.wantAudit(t, "identity.created", sid.ID, created.ID)
	wantStatus(t, "new identity signs in", s.do(t, s.browser(t), "POST", "/v1/login",
		map[string]string{"email": "grace@example.com", "password": testPassword}), http.StatusOK)

	r = s.do(t, staff, "POST", "/v1/identities", map[string]string{"email": "GRACE@example.COM"})
	wantProblem(t, "same address in other case", r, http.StatusConflict, "conflict")
	if got := r.detail(t); got != "email already in use." {
		t.Errorf("got detail %q, want the safe message", got)
	}
	r = s.do(t, staff, "POST", "/v1/identities", map[string]string{"email": "pw@example.com", "password": "short"})
	wantProblem(t, "short password", r, http.StatusBadRequest, "invalid-argument")
	if got := r.detail(t); got != "password too short (minimum 8 characters)." {
		t.Errorf("got detail %q, want the safe message", got)
	}

	r = s.do(t, staff, "POST", "/v1/identities", map[string]string{"email": "invitee@example.com"})
	wantStatus(t, "create without a password", r, http.StatusCreated)
	var nopw identityJSON
	r.json(t, &nopw)
	if nopw.HasPassword {
		t.Errorf("got has_password true, want false")
	}
	sent := s.Mailer.Wait(t, 1)
	if len(sent) != 1 || sent[0].To != "invitee@example.com" || !strings.Contains(sent[0].Body, "https://dash.example.com/reset#reset_code=") {
		t.Fatalf("got mails %+v, want a reset link to invitee@example.com", sent)
	}
	_, code, _ := strings.Cut(sent[0].Body, "#reset_code=")
	code = code[:auth.TokenLen]
	wantStatus(t, "set the first password", s.do(t, nil, "POST", "/v1/password/reset",
		map[string]string{"reset_code": code, "new_password": testPassword}), http.StatusNoContent)
	wantStatus(t, "invitee signs in", s.do(t, s.browser(t), "POST", "/v1/login",
		map[string]string{"email": "invitee@example.com", "password": testPassword}), http.StatusOK)

	for name, tc := range map[string]struct {
		body   any
		header []string
		status int
		typ    string
	}{
		"bad address":    {map[string]string{"email": "not an address"}, nil, http.StatusBadRequest, "invalid-argument"},
		"no address":     {map[string]string{"password": testPassword}, nil, http.StatusBadRequest, "bad-request"},
		"short password": {map[string]string{"email": "s@example.com", "password": "short"}, nil, http.StatusBadRequest, "invalid-argument"},
		"unknown field":  {`{"email":"u@example.com","status":"disabled"}`, nil, http.StatusBadRequest, "bad-request"},
		"bad key":        {map[string]string{"email": "k@example.com"}, []string{IdempotencyKeyHeader, `"unterminated`}, http.StatusBadRequest, "bad-request"},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, name, s.do(t, staff, "POST", "/v1/identities", tc.body, tc.header...), tc.status, tc.typ)
		})
	}

	t.Run("list pages", func(t *testing.T) {
		seen := map[string]bool{}
		path := "/v1/identities?limit=2"
		for pages := 0; path != ""; pages++ {
			if pages > 10 {
				t.Fatal("pagination did not end")
			}
			r := s.do(t, staff, "GET", path, nil)
			wantStatus(t, "list", r, http.StatusOK)
			var page pageJSON[identityJSON]
			r.json(t, &page)
			for _, i := range page.Items {
				seen[i.Email] = true
			}
			path = ""
			if page.NextCursor != "" {
				path = "/v1/identities?limit=2&cursor=" + url.QueryEscape(page.NextCursor)
			}
		}
		for _, email := range []string{"staff@example.com", "Grace@Example.com", "invitee@example.com"} {
			if !seen[email] {
				t.Errorf("%s not listed; got %v", email, seen)
			}
		}
		wantProblem(t, "bad cursor", s.do(t, staff, "GET", "/v1/identities?cursor=nope", nil), http.StatusBadRequest, "invalid-argument")
	})
}

func TestDisableIdentityOverHTTP(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	staff, sid := s.signedInStaff(t, "staff@example.com")
	user, uid := s.signedIn(t, "user@example.com", "org_acme")
	session := s.sessionOf(t, user)
	r := s.do(t, user, "POST", "/v1/orgs/org_acme/api-keys", map[string]any{"name": "ci"})
	wantStatus(t, "create api key", r, http.StatusCreated)
	var k apiKeyJSON
	r.json(t, &k)
	exchange := func(credential string) response {
		return s.do(t, nil, "POST", "/internal/v1/exchange", map[string]string{"credential": credential}, s.as(t, workload.Gateway)...)
	}
	wantStatus(t, "exchange api key while active", exchange(k.Key), http.StatusOK)

	for name, tc := range map[string]struct {
		body   string
		ctype  string
		status int
	}{
		"unknown status":   {`{"status":"frozen"}`, "application/json", http.StatusBadRequest},
		"null status":      {`{"status":null}`, "application/merge-patch+json", http.StatusBadRequest},
		"other field":      {`{"email":"x@example.com"}`, "application/json", http.StatusBadRequest},
		"not json":         {`status=disabled`, "application/json", http.StatusBadRequest},
		"wrong media type": {`{"status":"disabled"}`, "text/plain", http.StatusUnsupportedMediaType},
	} {
		t.Run(name, func(t *testing.T) {
			wantStatus(t, name, s.do(t, staff, "PATCH", "/v1/identities/"+uid.ID, tc.body, "Content-Type", tc.ctype), tc.status)
		})
	}
	wantProblem(t, "disable oneself", s.do(t, staff, "PATCH", "/v1/identities/"+sid.ID, map[string]string{"status": "disabled"}),
		http.StatusBadRequest, "invalid-argument")
	wantProblem(t, "unknown identity", s.do(t, staff, "PATCH", "/v1/identities/"+auth.NewID(auth.IdentityIDPrefix, s.Clock.Now()),
		map[string]string{"status": "disabled"}), http.StatusNotFound, "not-found")

	r = s.do(t, staff, "PATCH", "/v1/identities/"+uid.ID, `{"status":"disabled"}`, "Content-Type", "application/merge-patch+json")
	wantStatus(t, "disable", r, http.StatusOK)
	var got identityJSON
	r.json(t, &got)
	if got.Status != "disabled" {
		t.Errorf("got status %s, want disabled", got.Status)
	}
	s.wantAudit(t, "identity.disabled", sid.ID, uid.ID)

	wantProblem(t, "the user's browser", s.do(t, user, "GET", "/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	wantProblem(t, "exchange of the user's session", exchange(session), http.StatusUnauthorized, "unauthenticated")
	wantProblem(t, "exchange of the user's api key", exchange(k.Key), http.StatusUnauthorized, "unauthenticated")
	wantProblem(t, "sign-in while disabled", s.do(t, s.browser(t), "POST", "/v1/login",
		map[string]string{"email": "user@example.com", "password": testPassword}), http.StatusUnauthorized, "unauthenticated")
	r = s.do(t, staff, "GET", "/v1/orgs/org_acme/api-keys", nil)
	var keys pageJSON[apiKeyJSON]
	r.json(t, &keys)
	if len(keys.Items) != 1 || keys.Items[0].RevokedAt != nil {
		t.Errorf("got keys %+v, want the key kept unrevoked", keys.Items)
	}

	wantStatus(t, "enable", s.do(t, staff, "PATCH", "/v1/identities/"+uid.ID, map[string]string{"status": "active"}), http.StatusOK)
	s.wantAudit(t, "identity.enabled", sid.ID, uid.ID)
	wantStatus(t, "exchange of the api key after enabling", exchange(k.Key), http.StatusOK)
	wantStatus(t, "exchange of the old session after enabling", exchange(session), http.StatusUnauthorized)
}

func TestAcceptInvitationOverHTTP(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	accept := func(body any, header ...string) response {
		return s.do(t, nil, "POST", "/internal/v1/identities", body, append(s.as(t, workload.Accounts), header...)...)
	}
	body := map[string]string{"email": "Invitee@Example.com", "password": testPassword}

	wantProblem(t, "no workload token", s.do(t, nil, "POST", "/internal/v1/identities", body), http.StatusUnauthorized, "unauthenticated")
	r := s.do(t, nil, "POST", "/internal/v1/identities", body, s.as(t, workload.Gateway)...)
	wantProblem(t, "the gateway", r, http.StatusForbidden, "forbidden")
	if !strings.Contains(s.logs.String(), "internal call refused") {
		t.Errorf("got logs %q, want the refusal logged", s.logs.String())
	}

	key := []string{IdempotencyKeyHeader, "inv-0001"}
	r = accept(body, key...)
	wantStatus(t, "accept", r, http.StatusCreated)
	var first identityJSON
	r.json(t, &first)
	if r.header.Get(IdempotentReplayedHeader) != "" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("got headers %v, want no-store and no replay mark", r.header)
	}
	s.wantAudit(t, "identity.created", first.ID, first.ID)
	wantStatus(t, "invitee signs in", s.do(t, s.browser(t), "POST", "/v1/login",
		map[string]string{"email": "invitee@example.com", "password": testPassword}), http.StatusOK)

	t.Run("same key, same body", func(t *testing.T) {
		for _, k := range []string{"inv-0001", `"inv-0001"`} {
			r := accept(`{ "password": "`+testPassword+`", "email": "Invitee@Example.com" }`, IdempotencyKeyHeader, k)
			wantStatus(t, "retry", r, http.StatusCreated)
			var again identityJSON
			r.json(t, &again)
			if again.ID != first.ID || r.header.Get(IdempotentReplayedHeader) != "true" {
				t.Errorf("key %s: got (%s, replayed %q), want (%s, true)", k, again.ID, r.header.Get(IdempotentReplayedHeader), first.ID)
			}
		}
	})
	t.Run("same key, other body", func(t *testing.T) {
		for name, other := range map[string]map[string]string{
			"other address":  {"email": "other@example.com", "password": testPassword},
			"other password": {"email": "Invitee@Example.com", "password": "another fine password"},
		} {
			wantProblem(t, name, accept(other, key...), http.StatusUnprocessableEntity, "idempotency-key-reused")
		}
	})
	t.Run("existing address", func(t *testing.T) {
		r := accept(map[string]string{"email": "INVITEE@example.com", "password": testPassword})
		wantProblem(t, "other case", r, http.StatusConflict, "conflict")
		if strings.Contains(string(r.body), first.ID) || strings.Contains(strings.ToLower(string(r.body)), "invitee") {
			t.Errorf("got body %s, want nothing about the existing identity", r.body)
		}
	})
	for name, tc := range map[string]struct {
		body   any
		header []string
		status int
	}{
		"no password":    {map[string]string{"email": "np@example.com"}, nil, http.StatusBadRequest},
		"short password": {map[string]string{"email": "sp@example.com", "password": "short"}, nil, http.StatusBadRequest},
		"bad address":    {map[string]string{"email": "nope", "password": testPassword}, nil, http.StatusBadRequest},
		"unknown field":  {`{"email":"u@example.com","password":"` + testPassword + `","role":"owner"}`, nil, http.StatusBadRequest},
		"key too long":   {body, []string{IdempotencyKeyHeader, strings.Repeat("k", auth.MaxIdempotencyKeyLen+1)}, http.StatusBadRequest},
	} {
		t.Run(name, func(t *testing.T) {
			wantStatus(t, name, accept(tc.body, tc.header...), tc.status)
		})
	}
	t.Run("two keys", func(t *testing.T) {
		req, err := http.NewRequestWithContext(t.Context(), "POST", s.srv.URL+"/internal/v1/identities",
			strings.NewReader(`{"email":"two@example.com","password":"`+testPassword+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(s.as(t, workload.Accounts)[0], s.as(t, workload.Accounts)[1])
		req.Header.Add(IdempotencyKeyHeader, "a")
		req.Header.Add(IdempotencyKeyHeader, "b")
		resp, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("got status %d, want 400", resp.StatusCode)
		}
	})
	wantProblem(t, "accounts may not exchange", s.do(t, nil, "POST", "/internal/v1/exchange",
		map[string]string{"credential": "x"}, s.as(t, workload.Accounts)...), http.StatusForbidden, "forbidden")
}
