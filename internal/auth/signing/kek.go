package signing

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KEKSize is the size of a key-encryption key: 256 bits, for AES-256-GCM.
const KEKSize = 32

// maxKEKFileBytes caps what LoadOrCreateKEK reads: a base64 KEK and a
// newline take 45 bytes, the rest is room for whitespace.
const maxKEKFileBytes = 256

// ParseKEK decodes a key-encryption key given as text, such as the
// PORTICO_AUTH_KEK environment variable: KEKSize bytes in standard or URL
// base64, padded or not, surrounding whitespace ignored.
func ParseKEK(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if kek, err := enc.Strict().DecodeString(s); err == nil {
			if len(kek) != KEKSize {
				return nil, fmt.Errorf("parse kek: got %d bytes, want %d", len(kek), KEKSize)
			}
			return kek, nil
		}
	}
	return nil, errors.New("parse kek: not base64")
}

// LoadOrCreateKEK returns the key-encryption key stored in the file at
// path, creating the file with a new random key when it does not exist.
// The file holds the key in base64 on one line and must be readable by its
// owner only (mode 0600); a file others can read is refused. Processes
// racing to create it all end up with the same key: the file appears
// complete in one link(2) or not at all.
func LoadOrCreateKEK(path string) ([]byte, error) {
	kek, err := readKEKFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return kek, err
	}
	if err := createKEKFile(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return readKEKFile(path)
}

func readKEKFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read kek file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read kek file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("read kek file %s: not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("read kek file %s: mode %#o lets others read it, want 0600", path, perm)
	}
	buf, err := io.ReadAll(io.LimitReader(f, maxKEKFileBytes+1))
	defer clear(buf)
	if err != nil {
		return nil, fmt.Errorf("read kek file: %w", err)
	}
	if len(buf) > maxKEKFileBytes {
		return nil, fmt.Errorf("read kek file %s: longer than %d bytes", path, maxKEKFileBytes)
	}
	kek, err := ParseKEK(string(buf))
	if err != nil {
		return nil, fmt.Errorf("read kek file %s: %w", path, err)
	}
	return kek, nil
}

// createKEKFile writes a new key to a temporary file beside path and links
// it into place; it fails with fs.ErrExist when path appeared meanwhile.
func createKEKFile(path string) error {
	kek := make([]byte, KEKSize)
	_, _ = rand.Read(kek) // crypto/rand.Read never returns an error
	text := []byte(base64.StdEncoding.EncodeToString(kek) + "\n")
	clear(kek)
	defer clear(text)

	tmp, err := os.CreateTemp(filepath.Dir(path), ".kek-*")
	if err != nil {
		return fmt.Errorf("create kek file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("create kek file: %w", err)
	}
	if _, err := tmp.Write(text); err != nil {
		tmp.Close()
		return fmt.Errorf("create kek file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("create kek file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("create kek file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("create kek file: %w", err)
	}
	return nil
}
