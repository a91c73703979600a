package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2026, 5, 6, 7, 8, 9, 123456000, time.UTC)
	c := Cursor{At: at, ID: NewID(APIKeyIDPrefix, at)}
	got, err := ParseCursor(c.String(), APIKeyIDPrefix)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if !got.At.Equal(c.At) || got.ID != c.ID {
		t.Errorf("got %+v, want %+v", got, c)
	}
}

func TestParseCursorRejects(t *testing.T) {
	id := NewID(APIKeyIDPrefix, time.Now())
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct{ name, s string }{
		{"garbage", "%%%"},
		{"padded", enc("c1.1."+id) + "="},
		{"other version", enc("c2.1." + id)},
		{"negative time", enc("c1.-1." + id)},
		{"leading zero", enc("c1.01." + id)},
		{"time overflow", enc("c1.99999999999999999999." + id)},
		{"other kind of id", enc("c1.1." + NewID(SessionIDPrefix, time.Now()))},
		{"extra part", enc("c1.1." + id + ".x")},
		{"too long", strings.Repeat("A", maxCursorLen+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseCursor(tc.s, APIKeyIDPrefix); !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseCursor(%q): got %v, want %v", tc.s, err, ErrInvalid)
			}
		})
	}
}

func TestPageRequestEffectiveLimit(t *testing.T) {
	for _, tc := range []struct {
		limit, want int
		ok          bool
	}{
		{0, DefaultPageLimit, true},
		{1, 1, true},
		{MaxPageLimit, MaxPageLimit, true},
		{MaxPageLimit + 1, 0, false},
		{-1, 0, false},
	} {
		got, err := PageRequest{Limit: tc.limit}.EffectiveLimit()
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("limit %d: got (%d, %v), want (%d, ok=%v)", tc.limit, got, err, tc.want, tc.ok)
		}
	}
}

// FuzzParseCursor checks that the parser never panics and that every
// cursor it accepts re-encodes to the same string.
func FuzzParseCursor(f *testing.F) {
	f.Add(Cursor{At: time.UnixMicro(1700000000123456), ID: "key_01HF7YAT00ABCDEFGHJKMNPQRS"}.String())
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCursor(s, APIKeyIDPrefix)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got error %v, want one wrapping ErrInvalid", err)
			}
			return
		}
		if got := c.String(); got != s {
			t.Fatalf("round trip: got %q, want %q", got, s)
		}
	})
}
