package main

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth/authstore"
	"github.com/portico-gw/portico/internal/auth/signing"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

// TestRotateSigningKey: portico rotate-signing-key makes a new key sign at
// once and retires the old one, which stays published; a replica that
// reloads signs with the new key; the wrong key-encryption key changes
// nothing.
func TestRotateSigningKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kek, err := signing.LoadOrCreateKEK(filepath.Join(dir, authKEKFile))
	if err != nil {
		t.Fatal(err)
	}
	open := func() (*sqldb.DB, *signing.Manager) {
		t.Helper()
		db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, authDBFile), sqldb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		store, err := authstore.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		m, err := signing.New(ctx, store, kek, signing.Options{Issuer: "http://auth.test"})
		if err != nil {
			t.Fatal(err)
		}
		return db, m
	}
	_, replica := open()
	first := signingKID(t, replica)

	rotate := func(want int, env map[string]string) (string, string) {
		var out, errOut strings.Builder
		if code := run(ctx, []string{"rotate-signing-key", "--data-dir", dir}, mapEnv(env), &out, &errOut); code != want {
			t.Fatalf("rotate-signing-key: exit %d, want %d; stderr %s", code, want, errOut.String())
		}
		return out.String(), errOut.String()
	}
	// Another key-encryption key opens nothing and rotates nothing.
	_, stderr := rotate(1, map[string]string{"PORTICO_AUTH_KEK": base64.StdEncoding.EncodeToString(make([]byte, 32))})
	if !strings.Contains(stderr, "signing") {
		t.Errorf("with the wrong key-encryption key: %q, want a signing key error", stderr)
	}
	if err := replica.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := signingKID(t, replica); got != first {
		t.Fatalf("after a refused rotation the signing key is %s, want still %s", got, first)
	}

	out, _ := rotate(0, nil)
	if !strings.Contains(out, "retired: "+first) {
		t.Errorf("rotate-signing-key said %q, want %s named as retired", out, first)
	}
	// The running replica learns of it at its next upkeep.
	if err := replica.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	second := signingKID(t, replica)
	if second == first || !strings.Contains(out, "signing key "+second+" signs from now on") {
		t.Errorf("after rotating, the replica signs with %s (was %s); the command said %q", second, first, out)
	}
	var old *signing.KeyInfo
	for _, k := range replica.Keys() {
		if k.KID == first {
			old = &k
		}
	}
	if old == nil || old.RetiresAt.After(time.Now()) || !old.ExpiresAt.After(time.Now()) {
		t.Errorf("the old key after rotating: %+v, want retired and still published", old)
	}
}

// signingKID returns the kid m signs with now.
func signingKID(t *testing.T, m *signing.Manager) string {
	t.Helper()
	now := time.Now()
	for _, k := range m.Keys() {
		if !now.Before(k.ActivatesAt) && now.Before(k.RetiresAt) {
			return k.KID
		}
	}
	t.Fatal("no key signs now")
	return ""
}
