package signing

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KEKSource yields the key-encryption key that seals the signing keys at
// rest, KEKSize bytes. The auth service reads it once at start.
//
// Where it lives decides who can mint tokens: anyone holding both the KEK
// and the sealed keys (the database) can. So in production the KEK never
// lies beside the database: it comes from the environment (KEKValue, set
// from a Secret), from a file mounted from a Kubernetes Secret (KEKFile
// outside the data directory), or from a key-management service that
// unwraps it (WrappedKEK over a Wrapper).
type KEKSource interface {
	KEK(ctx context.Context) ([]byte, error)
}

// KEKValue is a key-encryption key given as text, such as the
// PORTICO_AUTH_KEK environment variable, in the form ParseKEK reads.
type KEKValue string

// KEK implements KEKSource.
func (v KEKValue) KEK(context.Context) ([]byte, error) { return ParseKEK(string(v)) }

// KEKFile is a key-encryption key in a file of mode 0600, as
// LoadOrCreateKEK reads it. Create makes the file with a new key when it
// does not exist (the development default); without it a missing file is
// an error, as it should be for a mounted Secret.
type KEKFile struct {
	Path   string
	Create bool
}

// KEK implements KEKSource.
func (f KEKFile) KEK(context.Context) ([]byte, error) {
	if f.Create {
		return LoadOrCreateKEK(f.Path)
	}
	return readKEKFile(f.Path)
}

// Wrapper is a key-management service that holds a key it never releases
// and decrypts, with it, data keys wrapped (encrypted) under it: envelope
// encryption. Unwrap returns the plaintext of wrapped, or an error when
// the service refuses or cannot be reached.
//
// The adapter to write for GCP is Cloud KMS (cloud.google.com/go/kms/apiv1,
// not a dependency of this module): Unwrap calls KeyManagementClient.Decrypt
// with Name the CryptoKey's resource name
// ("projects/P/locations/L/keyRings/R/cryptoKeys/K") and Ciphertext wrapped,
// sends CiphertextCrc32C and checks the answer's PlaintextCrc32C, and
// authenticates as the pod's Kubernetes ServiceAccount through Workload
// Identity, which needs only roles/cloudkms.cryptoKeyDecrypter on that one
// key. The wrapped KEK is made once, with
// `gcloud kms encrypt --key K --keyring R --location L --plaintext-file kek --ciphertext-file kek.enc`
// from a fresh 32-byte kek, and kept in base64 where the service can read
// it (a ConfigMap will do: without the KMS key it reveals nothing).
// docs/security.md describes the wiring.
type Wrapper interface {
	Unwrap(ctx context.Context, wrapped []byte) ([]byte, error)
}

// WrappedKEK is a key-encryption key stored wrapped by a Wrapper: Wrapped
// is the ciphertext in standard base64 (surrounding whitespace ignored),
// and the KEK is what Wrapper unwraps it to.
type WrappedKEK struct {
	Wrapper Wrapper
	Wrapped string
}

// KEK implements KEKSource.
func (w WrappedKEK) KEK(ctx context.Context) ([]byte, error) {
	if w.Wrapper == nil {
		return nil, errors.New("unwrap kek: no wrapper")
	}
	ct, err := base64.StdEncoding.DecodeString(strings.TrimSpace(w.Wrapped))
	if err != nil || len(ct) == 0 {
		return nil, errors.New("unwrap kek: the wrapped key is not base64")
	}
	kek, err := w.Wrapper.Unwrap(ctx, ct)
	if err != nil {
		return nil, fmt.Errorf("unwrap kek: %w", err)
	}
	if len(kek) != KEKSize {
		clear(kek)
		return nil, fmt.Errorf("unwrap kek: got %d bytes, want %d", len(kek), KEKSize)
	}
	return kek, nil
}

var (
	_ KEKSource = KEKValue("")
	_ KEKSource = KEKFile{}
	_ KEKSource = WrappedKEK{}
)
