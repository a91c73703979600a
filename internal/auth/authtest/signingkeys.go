package authtest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth/signing"
)

// RunKeyStoreSuite runs the conformance tests of signing.KeyStore against
// stores made by open, each test on a fresh, empty store.
func RunKeyStoreSuite(t *testing.T, open func(t *testing.T) signing.KeyStore) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s signing.KeyStore)
	}{
		{"create and list", testSigningKeyCreateList},
		{"create conflicts", testSigningKeyConflicts},
		{"create invalid", testSigningKeyInvalid},
		{"retire", testSigningKeyRetire},
		{"delete expired", testSigningKeyDeleteExpired},
		{"concurrent create same generation", testSigningKeyConcurrentGeneration},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// keyT0 has nanoseconds on purpose: stores keep microseconds.
var keyT0 = time.Date(2026, 5, 1, 8, 30, 0, 123456789, time.UTC)

func newKeyRecord(gen int64, created time.Time) signing.KeyRecord {
	activates := created.Add(24 * time.Hour)
	return signing.KeyRecord{
		KID:              fmt.Sprintf("sk_test%d_%d", gen, created.UnixNano()),
		Generation:       gen,
		Algorithm:        "ES256",
		PublicKey:        []byte(fmt.Sprintf(`{"kty":"EC","crv":"P-256","kid":"k%d"}`, gen)),
		SealedPrivateKey: []byte{1, 2, 3, byte(gen), 0, 255},
		CreatedAt:        created,
		ActivatesAt:      activates,
		RetiresAt:        activates.Add(30 * 24 * time.Hour),
		ExpiresAt:        activates.Add(30*24*time.Hour + 2*time.Hour),
	}
}

// storedKey returns k as a store returns it.
func storedKey(k signing.KeyRecord) signing.KeyRecord {
	k.CreatedAt, k.ActivatesAt = us(k.CreatedAt), us(k.ActivatesAt)
	k.RetiresAt, k.ExpiresAt = us(k.RetiresAt), us(k.ExpiresAt)
	return k
}

func mustCreateSigningKey(t *testing.T, s signing.KeyStore, k signing.KeyRecord) signing.KeyRecord {
	t.Helper()
	got, err := s.CreateSigningKey(t.Context(), k)
	if err != nil {
		t.Fatalf("create signing key %s: %v", k.KID, err)
	}
	return got
}

func mustListSigningKeys(t *testing.T, s signing.KeyStore) []signing.KeyRecord {
	t.Helper()
	keys, err := s.ListSigningKeys(t.Context())
	if err != nil {
		t.Fatalf("list signing keys: %v", err)
	}
	return keys
}

func wantKeys(t *testing.T, what string, got, want []signing.KeyRecord) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func wantKeyErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

func testSigningKeyCreateList(t *testing.T, s signing.KeyStore) {
	if keys := mustListSigningKeys(t, s); keys == nil || len(keys) != 0 {
		t.Errorf("empty store: got %#v, want an empty non-nil list", keys)
	}
	third, first, second := newKeyRecord(3, keyT0.Add(time.Hour)), newKeyRecord(1, keyT0), newKeyRecord(2, keyT0)
	var want []signing.KeyRecord
	for _, k := range []signing.KeyRecord{third, first, second} {
		got := mustCreateSigningKey(t, s, k)
		wantKeys(t, "created key "+k.KID, []signing.KeyRecord{got}, []signing.KeyRecord{storedKey(k)})
	}
	want = []signing.KeyRecord{storedKey(first), storedKey(second), storedKey(third)}
	wantKeys(t, "keys by generation", mustListSigningKeys(t, s), want)

	// The store keeps its own copies of the byte slices.
	k := newKeyRecord(4, keyT0)
	mustCreateSigningKey(t, s, k)
	k.SealedPrivateKey[0], k.PublicKey[0] = 99, 'X'
	keys := mustListSigningKeys(t, s)
	if got := keys[len(keys)-1]; got.SealedPrivateKey[0] != 1 || got.PublicKey[0] != '{' {
		t.Errorf("stored key changed with the caller's slices: got %q / %v", got.PublicKey, got.SealedPrivateKey)
	}
}

func testSigningKeyConflicts(t *testing.T, s signing.KeyStore) {
	first := mustCreateSigningKey(t, s, newKeyRecord(1, keyT0))

	sameKID := newKeyRecord(2, keyT0)
	sameKID.KID = first.KID
	_, err := s.CreateSigningKey(t.Context(), sameKID)
	wantKeyErr(t, "same kid", err, signing.ErrConflict)

	sameGen := newKeyRecord(1, keyT0.Add(time.Second))
	_, err = s.CreateSigningKey(t.Context(), sameGen)
	wantKeyErr(t, "same generation", err, signing.ErrConflict)

	wantKeys(t, "keys after conflicts", mustListSigningKeys(t, s), []signing.KeyRecord{first})
}

func testSigningKeyInvalid(t *testing.T, s signing.KeyStore) {
	for _, tc := range []struct {
		name   string
		mutate func(*signing.KeyRecord)
	}{
		{"no kid", func(k *signing.KeyRecord) { k.KID = "" }},
		{"kid with space", func(k *signing.KeyRecord) { k.KID = "sk bad" }},
		{"long kid", func(k *signing.KeyRecord) { k.KID = string(make([]byte, signing.MaxKIDLen+1)) }},
		{"zero generation", func(k *signing.KeyRecord) { k.Generation = 0 }},
		{"unsupported algorithm", func(k *signing.KeyRecord) { k.Algorithm = "HS256" }},
		{"no public key", func(k *signing.KeyRecord) { k.PublicKey = nil }},
		{"no private key", func(k *signing.KeyRecord) { k.SealedPrivateKey = nil }},
		{"huge private key", func(k *signing.KeyRecord) { k.SealedPrivateKey = make([]byte, signing.MaxSealedKeyBytes+1) }},
		{"activates before created", func(k *signing.KeyRecord) { k.ActivatesAt = k.CreatedAt.Add(-time.Second) }},
		{"retires when it activates", func(k *signing.KeyRecord) { k.RetiresAt = k.ActivatesAt }},
		{"expires before it retires", func(k *signing.KeyRecord) { k.ExpiresAt = k.RetiresAt.Add(-time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKeyRecord(1, keyT0)
			tc.mutate(&k)
			_, err := s.CreateSigningKey(t.Context(), k)
			wantKeyErr(t, "create", err, signing.ErrInvalid)
		})
	}
	if keys := mustListSigningKeys(t, s); len(keys) != 0 {
		t.Errorf("got %d keys after invalid creates, want 0", len(keys))
	}
}

func testSigningKeyRetire(t *testing.T, s signing.KeyStore) {
	k := mustCreateSigningKey(t, s, newKeyRecord(1, keyT0))
	other := mustCreateSigningKey(t, s, newKeyRecord(2, keyT0))

	at := keyT0.Add(48 * time.Hour)
	exp := at.Add(2 * time.Hour)
	if err := s.RetireSigningKey(t.Context(), k.KID, at, exp); err != nil {
		t.Fatalf("retire: %v", err)
	}
	// Retiring again later moves nothing: times only come forward.
	if err := s.RetireSigningKey(t.Context(), k.KID, at.Add(time.Hour), exp.Add(time.Hour)); err != nil {
		t.Fatalf("retire again: %v", err)
	}
	want := k
	want.RetiresAt, want.ExpiresAt = us(at), us(exp)
	wantKeys(t, "keys after retire", mustListSigningKeys(t, s), []signing.KeyRecord{want, other})

	wantKeyErr(t, "retire unknown kid", s.RetireSigningKey(t.Context(), "sk_nope", at, exp), signing.ErrNotFound)
	wantKeyErr(t, "retire after expiry", s.RetireSigningKey(t.Context(), other.KID, exp, at), signing.ErrInvalid)
}

func testSigningKeyDeleteExpired(t *testing.T, s signing.KeyStore) {
	a := mustCreateSigningKey(t, s, newKeyRecord(1, keyT0))
	b := mustCreateSigningKey(t, s, newKeyRecord(2, keyT0.Add(time.Hour)))
	c := mustCreateSigningKey(t, s, newKeyRecord(3, keyT0.Add(2*time.Hour)))

	n, err := s.DeleteExpiredSigningKeys(t.Context(), a.ExpiresAt.Add(-time.Microsecond))
	if err != nil || n != 0 {
		t.Fatalf("delete before any expiry: got (%d, %v), want (0, nil)", n, err)
	}
	// A key is gone from the instant of its ExpiresAt.
	n, err = s.DeleteExpiredSigningKeys(t.Context(), b.ExpiresAt)
	if err != nil || n != 2 {
		t.Fatalf("delete at second expiry: got (%d, %v), want (2, nil)", n, err)
	}
	wantKeys(t, "keys after delete", mustListSigningKeys(t, s), []signing.KeyRecord{c})
}

func testSigningKeyConcurrentGeneration(t *testing.T, s signing.KeyStore) {
	const racers = 8
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, racers)
	)
	for i := range racers {
		wg.Go(func() {
			<-start
			_, errs[i] = s.CreateSigningKey(t.Context(), newKeyRecord(1, keyT0.Add(time.Duration(i)*time.Millisecond)))
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, signing.ErrConflict):
			t.Errorf("racer: got error %v, want nil or %v", err, signing.ErrConflict)
		}
	}
	if won != 1 {
		t.Errorf("got %d racers creating generation 1, want exactly 1", won)
	}
	if keys := mustListSigningKeys(t, s); len(keys) != 1 {
		t.Errorf("got %d keys, want 1", len(keys))
	}
}
