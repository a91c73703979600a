package gateway

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
	"github.com/portico-gw/portico/internal/platform/identity"
)

const logoutConfig = `
version: 1
auth: {url: "${AUTH}", issuer: "${ISSUER}"}
services:
  a: {targets: ["${A}"]}
routes:
  - {name: me, path: /me, service: a}
  - {name: answer, methods: [POST], path: "/answer/{case}", service: a}
`

// clearSession is the header auth's logout answers with.
const clearSession = "__Host-portico_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"

// TestAnswerEndingSessionInvalidatesExchange has an upstream answer with
// each kind of Set-Cookie after the fake auth revoked the caller's
// session, as auth's logout does: only a 2xx answer clearing the session
// cookie makes the gateway ask auth again (and so answer 401) instead of
// serving the cached exchange.
func TestAnswerEndingSessionInvalidatesExchange(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		setCookie []string
		ends      bool
	}{
		{"logout clears the cookie with Max-Age=0", http.StatusNoContent, []string{clearSession}, true},
		{"Expires in the past clears it", http.StatusOK,
			[]string{"__Host-portico_session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"}, true},
		{"the clearing line after another cookie", http.StatusOK, []string{"theme=; Max-Age=0", clearSession}, true},
		{"another cookie cleared", http.StatusNoContent, []string{"theme=; Path=/; Max-Age=0"}, false},
		{"a cookie whose name starts with the session's", http.StatusNoContent,
			[]string{"__Host-portico_session_hint=; Path=/; Max-Age=0"}, false},
		{"the session cookie set to a new value", http.StatusOK,
			[]string{"__Host-portico_session=renewed; Path=/; Max-Age=3600; HttpOnly; Secure"}, false},
		{"Max-Age keeps it despite a past Expires", http.StatusOK,
			[]string{"__Host-portico_session=renewed; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT"}, false},
		{"no Set-Cookie", http.StatusNoContent, nil, false},
		{"a refused request clearing the cookie", http.StatusForbidden, []string{clearSession}, false},
		{"a failed request clearing the cookie", http.StatusInternalServerError, []string{clearSession}, false},
	}
	fa := authntest.New(t, authntest.Options{})
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/answer/")); err == nil && i < len(cases) {
			w.Header()["Set-Cookie"] = cases[i].setCookie
			w.WriteHeader(cases[i].status)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	tg := mustGatewayWith(t, logoutConfig, map[string]string{"AUTH": fa.URL, "ISSUER": authntest.Issuer, "A": up.URL},
		Options{AuthWorkloadToken: fa.WorkloadToken()})

	do := func(t *testing.T, method, path, session string) int {
		t.Helper()
		req := mustRequest(t, method, tg.srv.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: "__Host-portico_session", Value: session})
		req.Header.Set("Portico-CSRF", "1") // as the dashboard sends it
		resp, _ := mustDo(t, req)
		return resp.StatusCode
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			session := "session-" + itoa(i) + "-hL2n4mJ0pQyB5tVvX8cW1zA7sD3fG6kE9uR0"
			fa.Grant(session, identity.Claims{Subject: "idn_" + itoa(i), Kind: identity.KindUser})
			if got := do(t, "GET", "/me", session); got != http.StatusOK {
				t.Fatalf("GET /me = %d, want 200", got)
			}
			fa.Revoke(session) // as auth's logout revokes the session before it answers
			before := fa.Exchanges()
			if got := do(t, "POST", "/answer/"+itoa(i), session); got != c.status {
				t.Fatalf("POST /answer = %d, want the upstream's %d", got, c.status)
			}
			if n := fa.Exchanges(); n != before {
				t.Fatalf("exchanges = %d after the answer, want %d: the request itself is served from the cache", n, before)
			}

			got := do(t, "GET", "/me", session)
			asked := fa.Exchanges() - before
			switch {
			case c.ends && (got != http.StatusUnauthorized || asked != 1):
				t.Errorf("GET /me after the session ended = %d with %d exchanges, want 401 after asking auth once", got, asked)
			case !c.ends && (got != http.StatusOK || asked != 0):
				t.Errorf("GET /me = %d with %d exchanges, want 200 from the cache (the answer did not end the session)", got, asked)
			}
		})
	}
}

func TestClearsCookie(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	const name = authn.DefaultCookieName
	cases := []struct {
		line string
		want bool
	}{
		{clearSession, true},
		{name + "=; Max-Age=-1", true},
		{name + "=gone; Max-Age=0", true}, // deleted whatever its value
		{name + `=""; Max-Age=0`, true},
		{name + "=; Expires=Fri, 02 Jan 2026 03:04:05 GMT", true},
		{name + "=; Expires=Fri, 02 Jan 2026 03:04:06 GMT", false},
		{name + "=; Expires=not a date", false},
		{name + "=; Max-Age=10; Expires=Thu, 01 Jan 1970 00:00:00 GMT", false},
		{name + "=; Path=/", false},
		{name + "x=; Max-Age=0", false},
		{"other=; Max-Age=0", false},
		{name, false},
		{"", false},
	}
	for _, c := range cases {
		if got := clearsCookie([]string{c.line}, name, now); got != c.want {
			t.Errorf("clearsCookie(%q) = %v, want %v", c.line, got, c.want)
		}
	}
}

// TestAnsweredAllocatesNothing: an answer that sets no session cookie
// costs no allocation.
func TestAnsweredAllocatesNothing(t *testing.T) {
	a := &authenticator{extract: authn.ExtractOptions{CookieName: authn.DefaultCookieName}}
	h := http.Header{"Set-Cookie": {"theme=dark; Path=/", "lang=; Max-Age=0"}, "Content-Type": {"application/json"}}
	c := authn.Credential{Kind: authn.KindSession, Value: "s"}
	if n := testing.AllocsPerRun(100, func() { a.answered(c, h) }); n != 0 {
		t.Errorf("answered allocates %v times, want 0", n)
	}
}
