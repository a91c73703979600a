package page

import (
	"errors"
	"testing"
	"time"
)

func validKey(k string) bool { return k != "" && base64URL(k) }

func TestEffectiveLimit(t *testing.T) {
	for limit, want := range map[int]int{0: DefaultLimit, 1: 1, MaxLimit: MaxLimit} {
		if got, err := (Request{Limit: limit}).EffectiveLimit(); err != nil || got != want {
			t.Errorf("limit %d: got %d, %v; want %d", limit, got, err, want)
		}
	}
	for _, limit := range []int{-1, MaxLimit + 1} {
		if _, err := (Request{Limit: limit}).EffectiveLimit(); !errors.Is(err, ErrInvalid) {
			t.Errorf("limit %d: got %v, want ErrInvalid", limit, err)
		}
	}
}

func FuzzParseCursor(f *testing.F) {
	f.Add(Cursor{At: time.UnixMicro(1700000000123456), Key: "org_01HF7YAT00ABCDEFGHJKMNPQRS"}.String())
	f.Add("")
	f.Add("cDEuMS5r")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCursor(s, validKey)
		if err != nil {
			var pe *Error
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &pe) || pe.Message == "" {
				t.Fatalf("got error %v, want an *Error with a message wrapping ErrInvalid", err)
			}
			return
		}
		if got := c.String(); got != s {
			t.Fatalf("round trip: got %q, want %q", got, s)
		}
	})
}
