package workload

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileSourceFollowsRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	write := func(s string, mod time.Time) {
		t.Helper()
		// The kubelet swaps a symlink; a rename is the same to a reader.
		tmp := filepath.Join(dir, "token.tmp")
		if err := os.WriteFile(tmp, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(tmp, mod, mod); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	s := NewFileSource(path, time.Second)
	s.now = func() time.Time { return now }
	ctx := context.Background()

	if _, err := s.Token(ctx); err == nil {
		t.Fatal("Token with no file: no error")
	}
	write("first-token\n", now)
	got, err := s.Token(ctx)
	if err != nil || got != "first-token" {
		t.Fatalf("Token = %q, %v; want first-token (trimmed)", got, err)
	}
	write("second-token", now.Add(time.Minute))
	if got, _ := s.Token(ctx); got != "first-token" {
		t.Errorf("Token within the check interval = %q, want the cached first-token", got)
	}
	now = now.Add(2 * time.Second)
	if got, _ := s.Token(ctx); got != "second-token" {
		t.Errorf("Token after rotation = %q, want second-token", got)
	}
	// In the middle of a swap the file may be gone or empty: the last
	// token stays in use.
	os.Remove(path)
	now = now.Add(2 * time.Second)
	if got, err := s.Token(ctx); got != "second-token" || err != nil {
		t.Errorf("Token with the file gone = %q, %v; want second-token", got, err)
	}
	write("", now.Add(time.Hour))
	now = now.Add(2 * time.Second)
	if got, err := s.Token(ctx); got != "second-token" || err != nil {
		t.Errorf("Token with an empty file = %q, %v; want second-token", got, err)
	}
}

func TestFileSourceRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty":    " \n",
		"too long": strings.Repeat("a", maxTokenFileBytes+1),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if tok, err := NewFileSource(path, 0).Token(context.Background()); err == nil {
				t.Errorf("Token = %.20q, want an error", tok)
			}
		})
	}
}
