package auth

import (
	"strings"
	"testing"
)

func TestDetectCredential(t *testing.T) {
	token, _ := GenerateToken()
	key, _, _, _ := GenerateAPIKey()
	for name, tc := range map[string]struct{ in, want string }{
		"session token": {token, CredentialSession},
		"api key":       {key, CredentialAPIKey},
		"jwt":           {"eyJ.eyJ.sig", CredentialBearer},
		"empty":         {"", ""},
		"too long":      {strings.Repeat("a", MaxCredentialLen+1), ""},
		"short":         {"abc", ""},
		"bad alphabet":  {strings.Repeat("+", TokenLen), ""},
	} {
		if got := DetectCredential(tc.in); got != tc.want {
			t.Errorf("%s: got %q, want %q", name, got, tc.want)
		}
	}
}

func FuzzDetectCredential(f *testing.F) {
	token, _ := GenerateToken()
	key, _, _, _ := GenerateAPIKey()
	for _, s := range []string{token, key, "a.b.c", "", "ptc_", strings.Repeat("A", TokenLen)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		switch DetectCredential(s) {
		case CredentialSession:
			if _, err := HashToken(s); err != nil {
				t.Fatalf("%q detected as a session token but HashToken fails: %v", s, err)
			}
		case CredentialAPIKey:
			if !strings.HasPrefix(s, APIKeyPrefix) {
				t.Fatalf("%q detected as an api key without the prefix", s)
			}
		case CredentialBearer:
			if strings.Count(s, ".") != 2 {
				t.Fatalf("%q detected as a jwt without two dots", s)
			}
		case "":
		default:
			t.Fatalf("unknown kind for %q", s)
		}
	})
}
