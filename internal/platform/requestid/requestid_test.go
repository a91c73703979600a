package requestid

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNewIsValidAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := New()
		if len(id) != 26 || !Valid(id) {
			t.Fatalf("New() = %q, want 26 valid characters", id)
		}
		if seen[id] {
			t.Fatalf("New() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestFromRequest(t *testing.T) {
	cases := []struct {
		name, in string
		keep     bool
	}{
		{"valid id is kept", "abc-123_x.y:z=", true},
		{"empty gets a new one", "", false},
		{"space is refused", "a b", false},
		{"newline is refused", "a\nb", false},
		{"quote is refused", `a"b`, false},
		{"overlong is refused", strings.Repeat("a", MaxLen+1), false},
		{"longest accepted", strings.Repeat("a", MaxLen), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if c.in != "" {
				r.Header.Set(Header, c.in)
			}
			got := FromRequest(r)
			if (got == c.in) != c.keep {
				t.Errorf("FromRequest = %q for %q, want kept %v", got, c.in, c.keep)
			}
			if !Valid(got) {
				t.Errorf("FromRequest = %q, not valid", got)
			}
		})
	}
}

// FuzzValid checks that any id Valid accepts is safe to write into a log
// line or a header unquoted.
func FuzzValid(f *testing.F) {
	f.Add("abc")
	f.Add("a\r\nb")
	f.Fuzz(func(t *testing.T, s string) {
		if Valid(s) && strings.ContainsAny(s, " \t\r\n\"\\<>{}") {
			t.Fatalf("Valid accepted %q", s)
		}
	})
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		New()
	}
}
