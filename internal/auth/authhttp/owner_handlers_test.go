package authhttp

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// TestClientsOfDisabledIdentity: once the identity that created a client
// is disabled, the token endpoint refuses the client for both grants and
// the exchange refuses the access token it already had.
func TestClientsOfDisabledIdentity(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	b, creator := s.signedIn(t, "adm@example.com", "org_acme")
	id, secret := s.mustCreateClient(t, b, "org_acme", true, "analytics:read")
	tok := s.mustToken(t, id, secret, url.Values{"grant_type": {"client_credentials"}})
	staff := auth.Principal{IdentityID: s.mustIdentity(t, "staff@example.com").ID, Staff: true}
	if _, err := s.Service.SetIdentityStatus(t.Context(), staff, creator.ID, auth.StatusDisabled, ""); err != nil {
		t.Fatalf("disable: %v", err)
	}

	for name, form := range map[string]url.Values{
		"client_credentials": {"grant_type": {"client_credentials"}},
		"refresh_token":      {"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}},
	} {
		t.Run(name, func(t *testing.T) {
			form.Set("client_id", id)
			form.Set("client_secret", secret)
			r := s.do(t, nil, "POST", "/oauth2/token", form)
			wantStatus(t, "token", r, http.StatusUnauthorized)
			if !strings.Contains(string(r.body), "invalid_client") {
				t.Errorf("got %s, want invalid_client", r.body)
			}
		})
	}
	r := s.do(t, nil, "POST", "/internal/v1/exchange", map[string]string{"credential": tok.AccessToken}, s.as(t, workload.Gateway)...)
	wantStatus(t, "exchange of the client's access token", r, http.StatusUnauthorized)
}

// TestResetRequestOverHTTP: known and unknown addresses get the same
// answer, also past the per-address limit (which only stops the mail); the
// client address past its limit gets 429 with Retry-After.
func TestResetRequestOverHTTP(t *testing.T) {
	s := newTestServer(t, auth.Options{ResetLimits: auth.ResetLimitOptions{PerAddress: 1, PerClient: 4}}, Options{})
	s.mustIdentity(t, "ada@example.com")
	ask := func(email string) response {
		return s.do(t, nil, "POST", "/v1/password/reset-request", map[string]string{"email": email})
	}
	var answers []response
	for _, email := range []string{"ada@example.com", "nobody@example.com", "ada@example.com", "nobody@example.com"} {
		r := ask(email)
		wantStatus(t, "request for "+email, r, http.StatusAccepted)
		answers = append(answers, r)
	}
	for i, r := range answers[1:] {
		if !slices.Equal(r.body, answers[0].body) || !slices.Equal(headerNames(r.header), headerNames(answers[0].header)) {
			t.Errorf("answer %d differs from the first: %v %q, want %v %q", i+2, r.header, r.body, answers[0].header, answers[0].body)
		}
	}
	if got := s.Service.MailStats().Queued; got != 1 {
		t.Errorf("got %d mails queued, want 1 (the per-address limit is 1)", got)
	}
	r := ask("someone@example.com")
	wantStatus(t, "past the client address's limit", r, http.StatusTooManyRequests)
	if got := r.problemType(t); got != "too-many-attempts" {
		t.Errorf("got problem type %q, want too-many-attempts", got)
	}
	if got := r.header.Get("Retry-After"); got != "3600" {
		t.Errorf("got Retry-After %q, want 3600", got)
	}
}

func headerNames(h http.Header) []string {
	var names []string
	for k := range h {
		if k != "Date" && k != "X-Request-Id" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}

// TestIntrospectOtherOrganizationOverHTTP: an organization's client with
// the introspection scope gets {"active": false} for another
// organization's token.
func TestIntrospectOtherOrganizationOverHTTP(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	acme, _ := s.signedIn(t, "acme@example.com", "org_acme")
	beta, _ := s.signedIn(t, "beta@example.com", "org_beta")
	spyID, spySecret := s.mustCreateClient(t, acme, "org_acme", false, "auth:introspect")
	id, secret := s.mustCreateClient(t, beta, "org_beta", false, "analytics:read")
	tok := s.mustToken(t, id, secret, url.Values{"grant_type": {"client_credentials"}})
	r := s.do(t, nil, "POST", "/oauth2/introspect", url.Values{"token": {tok.AccessToken}, "client_id": {spyID}, "client_secret": {spySecret}})
	wantStatus(t, "introspect", r, http.StatusOK)
	if got := strings.TrimSpace(string(r.body)); got != `{"active":false}` {
		t.Errorf("got %s, want {\"active\":false}", got)
	}
}
