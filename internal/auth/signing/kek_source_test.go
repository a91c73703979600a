package signing_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"path/filepath"
	"testing"

	"github.com/portico-gw/portico/internal/auth/signing"
)

// aesWrapper stands in for a key-management service: AES-256-GCM under a
// key the test holds, as Cloud KMS would hold it.
type aesWrapper struct {
	aead  cipher.AEAD
	calls int
}

func newAESWrapper(tb testing.TB) *aesWrapper {
	tb.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		tb.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		tb.Fatal(err)
	}
	return &aesWrapper{aead: aead}
}

func (w *aesWrapper) wrap(plain []byte) string {
	nonce := make([]byte, w.aead.NonceSize())
	rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(w.aead.Seal(nonce, nonce, plain, nil))
}

func (w *aesWrapper) Unwrap(_ context.Context, ct []byte) ([]byte, error) {
	w.calls++
	n := w.aead.NonceSize()
	if len(ct) < n {
		return nil, errors.New("short ciphertext")
	}
	return w.aead.Open(nil, ct[:n], ct[n:], nil)
}

func TestKEKSources(t *testing.T) {
	kek := bytes.Repeat([]byte{7}, signing.KEKSize)
	w := newAESWrapper(t)

	t.Run("value", func(t *testing.T) {
		got, err := signing.KEKValue(base64.StdEncoding.EncodeToString(kek)).KEK(t.Context())
		if err != nil || !bytes.Equal(got, kek) {
			t.Errorf("got (%x, %v), want the key", got, err)
		}
	})
	t.Run("file without create", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kek")
		if _, err := (signing.KEKFile{Path: path}).KEK(t.Context()); err == nil {
			t.Error("missing file: got no error, want one (a mounted Secret must exist)")
		}
		created, err := (signing.KEKFile{Path: path, Create: true}).KEK(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		again, err := (signing.KEKFile{Path: path}).KEK(t.Context())
		if err != nil || !bytes.Equal(again, created) {
			t.Errorf("reread: got (%x, %v), want the created key", again, err)
		}
	})
	t.Run("wrapped", func(t *testing.T) {
		got, err := signing.WrappedKEK{Wrapper: w, Wrapped: w.wrap(kek) + "\n"}.KEK(t.Context())
		if err != nil || !bytes.Equal(got, kek) || w.calls != 1 {
			t.Errorf("got (%x, %v) after %d calls, want the key after one", got, err, w.calls)
		}
	})
	for name, src := range map[string]signing.WrappedKEK{
		"no wrapper":           {Wrapped: w.wrap(kek)},
		"not base64":           {Wrapper: w, Wrapped: "not base64!"},
		"refused by the KMS":   {Wrapper: w, Wrapped: base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 60))},
		"unwraps to 16 bytes":  {Wrapper: w, Wrapped: w.wrap(kek[:16])},
		"empty wrapped string": {Wrapper: w, Wrapped: ""},
	} {
		t.Run(name, func(t *testing.T) {
			if got, err := src.KEK(t.Context()); err == nil {
				t.Errorf("got %x, want an error", got)
			}
		})
	}
}
