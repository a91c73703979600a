package auth

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewID(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	id := NewID(SessionIDPrefix, at)
	if !ValidID(SessionIDPrefix, id) {
		t.Fatalf("NewID gave %q, which ValidID rejects", id)
	}
	if ValidID(IdentityIDPrefix, id) {
		t.Errorf("ValidID(%q, %q) = true, want false for another kind", IdentityIDPrefix, id)
	}
	// The time prefix is the 48-bit millisecond count in base32.
	if got, want := id[4:14], "01KDYAK348"; got != want {
		t.Errorf("time part of %q: got %s, want %s", id, got, want)
	}
}

func TestNewIDSortsByTime(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var ids []string
	for i := range 100 {
		ids = append(ids, NewID(AuditEventIDPrefix, at.Add(time.Duration(i)*time.Millisecond)))
	}
	if !slices.IsSorted(ids) {
		t.Errorf("IDs made in successive milliseconds are not sorted: %v", ids)
	}
	seen := map[string]bool{}
	for range 1000 {
		id := NewID(AuditEventIDPrefix, at)
		if seen[id] {
			t.Fatalf("ID %q made twice in one millisecond", id)
		}
		seen[id] = true
	}
}

func TestValidIDRejects(t *testing.T) {
	good := NewID(IdentityIDPrefix, time.Now())
	for _, tc := range []struct{ name, id string }{
		{"empty", ""},
		{"prefix only", IdentityIDPrefix},
		{"short", good[:len(good)-1]},
		{"long", good + "0"},
		{"lower case", IdentityIDPrefix + strings.ToLower(good[4:])},
		{"letter U", good[:len(good)-1] + "U"},
		{"overflowing first digit", IdentityIDPrefix + "8" + good[5:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ValidID(IdentityIDPrefix, tc.id) {
				t.Errorf("ValidID(%q) = true, want false", tc.id)
			}
		})
	}
}
