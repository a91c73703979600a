package observability

import (
	"strings"
	"testing"
)

func TestIsSecretKey(t *testing.T) {
	tests := map[string]bool{
		"authorization": true, "Authorization": true, "Proxy-Authorization": true,
		"cookie": true, "COOKIE": true, "set-cookie": true, "Set-Cookie": true, "set_cookie": true,
		"password": true, "db_password": true, "secret": true, "client.secret": true, "clientSecret": true,
		"token": true, "refresh_token": true, "accessToken": true, "csrf-token": true,
		"api_key": true, "API-KEY": true, "X-Api-Key": true, "apikey": true, "apiKey": true,
		"": false, "tokens": false, "token_count": false, "notoken": false, "passwords_reset_at": false,
		"route": false, "user": false, "key": false, "Secretary": false,
	}
	for key, want := range tests {
		t.Run(key, func(t *testing.T) {
			if got := IsSecretKey(key); got != want {
				t.Errorf("got IsSecretKey(%q) = %v, want %v", key, got, want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "empty", in: "", want: ""},
		{name: "plain", in: "nothing to see", want: "nothing to see"},
		{name: "url userinfo", in: "postgres://user:pw@db:5432/x", want: "postgres://[redacted]@db:5432/x"},
		{name: "url user only", in: "https://ghp_abc@github.example/x", want: "https://[redacted]@github.example/x"},
		{name: "url without userinfo", in: "https://host/a@b", want: "https://host/a@b"},
		{name: "query", in: "/cb?code=1&access_token=abc.def&state=2", want: "/cb?code=1&access_token=[redacted]&state=2"},
		{name: "form", in: "user=ann&password=hunter2", want: "user=ann&password=[redacted]"},
		{name: "dsn", in: "host=db user=app password=pw sslmode=require", want: "host=db user=app password=[redacted] sslmode=require"},
		{name: "quoted dsn value", in: `password='a b' x=1`, want: `password='[redacted]' x=1`},
		{name: "cookie header", in: "theme=dark; session_token=xyz", want: "theme=dark; session_token=[redacted]"},
		{name: "json pair", in: `{"user":"ann","password":"hunter2"}`, want: `{"user":"ann","password":"[redacted]"}`},
		{name: "json escaped quote", in: `{"token":"a\"b","n":1}`, want: `{"token":"[redacted]","n":1}`},
		{name: "prose colon", in: "verify token: signature invalid", want: "verify token: signature invalid"},
		{name: "bearer", in: "Authorization: Bearer eyJhbGciOi.x.y", want: "Authorization: Bearer [redacted]"},
		{name: "bearer lower case", in: "bearer abc123", want: "bearer [redacted]"},
		{name: "basic", in: "Basic dXNlcjpwYXNz", want: "Basic [redacted]"},
		{name: "basic prose", in: "basic checks failed", want: "basic checks failed"},
		{name: "pair with scheme", in: "authorization=Bearer abc123", want: "authorization=Bearer [redacted]"},
		{name: "empty value", in: "token=&a=b", want: "token=&a=b"},
		{name: "word boundary", in: "subbasic X1", want: "subbasic X1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("got Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactDoesNotAllocateWhenClean(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	s := "GET /v1/organizations/acme/integrations?limit=50 from 10.0.0.1: upstream https://configs:8080 answered 200"
	if got := testing.AllocsPerRun(100, func() { Redact(s) }); got != 0 {
		t.Errorf("got %v allocations, want 0", got)
	}
}

// FuzzRedact checks that Redact never panics, is idempotent, and removes the
// value of a secret pair whatever surrounds it.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"", "a=b", "token=x", "https://u:p@h/", "Bearer X", `{"password":"p"}`, "://@", "password='"} {
		f.Add(s, "v4lue")
	}
	f.Fuzz(func(t *testing.T, s, value string) {
		once := Redact(s)
		if twice := Redact(once); twice != once {
			t.Errorf("got Redact(Redact(%q)) = %q, want %q", s, twice, once)
		}
		if value == "" || strings.ContainsFunc(value, func(r rune) bool { return !isKeyChar(byte(r)) || r >= 0x80 }) {
			return
		}
		in := s + " token=" + value
		if got := Redact(in); strings.HasSuffix(got, value) {
			t.Errorf("got Redact(%q) = %q, want the value redacted", in, got)
		}
	})
}
