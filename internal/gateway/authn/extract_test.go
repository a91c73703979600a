package authn_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/gateway/authn"
)

const (
	sessionToken = "hL2n4mJ0pQyB5tVvX8cW1zA7sD3fG6kE9uR0iO2aPlM"
	apiKey       = "ptc_01HZX0ABCDEFGHJKMNPQRSTVWX_s3cr3tS3cr3tS3cr3tS3cr3tS3cr3t00"
	accessToken  = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjbGkifQ.c2lnbmF0dXJl"
)

// request builds a GET request with the given headers, in pairs.
func request(headers ...string) *http.Request {
	r := httptest.NewRequest("GET", "/v1/orgs/org_acme/integrations", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

func TestExtract(t *testing.T) {
	withKeyHeader := authn.ExtractOptions{APIKeyHeader: "X-API-Key"}
	for _, tc := range []struct {
		name    string
		o       authn.ExtractOptions
		headers []string
		want    authn.Credential
		wantOK  bool
		wantErr error
	}{
		{name: "nothing", headers: []string{"Cookie", "theme=dark"}},
		{name: "session cookie", headers: []string{"Cookie", "theme=dark; " + authn.DefaultCookieName + "=" + sessionToken},
			want: authn.Credential{Kind: authn.KindSession, Value: sessionToken}, wantOK: true},
		{name: "quoted session cookie", headers: []string{"Cookie", authn.DefaultCookieName + `="` + sessionToken + `"`},
			want: authn.Credential{Kind: authn.KindSession, Value: sessionToken}, wantOK: true},
		{name: "cookie of another name", o: authn.ExtractOptions{CookieName: "sid"},
			headers: []string{"Cookie", authn.DefaultCookieName + "=x; sid=" + sessionToken},
			want:    authn.Credential{Kind: authn.KindSession, Value: sessionToken}, wantOK: true},
		{name: "empty session cookie", headers: []string{"Cookie", authn.DefaultCookieName + "="}},
		{name: "bearer access token", headers: []string{"Authorization", "Bearer " + accessToken},
			want: authn.Credential{Kind: authn.KindBearer, Value: accessToken}, wantOK: true},
		{name: "bearer api key, scheme in lower case", headers: []string{"Authorization", "bearer  " + apiKey},
			want: authn.Credential{Kind: authn.KindAPIKey, Value: apiKey}, wantOK: true},
		{name: "api key header", o: withKeyHeader, headers: []string{"X-API-Key", apiKey},
			want: authn.Credential{Kind: authn.KindAPIKey, Value: apiKey}, wantOK: true},
		{name: "api key header not read by default", headers: []string{"X-API-Key", apiKey}},
		{name: "same api key twice", o: withKeyHeader, headers: []string{"X-API-Key", apiKey, "Authorization", "Bearer " + apiKey},
			want: authn.Credential{Kind: authn.KindAPIKey, Value: apiKey}, wantOK: true},
		{name: "same cookie twice", headers: []string{"Cookie", authn.DefaultCookieName + "=" + sessionToken, "Cookie", authn.DefaultCookieName + "=" + sessionToken},
			want: authn.Credential{Kind: authn.KindSession, Value: sessionToken}, wantOK: true},

		{name: "cookie and bearer", headers: []string{"Cookie", authn.DefaultCookieName + "=" + sessionToken, "Authorization", "Bearer " + accessToken},
			wantErr: authn.ErrAmbiguous},
		{name: "two bearer tokens", headers: []string{"Authorization", "Bearer " + accessToken, "Authorization", "Bearer " + apiKey},
			wantErr: authn.ErrAmbiguous},
		{name: "two api keys", o: withKeyHeader, headers: []string{"X-API-Key", apiKey, "Authorization", "Bearer " + apiKey + "x"},
			wantErr: authn.ErrAmbiguous},
		{name: "two session cookies", headers: []string{"Cookie", authn.DefaultCookieName + "=" + sessionToken + "; " + authn.DefaultCookieName + "=other"},
			wantErr: authn.ErrAmbiguous},
		{name: "basic scheme", headers: []string{"Authorization", "Basic dXNlcjpwYXNz"}, wantErr: authn.ErrMalformed},
		{name: "bearer without token", headers: []string{"Authorization", "Bearer"}, wantErr: authn.ErrMalformed},
		{name: "bearer with two tokens", headers: []string{"Authorization", "Bearer a b"}, wantErr: authn.ErrMalformed},
		{name: "bearer of padding only", headers: []string{"Authorization", "Bearer =="}, wantErr: authn.ErrMalformed},
		{name: "bearer too long", headers: []string{"Authorization", "Bearer " + strings.Repeat("a", authn.MaxCredentialLen+1)},
			wantErr: authn.ErrMalformed},
		{name: "api key header without prefix", o: withKeyHeader, headers: []string{"X-API-Key", "secret"}, wantErr: authn.ErrMalformed},
		{name: "cookie with a space", headers: []string{"Cookie", authn.DefaultCookieName + "=a b"}, wantErr: authn.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := authn.Extract(request(tc.headers...), tc.o)
			if !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			if ok != tc.wantOK || got != tc.want {
				t.Errorf("got (%s %q, %t), want (%s %q, %t)", got.Kind, got.Value, ok, tc.want.Kind, tc.want.Value, tc.wantOK)
			}
		})
	}
}

func TestExtractErrorStatus(t *testing.T) {
	_, _, err := authn.Extract(request("Authorization", "Bearer "+accessToken, "Cookie", authn.DefaultCookieName+"="+sessionToken), authn.ExtractOptions{})
	wantErr(t, "ambiguous", err, authn.ErrAmbiguous, http.StatusBadRequest)
	_, _, err = authn.Extract(request("Authorization", "Basic dXNlcjpwYXNz"), authn.ExtractOptions{})
	wantErr(t, "malformed", err, authn.ErrMalformed, http.StatusUnauthorized)
}

func TestCredentialRedacted(t *testing.T) {
	c := authn.Credential{Kind: authn.KindAPIKey, Value: apiKey}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "credential", c)
	for _, s := range []string{
		fmt.Sprintf("%v %+v %#v %s %q %x", c, c, c, c, c, c),
		fmt.Sprint(c), fmt.Sprint([]authn.Credential{c}), fmt.Sprintf("%+v", struct{ C authn.Credential }{c}),
		logs.String(),
	} {
		if strings.Contains(s, "s3cr3t") {
			t.Errorf("got %q, want the value redacted", s)
		}
	}
	res := authn.Result{Token: "eyJ.internal.token", Subject: "idn_1", Kind: "user"}
	if s := fmt.Sprintf("%v %+v %#v", res, res, res); strings.Contains(s, "internal.token") {
		t.Errorf("got %q, want the token left out", s)
	}
}
