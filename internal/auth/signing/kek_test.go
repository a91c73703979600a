package signing_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/portico-gw/portico/internal/auth/signing"
)

func TestLoadOrCreateKEK(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.kek")
	kek, err := signing.LoadOrCreateKEK(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if len(kek) != signing.KEKSize {
		t.Fatalf("got %d bytes, want %d", len(kek), signing.KEKSize)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("got mode %#o, want 0600", perm)
	}
	again, err := signing.LoadOrCreateKEK(path)
	if err != nil || !bytes.Equal(again, kek) {
		t.Errorf("reload: got (%x, %v), want the same key", again, err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".kek-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := signing.LoadOrCreateKEK(path); err == nil {
		t.Error("a KEK file others can read was accepted")
	}
}

func TestLoadOrCreateKEKConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.kek")
	const racers = 8
	keks := make([][]byte, racers)
	errs := make([]error, racers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Go(func() {
			<-start
			keks[i], errs[i] = signing.LoadOrCreateKEK(path)
		})
	}
	close(start)
	wg.Wait()
	for i := range racers {
		if errs[i] != nil {
			t.Fatalf("racer %d: %v", i, errs[i])
		}
		if !bytes.Equal(keks[i], keks[0]) {
			t.Errorf("racer %d got another key", i)
		}
	}
}

func TestLoadKEKRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"short":    base64.StdEncoding.EncodeToString(make([]byte, 16)),
		"not b64":  "not a key at all!",
		"too long": string(bytes.Repeat([]byte("A"), 1000)),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := signing.LoadOrCreateKEK(path); err == nil {
			t.Errorf("%s: got nil error, want one", name)
		}
	}
	if _, err := signing.LoadOrCreateKEK(dir); err == nil {
		t.Error("a directory was accepted as a KEK file")
	}
}

func TestParseKEK(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb, 0xff, 0x01}, 11)[:32]
	for _, s := range []string{
		base64.StdEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw),
		base64.URLEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw) + "\n",
	} {
		got, err := signing.ParseKEK(s)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("ParseKEK(%q): got (%x, %v), want %x", s, got, err, raw)
		}
	}
	for _, s := range []string{"", "abc", base64.StdEncoding.EncodeToString(raw[:31]), base64.StdEncoding.EncodeToString(append(raw, 0))} {
		if _, err := signing.ParseKEK(s); err == nil {
			t.Errorf("ParseKEK(%q): got nil error, want one", s)
		}
	}
}
