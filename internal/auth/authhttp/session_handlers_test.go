package authhttp

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

func TestLoginAndSessions(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	id := s.mustIdentity(t, "ada@example.com")
	b := s.browser(t)

	r := s.do(t, b, "GET", "/v1/me", nil)
	wantStatus(t, "me before login", r, http.StatusUnauthorized)
	if got := r.problemType(t); got != "unauthenticated" {
		t.Errorf("got problem %s, want unauthenticated", got)
	}
	r = s.do(t, b, "POST", "/v1/login", map[string]string{"email": "ada@example.com", "password": testPassword}, CSRFHeader, "")
	wantStatus(t, "login without csrf header", r, http.StatusForbidden)

	r = s.do(t, b, "POST", "/v1/login", map[string]string{"email": "ada@example.com", "password": testPassword})
	wantStatus(t, "login", r, http.StatusOK)
	cookie := r.header.Get("Set-Cookie")
	for _, attr := range []string{"__Host-portico_session=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=43200"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("got Set-Cookie %q, want it to contain %q", cookie, attr)
		}
	}
	if strings.Contains(cookie, "Domain=") {
		t.Errorf("got Set-Cookie %q, want no Domain (__Host- cookies may not have one)", cookie)
	}
	var lr loginResponse
	r.json(t, &lr)
	if lr.Session == nil || lr.SecondFactorRequired {
		t.Fatalf("got %+v, want a session", lr)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", cc)
	}

	r = s.do(t, b, "GET", "/v1/me", nil)
	wantStatus(t, "me", r, http.StatusOK)
	var me meResponse
	r.json(t, &me)
	if me.IdentityID != id.ID || me.SessionID != lr.Session.ID || me.Email != "ada@example.com" {
		t.Errorf("got %+v, want identity %s session %s email ada@example.com", me, id.ID, lr.Session.ID)
	}

	other := s.browser(t)
	wantStatus(t, "second login", s.do(t, other, "POST", "/v1/login", map[string]string{"email": "ada@example.com", "password": testPassword}), http.StatusOK)
	r = s.do(t, b, "GET", "/v1/sessions?limit=1", nil)
	wantStatus(t, "list sessions", r, http.StatusOK)
	var page pageJSON[sessionJSON]
	r.json(t, &page)
	if len(page.Items) != 1 || page.NextCursor == "" {
		t.Fatalf("got %d sessions and cursor %q, want 1 and a cursor", len(page.Items), page.NextCursor)
	}
	r = s.do(t, b, "GET", "/v1/sessions?limit=1&cursor="+page.NextCursor, nil)
	var page2 pageJSON[sessionJSON]
	r.json(t, &page2)
	if len(page2.Items) != 1 || page2.NextCursor != "" || page2.Items[0].ID == page.Items[0].ID {
		t.Fatalf("second page: got %+v, want the other session and no cursor", page2)
	}
	otherID := page.Items[0].ID
	if page.Items[0].Current {
		otherID = page2.Items[0].ID
	}
	wantStatus(t, "bad limit", s.do(t, b, "GET", "/v1/sessions?limit=1000", nil), http.StatusBadRequest)
	wantStatus(t, "revoke other session", s.do(t, b, "DELETE", "/v1/sessions/"+otherID, nil), http.StatusNoContent)
	wantStatus(t, "revoked browser", s.do(t, other, "GET", "/v1/me", nil), http.StatusUnauthorized)

	r = s.do(t, b, "POST", "/v1/logout", nil)
	wantStatus(t, "logout", r, http.StatusNoContent)
	if c := r.header.Get("Set-Cookie"); !strings.Contains(c, "Max-Age=0") {
		t.Errorf("logout: got Set-Cookie %q, want the cookie cleared", c)
	}
	if b.session != "" {
		t.Errorf("logout: the browser kept session %q", b.session)
	}
	wantStatus(t, "me after logout", s.do(t, b, "GET", "/v1/me", nil), http.StatusUnauthorized)
	// Behind the gateway, a signed-out browser has no credential left to
	// sign out with.
	wantStatus(t, "logout again", s.do(t, b, "POST", "/v1/logout", nil), http.StatusUnauthorized)
}

func TestLoginErrors(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{TrustedOrigins: []string{"https://dash.example.com"}})
	s.mustIdentity(t, "ada@example.com")
	creds := map[string]string{"email": "ada@example.com", "password": "wrong password"}
	for name, tc := range map[string]struct {
		body   any
		header []string
		status int
		typ    string
	}{
		"wrong password":      {creds, nil, http.StatusUnauthorized, "unauthenticated"},
		"unknown field":       {`{"email":"a@b.c","password":"x","admin":true}`, nil, http.StatusBadRequest, "bad-request"},
		"two values":          {`{"email":"a@b.c","password":"x"} {}`, nil, http.StatusBadRequest, "bad-request"},
		"not json":            {`email=a`, nil, http.StatusBadRequest, "bad-request"},
		"form content type":   {creds, []string{"Content-Type", "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType, "unsupported-media-type"},
		"too large":           {`{"email":"` + strings.Repeat("a", 70<<10) + `"}`, nil, http.StatusRequestEntityTooLarge, "body-too-large"},
		"untrusted origin":    {creds, []string{"Origin", "https://evil.example"}, http.StatusForbidden, "csrf-check-failed"},
		"trusted origin":      {creds, []string{"Origin", "https://dash.example.com"}, http.StatusUnauthorized, "unauthenticated"},
		"wrong type of field": {`{"email":1,"password":"x"}`, nil, http.StatusBadRequest, "bad-request"},
	} {
		t.Run(name, func(t *testing.T) {
			r := s.do(t, nil, "POST", "/v1/login", tc.body, tc.header...)
			wantStatus(t, name, r, tc.status)
			if got := r.problemType(t); got != tc.typ {
				t.Errorf("got problem %s, want %s", got, tc.typ)
			}
		})
	}
}

func TestLoginThrottled(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	s.mustIdentity(t, "ada@example.com")
	for range 5 {
		wantStatus(t, "failure", s.do(t, nil, "POST", "/v1/login", map[string]string{"email": "ada@example.com", "password": "wrong password"}), http.StatusUnauthorized)
	}
	r := s.do(t, nil, "POST", "/v1/login", map[string]string{"email": "ada@example.com", "password": testPassword})
	wantStatus(t, "throttled", r, http.StatusTooManyRequests)
	if ra := r.header.Get("Retry-After"); ra != "1" {
		t.Errorf("got Retry-After %q, want 1", ra)
	}
	if got := r.problemType(t); got != "too-many-attempts" {
		t.Errorf("got problem %s, want too-many-attempts", got)
	}
	s.Clock.Advance(time.Second)
	wantStatus(t, "after the delay", s.do(t, nil, "POST", "/v1/login", map[string]string{"email": "ada@example.com", "password": testPassword}), http.StatusOK)
}

func TestInternalErrorSaysNothing(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	s.mustIdentity(t, "ada@example.com")
	s.DB.Close()
	r := s.do(t, nil, "POST", "/v1/login", map[string]string{"email": "ada@example.com", "password": testPassword}, "X-Request-Id", "req-42")
	wantStatus(t, "broken database", r, http.StatusInternalServerError)
	if got := r.problemType(t); got != "internal" {
		t.Errorf("got problem %s, want internal", got)
	}
	if strings.Contains(string(r.body), "sql") || strings.Contains(string(r.body), "closed") {
		t.Errorf("got body %s, want no internal detail", r.body)
	}
	if !strings.Contains(s.logs.String(), "sql: database is closed") {
		t.Errorf("got logs %q, want the cause logged", s.logs.String())
	}
}

func TestSecondFactorOverHTTP(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	b, _ := s.signedIn(t, "ada@example.com", "")
	r := s.do(t, b, "POST", "/v1/totp", nil)
	wantStatus(t, "enrol", r, http.StatusCreated)
	var en totpEnrolResponse
	r.json(t, &en)
	if !strings.HasPrefix(en.URL, "otpauth://totp/") || en.Secret == "" {
		t.Fatalf("got %+v, want an otpauth URL and a secret", en)
	}
	code, err := totp.GenerateCode(en.Secret, s.Clock.Now())
	if err != nil {
		t.Fatalf("code: %v", err)
	}
	r = s.do(t, b, "POST", "/v1/totp/confirm", map[string]string{"code": code})
	wantStatus(t, "confirm", r, http.StatusOK)
	var rc recoveryCodesResponse
	r.json(t, &rc)
	if len(rc.RecoveryCodes) != auth.RecoveryCodeCount {
		t.Errorf("got %d recovery codes, want %d", len(rc.RecoveryCodes), auth.RecoveryCodeCount)
	}

	s.Clock.Advance(time.Minute)
	nb := s.browser(t)
	r = s.do(t, nb, "POST", "/v1/login", map[string]string{"email": "ada@example.com", "password": testPassword})
	wantStatus(t, "login", r, http.StatusOK)
	var lr loginResponse
	r.json(t, &lr)
	if !lr.SecondFactorRequired || lr.Challenge == "" || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("got %+v (cookie %q), want a challenge and no cookie", lr, r.header.Get("Set-Cookie"))
	}
	wantStatus(t, "wrong code", s.do(t, nb, "POST", "/v1/login/second-factor", map[string]string{"challenge": lr.Challenge, "code": "000000"}), http.StatusUnauthorized)
	code, _ = totp.GenerateCode(en.Secret, s.Clock.Now())
	wantStatus(t, "right code", s.do(t, nb, "POST", "/v1/login/second-factor", map[string]string{"challenge": lr.Challenge, "code": code}), http.StatusOK)
	wantStatus(t, "signed in", s.do(t, nb, "GET", "/v1/me", nil), http.StatusOK)
	s.Clock.Advance(time.Minute)
	code, _ = totp.GenerateCode(en.Secret, s.Clock.Now())
	wantStatus(t, "disable", s.do(t, nb, "POST", "/v1/totp/disable", map[string]string{"code": code}), http.StatusNoContent)
}

func TestPasswordsOverHTTP(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	b, _ := s.signedIn(t, "ada@example.com", "")
	wantStatus(t, "wrong current", s.do(t, b, "POST", "/v1/password/change", map[string]string{"current_password": "nope", "new_password": "a new long password"}), http.StatusUnauthorized)
	wantStatus(t, "change", s.do(t, b, "POST", "/v1/password/change", map[string]string{"current_password": testPassword, "new_password": "a new long password"}), http.StatusNoContent)

	wantStatus(t, "reset request for unknown", s.do(t, nil, "POST", "/v1/password/reset-request", map[string]string{"email": "nobody@example.com"}), http.StatusAccepted)
	wantStatus(t, "reset request", s.do(t, nil, "POST", "/v1/password/reset-request", map[string]string{"email": "ada@example.com"}), http.StatusAccepted)
	sent := s.Mailer.Wait(t, 1)
	if len(sent) != 1 {
		t.Fatalf("got %d mails, want 1", len(sent))
	}
	_, code, _ := strings.Cut(sent[0].Body, "#reset_code=")
	code = code[:auth.TokenLen]
	wantStatus(t, "weak password", s.do(t, nil, "POST", "/v1/password/reset", map[string]string{"reset_code": code, "new_password": "short"}), http.StatusBadRequest)
	wantStatus(t, "reset", s.do(t, nil, "POST", "/v1/password/reset", map[string]string{"reset_code": code, "new_password": "third long password"}), http.StatusNoContent)
	wantStatus(t, "reset again", s.do(t, nil, "POST", "/v1/password/reset", map[string]string{"reset_code": code, "new_password": "fourth long password"}), http.StatusUnauthorized)
	wantStatus(t, "old session", s.do(t, b, "GET", "/v1/me", nil), http.StatusUnauthorized)
	wantStatus(t, "login", s.do(t, nil, "POST", "/v1/login", map[string]string{"email": "ada@example.com", "password": "third long password"}), http.StatusOK)
}

// TestLoginOriginDefaultsToIssuer checks the CSRF origin rule when no
// trusted origin is configured: the issuer's origin is the only one
// accepted, and a request without Origin (not a browser) is not checked.
func TestLoginOriginDefaultsToIssuer(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	s.mustIdentity(t, "ada@example.com")
	creds := map[string]string{"email": "ada@example.com", "password": "wrong password"}
	issuerOrigin, err := ParseOrigin(authtest.IssuerURL)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		header []string
		status int
		typ    string
	}{
		"no origin":       {nil, http.StatusUnauthorized, "unauthenticated"},
		"issuer's origin": {[]string{"Origin", issuerOrigin}, http.StatusUnauthorized, "unauthenticated"},
		"another origin":  {[]string{"Origin", "https://evil.example"}, http.StatusForbidden, "csrf-check-failed"},
		"null origin":     {[]string{"Origin", "null"}, http.StatusForbidden, "csrf-check-failed"},
	} {
		t.Run(name, func(t *testing.T) {
			r := s.do(t, nil, "POST", "/v1/login", creds, tc.header...)
			wantStatus(t, name, r, tc.status)
			if got := r.problemType(t); got != tc.typ {
				t.Errorf("got problem %s, want %s", got, tc.typ)
			}
		})
	}
}

func TestParseOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://Dash.Example.com":        "https://dash.example.com",
		"https://dash.example.com:443/x/": "https://dash.example.com",
		"http://localhost:8080/":          "http://localhost:8080",
		"http://localhost:80":             "http://localhost",
		"https://[::1]:8443":              "https://[::1]:8443",
	} {
		if got, err := ParseOrigin(in); err != nil || got != want {
			t.Errorf("ParseOrigin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "null", "dash.example.com", "ftp://x", "https://u:p@x.example"} {
		if got, err := ParseOrigin(in); err == nil {
			t.Errorf("ParseOrigin(%q) = %q, want an error", in, got)
		}
	}
}
