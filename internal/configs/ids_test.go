package configs

import (
	"testing"
	"time"
)

func TestNewIDs(t *testing.T) {
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	a, b := NewIntegrationID(now), NewIntegrationID(now.Add(time.Millisecond))
	if !ValidIntegrationID(a) || !ValidIntegrationID(b) {
		t.Fatalf("got %q, %q, want valid integration ids", a, b)
	}
	if a >= b {
		t.Errorf("got %q not before %q, want ids ordered by time", a, b)
	}
	for _, id := range []string{"", "int_", "org_" + a[4:], a + "0", "int_" + "8" + a[5:], a[:10] + "i" + a[11:]} {
		if ValidIntegrationID(id) {
			t.Errorf("ValidIntegrationID(%q) = true, want false", id)
		}
	}
	k1, k2 := NewDeliveryKey(), NewDeliveryKey()
	if !ValidDeliveryKey(k1) || k1 == k2 {
		t.Errorf("got keys %q, %q, want two different valid keys", k1, k2)
	}
	for _, k := range []string{"", "dk_", k1[:len(k1)-1], k1 + "a", "DK_" + k1[3:], k1[:5] + "A" + k1[6:], k1[:5] + "u" + k1[6:]} {
		if ValidDeliveryKey(k) {
			t.Errorf("ValidDeliveryKey(%q) = true, want false", k)
		}
	}
}

func TestETag(t *testing.T) {
	for _, n := range []int{1, 9, 10, 12345} {
		tag := SettingsVersion{Version: n}.ETag()
		if got, ok := ParseETag(tag); !ok || got != n {
			t.Errorf("ParseETag(%s): got %d, %v, want %d", tag, got, ok, n)
		}
	}
	for _, tag := range []string{"", `"v"`, `"v0"`, `"v01"`, `W/"v1"`, `*`, `"v1", "v2"`, `v1`, `"v-1"`, `"v+1"`} {
		if n, ok := ParseETag(tag); ok {
			t.Errorf("ParseETag(%s): got %d, want no version", tag, n)
		}
	}
}
