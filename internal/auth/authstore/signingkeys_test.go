package authstore_test

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/auth/authstore"
	"github.com/portico-gw/portico/internal/auth/authtest"
	"github.com/portico-gw/portico/internal/auth/signing"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

func TestKeyStoreConformance(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			b.Require(t)
			authtest.RunKeyStoreSuite(t, func(t *testing.T) signing.KeyStore {
				s, err := authstore.Open(t.Context(), b.Open(t))
				if err != nil {
					t.Fatalf("open store: %v", err)
				}
				return s
			})
		})
	}
}

// TestSigningKeysStoredSealed reads the signing_keys rows a manager wrote
// and checks that no private key is readable there: the stored bytes,
// and the ciphertext inside them, are no PKCS #8 key, and the public key
// has no private member.
func TestSigningKeysStoredSealed(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			s, err := authstore.Open(t.Context(), db)
			if err != nil {
				t.Fatalf("open store: %v", err)
			}
			kek := make([]byte, signing.KEKSize)
			_, _ = rand.Read(kek)
			for _, alg := range []string{"ES256", "EdDSA"} {
				o := signing.Options{Issuer: "https://auth.portico.test", Algorithm: alg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
				m, err := signing.New(t.Context(), s, kek, o)
				if err != nil {
					t.Fatalf("new manager: %v", err)
				}
				if _, err := m.Rotate(t.Context()); err != nil {
					t.Fatalf("rotate: %v", err)
				}
			}
			rows, err := db.QueryContext(t.Context(), `SELECT kid, public_key, private_key FROM signing_keys`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var kid, public, private string
				if err := rows.Scan(&kid, &public, &private); err != nil {
					t.Fatal(err)
				}
				n++
				sealed, err := base64.StdEncoding.DecodeString(private)
				if err != nil {
					t.Fatalf("key %s: private key column is not base64: %v", kid, err)
				}
				for _, candidate := range [][]byte{sealed, sealed[min(len(sealed), 13):]} {
					if _, err := x509.ParsePKCS8PrivateKey(candidate); err == nil {
						t.Errorf("key %s: a PKCS #8 private key is stored in clear", kid)
					}
				}
				if strings.Contains(public, `"d"`) {
					t.Errorf("key %s: public key has a private member: %s", kid, public)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			// The first manager's first key and one key per rotation.
			if n != 3 {
				t.Errorf("got %d stored keys, want 3", n)
			}
		})
	}
}
