package httpjson

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/platform/page"
	"github.com/portico-gw/portico/internal/platform/problem"
)

func validKey(k string) bool {
	if k == "" || len(k) > 255 {
		return false
	}
	for _, c := range []byte(k) {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func TestIdempotencyKey(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   string
		ok     bool
	}{
		{nil, "", true},
		{[]string{"abc-123"}, "abc-123", true},
		{[]string{`"abc \"x\" \\"`}, `abc "x" \`, true},
		{[]string{"a", "b"}, "", false},
		{[]string{`"unterminated`}, "", false},
		{[]string{`"bad \escape"`}, "", false},
		{[]string{""}, "", false},
		{[]string{strings.Repeat("k", 256)}, "", false},
	} {
		got, err := IdempotencyKey(tc.values, validKey, "1 to 255 printable ASCII characters")
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("IdempotencyKey(%q) = %q, %v; want %q, ok %v", tc.values, got, err, tc.want, tc.ok)
		}
		if err != nil {
			if p, ok := errors.AsType[*problem.Problem](err); !ok || p.Status != http.StatusBadRequest {
				t.Errorf("IdempotencyKey(%q): error %v, want a 400 problem", tc.values, err)
			}
		}
	}
}

func FuzzIdempotencyKey(f *testing.F) {
	f.Add("8e03978e-40d5-43e8-bc93-6894a57f9324")
	f.Add(`"a \"quoted\" key\\"`)
	f.Add(`"unterminated`)
	f.Fuzz(func(t *testing.T, header string) {
		key, err := IdempotencyKey([]string{header}, validKey, "valid")
		if err != nil {
			if _, ok := errors.AsType[*problem.Problem](err); !ok {
				t.Fatalf("got error of type %T, want *problem.Problem", err)
			}
			return
		}
		if !validKey(key) {
			t.Fatalf("IdempotencyKey(%q) = %q, not a valid key", header, key)
		}
		quoted := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(key) + `"`
		if again, err := IdempotencyKey([]string{quoted}, validKey, "valid"); err != nil || again != key {
			t.Fatalf("quoted form %q of %q: got (%q, %v)", quoted, key, again, err)
		}
	})
}

func TestPageParams(t *testing.T) {
	for _, tc := range []struct {
		query  string
		cursor string
		limit  int
		ok     bool
	}{
		{"", "", 100, true},
		{"cursor=abc&limit=5", "abc", 5, true},
		{"limit=100", "", 100, true},
		{"limit=0", "", 0, false},
		{"limit=101", "", 0, false},
		{"limit=x", "", 0, false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/v1/things?"+tc.query, nil)
		cursor, limit, err := PageParams(r, 100)
		if (err == nil) != tc.ok || cursor != tc.cursor || limit != tc.limit {
			t.Errorf("PageParams(%q) = %q, %d, %v; want %q, %d, ok %v", tc.query, cursor, limit, err, tc.cursor, tc.limit, tc.ok)
		}
	}
}

func TestWriteAndToPage(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, http.StatusCreated, ToPage(page.Page[int]{Items: []int{1, 2}, NextCursor: "n"}, func(i int) int { return i * 10 }))
	if rec.Code != http.StatusCreated || rec.Body.String() != `{"items":[10,20],"next_cursor":"n"}`+"\n" ||
		rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Content-Length") != "36" {
		t.Errorf("got %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	rec = httptest.NewRecorder()
	Write(rec, http.StatusOK, ToPage(page.Page[int]{}, func(i int) int { return i }))
	if rec.Body.String() != `{"items":[]}`+"\n" {
		t.Errorf("empty page = %q, want an empty items array", rec.Body.String())
	}
}
