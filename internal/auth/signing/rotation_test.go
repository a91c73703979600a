package signing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth/signing"
	"github.com/portico-gw/portico/internal/platform/identity"
)

func mustMaintain(tb testing.TB, m *signing.Manager) {
	tb.Helper()
	if err := m.Maintain(tb.Context()); err != nil {
		tb.Fatalf("maintain: %v", err)
	}
}

func mustVerify(tb testing.TB, v *identity.Verifier, what, tok string) {
	tb.Helper()
	if _, err := v.Verify(tb.Context(), tok); err != nil {
		tb.Fatalf("%s: verify: %v", what, err)
	}
}

func wantHits(tb testing.TB, what string, srv *countingServer, want int64) {
	tb.Helper()
	if got := srv.hits.Load(); got != want {
		tb.Errorf("%s: got %d key set fetches, want %d", what, got, want)
	}
}

func wantKIDs(tb testing.TB, what, url string, want ...string) {
	tb.Helper()
	got := jwksKIDs(tb, url)
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		tb.Errorf("%s: published kids %v, want %v", what, got, want)
	}
}

// TestRotateKeepsTokensValid rotates the key and checks, through a real
// JWK Set endpoint and a caching verifier, that tokens signed before the
// rotation verify after it until the retired key's retention ends.
func TestRotateKeepsTokensValid(t *testing.T) {
	clk := newClock()
	store := mustSQLiteStore(t)
	kek := mustKEK(t)
	m := mustManager(t, store, kek, testOptions(clk))
	replica := mustManager(t, store, kek, testOptions(clk))
	srv := newCountingServer(t, m.JWKSHandler())
	v := mustVerifier(t, srv.URL, clk, identity.InternalAudience, identity.InternalTokenType)

	before := mustIssueInternal(t, m)
	kidA := tokenKID(t, before)
	mustVerify(t, v, "token before the rotation", before)
	wantHits(t, "first verification", srv, 1)

	kidB, err := m.Rotate(t.Context())
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	if kidB == kidA {
		t.Fatalf("rotate kept kid %s", kidA)
	}
	after := mustIssueInternal(t, m)
	if kid := tokenKID(t, after); kid != kidB {
		t.Fatalf("token after the rotation signed by %s, want %s", kid, kidB)
	}
	mustVerify(t, v, "token before the rotation, after it", before)
	wantHits(t, "old token from the cache", srv, 1)
	// An immediate rotation skips pre-publication: the verifier, which
	// fetched the set less than its refetch interval ago, does not know
	// the new kid until the interval has passed.
	_, err = v.Verify(t.Context(), after)
	wantErrIs(t, "new kid within the refetch interval", err, identity.ErrUnknownKey)
	wantHits(t, "new kid within the refetch interval", srv, 1)
	clk.Advance(10 * time.Second)
	mustVerify(t, v, "token after the rotation", after)
	wantHits(t, "new kid fetched once", srv, 2)

	// A replica that has not reloaded yet still signs with the retired
	// key; its tokens verify, since the key stays published.
	stale := mustIssueInternal(t, replica)
	if kid := tokenKID(t, stale); kid != kidA {
		t.Fatalf("replica before reloading signs with %s, want %s", kid, kidA)
	}
	mustVerify(t, v, "replica's token", stale)
	mustMaintain(t, replica)
	if kid := tokenKID(t, mustIssueInternal(t, replica)); kid != kidB {
		t.Errorf("replica after reloading signs with %s, want %s", kid, kidB)
	}

	clk.Advance(signing.DefaultInternalTokenLifetime - 11*time.Second)
	mustVerify(t, v, "old token just before its expiry", before)

	// Retention: the retired key stays published for the longest token
	// lifetime plus the cache margin, then is deleted.
	retiredAt := m.Keys()[0].RetiresAt
	expires := retiredAt.Add(signing.DefaultMaxTokenLifetime + signing.DefaultCacheMargin)
	if got := m.Keys()[0].ExpiresAt; !got.Equal(expires) {
		t.Fatalf("retired key expires at %v, want %v", got, expires)
	}
	clk.Set(expires.Add(-time.Microsecond))
	mustMaintain(t, m)
	wantKIDs(t, "just before the retention ends", srv.URL, kidA, kidB)
	clk.Set(expires)
	mustMaintain(t, m)
	wantKIDs(t, "when the retention ends", srv.URL, kidB)
	if keys, err := store.ListSigningKeys(t.Context()); err != nil || len(keys) != 1 || keys[0].KID != kidB {
		t.Errorf("stored keys after retention: got %v (%v), want only %s", keys, err, kidB)
	}
	_, err = v.Verify(t.Context(), before)
	wantErrIs(t, "token of a deleted key", err, identity.ErrUnknownKey)
}

// TestScheduledRotationPrePublishes follows a key through a whole
// scheduled rotation: its successor is published PublishAhead before it
// signs, so a verifier honouring the JWK Set's max-age knows it before the
// first token arrives and never has to look for an unknown kid.
func TestScheduledRotationPrePublishes(t *testing.T) {
	clk := newClock()
	m := mustManager(t, mustSQLiteStore(t), mustKEK(t), testOptions(clk))
	srv := newCountingServer(t, m.JWKSHandler())
	v := mustVerifier(t, srv.URL, clk, identity.InternalAudience, identity.InternalTokenType)
	a := m.Keys()[0]
	if !a.ActivatesAt.Equal(a.CreatedAt) || !a.RetiresAt.Equal(a.ActivatesAt.Add(signing.DefaultRotateEvery)) {
		t.Fatalf("first key: got %+v, want it active at once for %v", a, signing.DefaultRotateEvery)
	}
	mustVerify(t, v, "first token", mustIssueInternal(t, m))

	clk.Set(a.RetiresAt.Add(-signing.DefaultPublishAhead - time.Second))
	mustMaintain(t, m)
	if n := len(m.Keys()); n != 1 {
		t.Fatalf("before the publication time: got %d keys, want 1", n)
	}
	clk.Set(a.RetiresAt.Add(-signing.DefaultPublishAhead))
	mustMaintain(t, m)
	keys := m.Keys()
	if len(keys) != 2 {
		t.Fatalf("at the publication time: got %d keys, want 2", len(keys))
	}
	b := keys[1]
	if b.Generation != a.Generation+1 || !b.ActivatesAt.Equal(a.RetiresAt) || !b.RetiresAt.Equal(a.RetiresAt.Add(signing.DefaultRotateEvery)) {
		t.Errorf("successor: got %+v, want generation %d active from %v", b, a.Generation+1, a.RetiresAt)
	}
	mustMaintain(t, m) // a second round makes nothing more
	if n := len(m.Keys()); n != 2 {
		t.Errorf("after another round: got %d keys, want 2", n)
	}
	wantKIDs(t, "successor published", srv.URL, a.KID, b.KID)

	// Up to the switch the old key signs; the verifier's regular refresh
	// (its cache expired) brings the successor along.
	clk.Set(a.RetiresAt.Add(-time.Minute))
	last := mustIssueInternal(t, m)
	if kid := tokenKID(t, last); kid != a.KID {
		t.Fatalf("before the switch: signed by %s, want %s", kid, a.KID)
	}
	mustVerify(t, v, "last token of the old key", last)
	hits := srv.hits.Load()

	clk.Set(a.RetiresAt)
	first := mustIssueInternal(t, m)
	if kid := tokenKID(t, first); kid != b.KID {
		t.Fatalf("at the switch: signed by %s, want %s", kid, b.KID)
	}
	mustVerify(t, v, "first token of the new key", first)
	mustVerify(t, v, "last token of the old key, after the switch", last)
	wantHits(t, "new key known ahead", srv, hits)

	clk.Set(a.ExpiresAt.Add(-time.Second))
	mustMaintain(t, m)
	wantKIDs(t, "old key during its retention", srv.URL, a.KID, b.KID)
	clk.Set(a.ExpiresAt)
	mustMaintain(t, m)
	wantKIDs(t, "old key after its retention", srv.URL, b.KID)
}

// TestIssueMakesKeyWhenNoneActive covers a manager whose upkeep did not
// run: once its key retires, the next signature makes a new key itself.
func TestIssueMakesKeyWhenNoneActive(t *testing.T) {
	clk := newClock()
	store := mustSQLiteStore(t)
	m := mustManager(t, store, mustKEK(t), testOptions(clk))
	a := m.Keys()[0]
	clk.Set(a.RetiresAt)
	tok := mustIssueInternal(t, m)
	keys, err := store.ListSigningKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[1].Generation != 2 || tokenKID(t, tok) != keys[1].KID {
		t.Errorf("got keys %+v and a token by %s, want a second key signing", keys, tokenKID(t, tok))
	}
}
