package accountshttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
)

// outbox is a Mailer that keeps mails, or fails with err.
type outbox struct {
	mu    sync.Mutex
	mails []accounts.InvitationMail
	err   error
}

func (o *outbox) SendInvitation(_ context.Context, m accounts.InvitationMail) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return o.err
	}
	o.mails = append(o.mails, m)
	return nil
}

func (o *outbox) lastToken(tb testing.TB) string {
	tb.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.mails) == 0 {
		tb.Fatal("no mail sent")
	}
	_, tok, _ := strings.Cut(o.mails[len(o.mails)-1].AcceptURL, "#")
	return tok
}

// identities is an IdentityProvisioner answering as the auth service
// does: one identity per key, 409 for a taken address, a policy on
// passwords; or err for every call.
type identities struct {
	mu    sync.Mutex
	byKey map[string]string
	taken map[string]bool
	err   error
}

func (p *identities) CreateIdentity(_ context.Context, email, password, key string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.err != nil:
		return "", p.err
	case p.byKey[key] != "":
		return p.byKey[key], nil
	case p.taken[strings.ToLower(email)]:
		return "", accounts.NewError(accounts.ErrConflict, "an account with this address exists")
	case len(password) < 8:
		return "", accounts.NewError(accounts.ErrInvalid, "password too short (minimum 8 characters)")
	}
	id := fmt.Sprintf("usr_%d", len(p.byKey)+1)
	p.byKey[key], p.taken[strings.ToLower(email)] = id, true
	return id, nil
}

// invEnv is an env whose service invites, with a clock the test moves.
type invEnv struct {
	*env
	mail *outbox
	ids  *identities
	mu   sync.Mutex
	now  time.Time
}

func newInvEnv(tb testing.TB, o Options) *invEnv {
	tb.Helper()
	ie := &invEnv{mail: &outbox{}, ids: &identities{byKey: map[string]string{}, taken: map[string]bool{}}, now: time.Now().UTC()}
	accept, _ := url.Parse("https://dashboard.portico.test/invitations/accept")
	ie.env = newEnv(tb, o, accounts.WithMailer(ie.mail), accounts.WithIdentityProvisioner(ie.ids), accounts.WithAcceptURL(accept),
		accounts.WithClock(func() time.Time { ie.mu.Lock(); defer ie.mu.Unlock(); return ie.now }))
	return ie
}

func (ie *invEnv) tick(d time.Duration) { ie.mu.Lock(); ie.now = ie.now.Add(d); ie.mu.Unlock() }

// mustInvite invites email to org as owner1 and returns the invitation's
// ID and token.
func (ie *invEnv) mustInvite(tb testing.TB, org, email, role string) (string, string) {
	tb.Helper()
	r := ie.do(tb, "POST", "/v1/orgs/"+org+"/invitations", ie.user(tb, "owner1"), `{"email":"`+email+`","role":"`+role+`"}`)
	wantStatus(tb, "invite "+email, r, http.StatusCreated)
	return r.body["id"].(string), ie.mail.lastToken(tb)
}

func TestInvitationSignedIn(t *testing.T) {
	ie := newInvEnv(t, Options{})
	org := ie.mustOrg(t, "acme", "owner1")
	owner := ie.user(t, "owner1")
	r := ie.do(t, "POST", "/v1/orgs/"+org+"/invitations", owner, `{"email":"ada@example.com","role":"editor"}`)
	wantStatus(t, "invite", r, http.StatusCreated)
	id := r.body["id"].(string)
	if loc := r.header.Get("Location"); loc != "/v1/orgs/"+org+"/invitations/"+id {
		t.Errorf("got Location %q", loc)
	}
	if r.body["status"] != "pending" || r.body["expired"] != false || r.body["email"] != "ada@example.com" {
		t.Errorf("invite: got %s", r.raw)
	}
	if strings.Contains(r.raw, "token") {
		t.Errorf("the answer shows the token: %s", r.raw)
	}
	tok := ie.mail.lastToken(t)

	r = ie.do(t, "GET", "/v1/orgs/"+org+"/invitations", owner, "")
	wantStatus(t, "list", r, http.StatusOK)
	if items := r.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id {
		t.Errorf("list: got %s", r.raw)
	}
	wantStatus(t, "get", ie.do(t, "GET", "/v1/orgs/"+org+"/invitations/"+id, owner, ""), http.StatusOK)

	ada := ie.user(t, "ada")
	body := `{"token":"` + tok + `"}`
	r = ie.do(t, "POST", "/v1/invitations/accept-signed-in", ada, body)
	wantStatus(t, "accept", r, http.StatusCreated)
	if r.body["org_id"] != org || r.body["identity_id"] != "ada" || r.body["role"] != "editor" {
		t.Errorf("accept: got %s", r.raw)
	}
	r = ie.do(t, "POST", "/v1/invitations/accept-signed-in", ada, body)
	wantStatus(t, "accept twice", r, http.StatusOK)
	if r.body["identity_id"] != "ada" {
		t.Errorf("accept twice: got %s", r.raw)
	}
	r = ie.do(t, "POST", "/v1/invitations/accept-signed-in", ie.user(t, "eve"), body)
	wantStatus(t, "accept by another", r, http.StatusGone)
	wantStatus(t, "eve is no member", ie.do(t, "GET", "/v1/orgs/"+org, ie.user(t, "eve"), ""), http.StatusNotFound)
	r = ie.do(t, "GET", "/v1/orgs/"+org+"/invitations/"+id, owner, "")
	if r.body["status"] != "accepted" || r.body["accepted_by"] != "ada" {
		t.Errorf("accepted invitation: got %s", r.raw)
	}
	wantStatus(t, "revoke accepted", ie.do(t, "DELETE", "/v1/orgs/"+org+"/invitations/"+id, owner, ""), http.StatusGone)
	wantStatus(t, "resend accepted", ie.do(t, "POST", "/v1/orgs/"+org+"/invitations/"+id+"/resend", owner, ""), http.StatusGone)

	// Already a member: 409, and the invitation stays pending.
	_, tok2 := ie.mustInvite(t, org, "ada2@example.com", "admin")
	r = ie.do(t, "POST", "/v1/invitations/accept-signed-in", ada, `{"token":"`+tok2+`"}`)
	wantStatus(t, "already a member", r, http.StatusConflict)
	if r.body["reason"] != "already-member" {
		t.Errorf("already a member: got %s", r.raw)
	}
}

func TestInvitationAcceptWithoutAccount(t *testing.T) {
	ie := newInvEnv(t, Options{})
	org := ie.mustOrg(t, "acme", "owner1")
	_, tok := ie.mustInvite(t, org, "new@example.com", "viewer")
	accept := func(body string) response { return ie.do(t, "POST", "/v1/invitations/accept", "", body) }

	r := accept(`{"token":"` + tok + `","password":"short"}`)
	wantStatus(t, "short password", r, http.StatusBadRequest)
	if r.body["detail"] != "password too short (minimum 8 characters)." {
		t.Errorf("short password: got %s", r.raw)
	}
	body := `{"token":"` + tok + `","password":"a good password","display_name":"Newt"}`
	r = accept(body)
	wantStatus(t, "accept", r, http.StatusCreated)
	id := r.body["identity_id"].(string)
	r = accept(body)
	wantStatus(t, "retry", r, http.StatusOK)
	if r.body["identity_id"] != id {
		t.Errorf("retry: got %s, want the same identity %s", r.raw, id)
	}
	r = ie.do(t, "GET", "/v1/profile", ie.user(t, id), "")
	if r.body["display_name"] != "Newt" {
		t.Errorf("profile: got %s", r.raw)
	}
	if r := ie.do(t, "GET", "/v1/orgs/"+org+"/members", ie.user(t, id), ""); len(r.body["items"].([]any)) != 2 {
		t.Errorf("members: got %s", r.raw)
	}

	ie.ids.taken["old@example.com"] = true
	_, tok = ie.mustInvite(t, org, "old@example.com", "viewer")
	r = accept(`{"token":"` + tok + `","password":"a good password"}`)
	wantStatus(t, "account exists", r, http.StatusConflict)
	if r.body["reason"] != "account-exists" {
		t.Errorf("account exists: got %s", r.raw)
	}

	fresh, _ := accounts.NewInvitationToken()
	wantStatus(t, "unknown token", accept(`{"token":"`+fresh+`","password":"a good password"}`), http.StatusNotFound)
	r = accept(`{"token":"nope","password":"","display_name":"\u0007"}`)
	wantStatus(t, "bad body", r, http.StatusBadRequest)
	var got []string
	for _, fe := range r.body["errors"].([]any) {
		got = append(got, fe.(map[string]any)["pointer"].(string))
	}
	if strings.Join(got, " ") != "/token /password /display_name" {
		t.Errorf("bad body: got pointers %v", got)
	}
	wantStatus(t, "not json", ie.do(t, "POST", "/v1/invitations/accept", "", "{"), http.StatusBadRequest)
	wantStatus(t, "unknown field", accept(`{"token":"`+tok+`","password":"x","role":"owner"}`), http.StatusBadRequest)

	ie.ids.err = accounts.NewError(accounts.ErrUnavailable, "the identity service is unavailable; try again shortly")
	_, tok = ie.mustInvite(t, org, "later@example.com", "viewer")
	r = accept(`{"token":"` + tok + `","password":"a good password"}`)
	wantStatus(t, "auth unavailable", r, http.StatusServiceUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

func TestInvitationDeadTokens(t *testing.T) {
	ie := newInvEnv(t, Options{})
	org := ie.mustOrg(t, "acme", "owner1")
	owner := ie.user(t, "owner1")
	_, expired := ie.mustInvite(t, org, "late@example.com", "viewer")
	revokedID, revoked := ie.mustInvite(t, org, "gone@example.com", "viewer")
	wantStatus(t, "revoke", ie.do(t, "DELETE", "/v1/orgs/"+org+"/invitations/"+revokedID, owner, ""), http.StatusNoContent)
	wantStatus(t, "revoke again", ie.do(t, "DELETE", "/v1/orgs/"+org+"/invitations/"+revokedID, owner, ""), http.StatusNoContent)
	resentID, old := ie.mustInvite(t, org, "resent@example.com", "viewer")
	ie.tick(2 * time.Minute)
	wantStatus(t, "resend", ie.do(t, "POST", "/v1/orgs/"+org+"/invitations/"+resentID+"/resend", owner, ""), http.StatusOK)
	ie.tick(accounts.DefaultInvitationTTL - time.Minute)

	for name, c := range map[string]struct {
		token string
		want  int
	}{"expired": {expired, http.StatusGone}, "revoked": {revoked, http.StatusGone}, "replaced by a resend": {old, http.StatusNotFound}} {
		r := ie.do(t, "POST", "/v1/invitations/accept-signed-in", ie.user(t, "someone"), `{"token":"`+c.token+`"}`)
		wantStatus(t, name+" signed in", r, c.want)
		r = ie.do(t, "POST", "/v1/invitations/accept", "", `{"token":"`+c.token+`","password":"a good password"}`)
		wantStatus(t, name+" without account", r, c.want)
	}
	if len(ie.ids.byKey) != 0 {
		t.Error("an identity was created for a dead invitation")
	}
	r := ie.do(t, "GET", "/v1/orgs/"+org+"/invitations", owner, "")
	for _, it := range r.body["items"].([]any) {
		inv := it.(map[string]any)
		if want := inv["email"] == "late@example.com"; inv["expired"] != want {
			t.Errorf("%v: got expired %v, want %v", inv["email"], inv["expired"], want)
		}
	}
}

func TestInvitationRoles(t *testing.T) {
	ie := newInvEnv(t, Options{})
	org := ie.mustOrg(t, "acme", "owner1")
	other := ie.mustOrg(t, "other", "stranger")
	owner := ie.user(t, "owner1")
	for id, role := range map[string]string{"admin1": "admin", "editor1": "editor"} {
		wantStatus(t, "add "+id, ie.do(t, "PUT", "/v1/orgs/"+org+"/members/"+id, owner, `{"role":"`+role+`"}`), http.StatusCreated)
	}
	ownerInv, _ := ie.mustInvite(t, org, "boss@example.com", "owner")
	admin, editor := ie.user(t, "admin1"), ie.user(t, "editor1")
	for _, c := range []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"admin invites owner", "POST", "/v1/orgs/" + org + "/invitations", admin, `{"email":"x@example.com","role":"owner"}`, http.StatusForbidden},
		{"admin invites admin", "POST", "/v1/orgs/" + org + "/invitations", admin, `{"email":"x@example.com","role":"admin"}`, http.StatusCreated},
		{"admin revokes owner invitation", "DELETE", "/v1/orgs/" + org + "/invitations/" + ownerInv, admin, "", http.StatusForbidden},
		{"editor invites", "POST", "/v1/orgs/" + org + "/invitations", editor, `{"email":"y@example.com","role":"viewer"}`, http.StatusForbidden},
		{"editor lists", "GET", "/v1/orgs/" + org + "/invitations", editor, "", http.StatusForbidden},
		{"stranger lists", "GET", "/v1/orgs/" + org + "/invitations", ie.user(t, "stranger"), "", http.StatusNotFound},
		{"stranger reads", "GET", "/v1/orgs/" + org + "/invitations/" + ownerInv, ie.user(t, "stranger"), "", http.StatusNotFound},
		{"invitation of another org", "GET", "/v1/orgs/" + other + "/invitations/" + ownerInv, ie.user(t, "stranger"), "", http.StatusNotFound},
		{"revoke via another org", "DELETE", "/v1/orgs/" + other + "/invitations/" + ownerInv, ie.user(t, "stranger"), "", http.StatusNotFound},
		{"staff invites owner anywhere", "POST", "/v1/orgs/" + other + "/invitations", ie.staff(t, "staff1"), `{"email":"o@example.com","role":"owner"}`, http.StatusCreated},
		{"bad invitation id", "GET", "/v1/orgs/" + org + "/invitations/nonsense", owner, "", http.StatusNotFound},
		{"invalid body", "POST", "/v1/orgs/" + org + "/invitations", owner, `{"email":"no","role":"root"}`, http.StatusBadRequest},
		{"pending twice", "POST", "/v1/orgs/" + org + "/invitations", owner, `{"email":"BOSS@example.com","role":"viewer"}`, http.StatusConflict},
	} {
		r := ie.do(t, c.method, c.path, c.token, c.body)
		wantStatus(t, c.name, r, c.want)
		if c.name == "pending twice" && r.body["reason"] != "invitation-pending" {
			t.Errorf("pending twice: got %s", r.raw)
		}
	}
}

func TestInvitationResendLimit(t *testing.T) {
	ie := newInvEnv(t, Options{})
	org := ie.mustOrg(t, "acme", "owner1")
	owner := ie.user(t, "owner1")
	id, tok := ie.mustInvite(t, org, "ada@example.com", "viewer")
	path := "/v1/orgs/" + org + "/invitations/" + id + "/resend"
	ie.tick(20 * time.Second)
	r := ie.do(t, "POST", path, owner, "")
	wantStatus(t, "too soon", r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "40" || r.body["retry_after_seconds"] != float64(40) {
		t.Errorf("too soon: got Retry-After %q, body %s", r.header.Get("Retry-After"), r.raw)
	}
	ie.tick(40 * time.Second)
	r = ie.do(t, "POST", path, owner, "")
	wantStatus(t, "resend", r, http.StatusOK)
	if ie.mail.lastToken(t) == tok {
		t.Error("resend kept the token")
	}

	ie.tick(time.Minute)
	ie.mail.err = errors.New("smtp: 451 try later")
	r = ie.do(t, "POST", path, owner, "")
	wantStatus(t, "resend, mail failed", r, http.StatusBadGateway)
	if r.body["invitation_id"] != id || strings.Contains(r.raw, "smtp") {
		t.Errorf("resend, mail failed: got %s", r.raw)
	}
	r = ie.do(t, "POST", "/v1/orgs/"+org+"/invitations", owner, `{"email":"bob@example.com","role":"viewer"}`)
	wantStatus(t, "invite, mail failed", r, http.StatusBadGateway)
	if r.body["type"] != "https://portico.dev/problems/mail-not-sent" || r.header.Get("Location") == "" || r.body["invitation_id"] == nil {
		t.Errorf("invite, mail failed: got %s, Location %q", r.raw, r.header.Get("Location"))
	}
	wantStatus(t, "the invitation exists", ie.do(t, "GET", r.header.Get("Location"), owner, ""), http.StatusOK)
}

func TestInvitationPagination(t *testing.T) {
	ie := newInvEnv(t, Options{MaxPageLimit: 3})
	org := ie.mustOrg(t, "acme", "owner1")
	owner := ie.user(t, "owner1")
	for i := range 5 {
		ie.mustInvite(t, org, fmt.Sprintf("p%d@example.com", i), "viewer")
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		r := ie.do(t, "GET", "/v1/orgs/"+org+"/invitations?limit=2&cursor="+cursor, owner, "")
		wantStatus(t, "page", r, http.StatusOK)
		pages++
		for _, it := range r.body["items"].([]any) {
			seen[it.(map[string]any)["id"].(string)] = true
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" || pages > 10 {
			break
		}
		cursor = next
	}
	if len(seen) != 5 || pages != 3 {
		t.Errorf("got %d invitations in %d pages, want 5 in 3", len(seen), pages)
	}
	for _, q := range []string{"limit=0", "limit=4", "cursor=bogus"} {
		wantStatus(t, q, ie.do(t, "GET", "/v1/orgs/"+org+"/invitations?"+q, owner, ""), http.StatusBadRequest)
	}
	// A cursor of the members list is not one of this list.
	for i := range 4 {
		ie.do(t, "PUT", fmt.Sprintf("/v1/orgs/%s/members/m%d", org, i), owner, `{"role":"viewer"}`)
	}
	r := ie.do(t, "GET", "/v1/orgs/"+org+"/members?limit=1", owner, "")
	wantStatus(t, "member cursor", ie.do(t, "GET", "/v1/orgs/"+org+"/invitations?cursor="+r.body["next_cursor"].(string), owner, ""), http.StatusBadRequest)
}

func TestInvitationsNotConfigured(t *testing.T) {
	e := newEnv(t, Options{})
	org := e.mustOrg(t, "acme", "owner1")
	r := e.do(t, "POST", "/v1/orgs/"+org+"/invitations", e.user(t, "owner1"), `{"email":"a@example.com","role":"viewer"}`)
	wantStatus(t, "no accept URL", r, http.StatusServiceUnavailable)
}

func TestCreateOrgIdempotencyKey(t *testing.T) {
	e := newEnv(t, Options{})
	staff := e.staff(t, "staff1")
	body := `{"name":"Acme","slug":"acme","plan":{"name":"starter"},"owner":"owner1"}`
	key := http.Header{"Idempotency-Key": {"create-acme-1"}}
	first := e.doWith(t, "POST", "/v1/orgs", staff, body, key)
	wantStatus(t, "create", first, http.StatusCreated)
	if first.header.Get(IdempotentReplayedHeader) != "" {
		t.Error("first answer marked replayed")
	}
	again := e.doWith(t, "POST", "/v1/orgs", staff, body, http.Header{"Idempotency-Key": {`"create-acme-1"`}})
	wantStatus(t, "retry", again, http.StatusCreated)
	if again.header.Get(IdempotentReplayedHeader) != "true" || again.body["id"] != first.body["id"] || again.header.Get("Location") != first.header.Get("Location") {
		t.Errorf("retry: got %s, headers %v", again.raw, again.header)
	}
	r := e.doWith(t, "POST", "/v1/orgs", staff, strings.Replace(body, "Acme", "Acme 2", 1), key)
	wantStatus(t, "other body", r, http.StatusUnprocessableEntity)
	if r.body["type"] != "https://portico.dev/problems/idempotency-key-reused" {
		t.Errorf("other body: got %s", r.raw)
	}
	wantStatus(t, "no key, same slug", e.do(t, "POST", "/v1/orgs", staff, body), http.StatusConflict)
	wantStatus(t, "two keys", e.doWith(t, "POST", "/v1/orgs", staff, body, http.Header{"Idempotency-Key": {"a", "b"}}), http.StatusBadRequest)
	wantStatus(t, "bad key", e.doWith(t, "POST", "/v1/orgs", staff, body, http.Header{"Idempotency-Key": {"\x01"}}), http.StatusBadRequest)
	r = e.do(t, "GET", "/v1/orgs/"+first.body["id"].(string)+"/members", e.user(t, "owner1"), "")
	wantStatus(t, "owner", r, http.StatusOK)
}
