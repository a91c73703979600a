package tlsconfig

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// MaxFileSize caps each certificate, key or CA file read. A chain of a
// few certificates is a few kilobytes; a CA bundle of every public root is
// about 250 KB.
const MaxFileSize = 1 << 20

// FileError is a problem with one of the files of a Pair or a CA bundle.
type FileError struct {
	// File is the file at fault: the key file when the key is missing,
	// unreadable or does not match the certificate.
	File string
	// Key is true when the problem is with a pair's key rather than its
	// certificate (the two may share a file).
	Key bool
	// Msg says what is wrong.
	Msg string
}

func (e *FileError) Error() string { return e.File + ": " + e.Msg }

// readFile reads at most MaxFileSize bytes of path.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxFileSize)
	}
	return b, nil
}

// fileError turns an error of reading path into a FileError that does not
// repeat the path.
func fileError(path string, err error) *FileError {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &FileError{File: path, Msg: "cannot be read: " + err.Error()}
}

// LoadPair reads the PEM certificate chain at p.CertFile and its key at
// p.KeyFile and checks them as ParsePair does.
func LoadPair(p Pair, now time.Time) (tls.Certificate, error) {
	cert, err := readFile(p.CertFile)
	if err != nil {
		return tls.Certificate{}, fileError(p.CertFile, err)
	}
	key, err := readFile(p.KeyFile)
	if err != nil {
		fe := fileError(p.KeyFile, err)
		fe.Key = true
		return tls.Certificate{}, fe
	}
	return ParsePair(p, cert, key, now)
}

// ParsePair parses a PEM certificate chain and its PEM private key, the
// contents of p's files, and checks that the key belongs to the first
// certificate, that this certificate names at least one DNS name or IP
// address (clients ignore the common name), that it may serve TLS (its
// extended key usages, when it has any, include server authentication)
// and that it has not expired at now.
func ParsePair(p Pair, certPEM, keyPEM []byte, now time.Time) (tls.Certificate, error) {
	if !hasBlock(certPEM, "CERTIFICATE") {
		return tls.Certificate{}, &FileError{File: p.CertFile, Msg: "holds no PEM CERTIFICATE block"}
	}
	if !hasKeyBlock(keyPEM) {
		return tls.Certificate{}, &FileError{File: p.KeyFile, Key: true, Msg: "holds no PEM private key block"}
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "tls: ")
		if strings.Contains(msg, "private key") {
			switch {
			case strings.Contains(msg, "does not match"):
				msg = "the key does not belong to the certificate in " + p.CertFile
			case strings.Contains(msg, "parse"):
				msg = "holds no PKCS #1, PKCS #8 or SEC 1 private key"
			}
			return tls.Certificate{}, &FileError{File: p.KeyFile, Key: true, Msg: msg}
		}
		return tls.Certificate{}, &FileError{File: p.CertFile, Msg: msg}
	}
	leaf := c.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return tls.Certificate{}, &FileError{File: p.CertFile, Msg: err.Error()}
		}
		c.Leaf = leaf
	}
	if len(leaf.DNSNames) == 0 && len(leaf.IPAddresses) == 0 {
		return tls.Certificate{}, &FileError{File: p.CertFile, Msg: fmt.Sprintf(
			"the certificate (%s) names no DNS name or IP address in its subject alternative names; clients ignore the common name", leaf.Subject)}
	}
	if len(leaf.ExtKeyUsage) > 0 && !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) &&
		!slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageAny) {
		return tls.Certificate{}, &FileError{File: p.CertFile, Msg: "the certificate's extended key usage does not include server authentication"}
	}
	if now.After(leaf.NotAfter) {
		return tls.Certificate{}, &FileError{File: p.CertFile, Msg: fmt.Sprintf("the certificate (%s) expired at %s",
			strings.Join(Names(leaf), ", "), leaf.NotAfter.UTC().Format(time.RFC3339))}
	}
	return c, nil
}

// LoadCAs reads a PEM bundle of CA certificates.
func LoadCAs(file string) ([]*x509.Certificate, error) {
	b, err := readFile(file)
	if err != nil {
		return nil, fileError(file, err)
	}
	return ParseCAs(file, b)
}

// ParseCAs parses a PEM bundle of CA certificates, the content of file:
// at least one CERTIFICATE block, and nothing else but blocks of other
// types and text between them (which bundles often carry).
func ParseCAs(file string, data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, &FileError{File: file, Msg: fmt.Sprintf("certificate %d: %v", len(out)+1, err)}
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, &FileError{File: file, Msg: "holds no PEM CERTIFICATE block"}
	}
	return out, nil
}

func hasBlock(data []byte, typ string) bool {
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return false
		}
		if b.Type == typ {
			return true
		}
	}
}

func hasKeyBlock(data []byte) bool {
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return false
		}
		if b.Type == "PRIVATE KEY" || strings.HasSuffix(b.Type, " PRIVATE KEY") {
			return true
		}
	}
}

// Names returns the DNS names and IP addresses a certificate is valid for.
func Names(c *x509.Certificate) []string {
	out := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

// Fingerprint returns the SHA-256 of a certificate's DER encoding in lower
// case hexadecimal, without separators.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// DisplayFingerprint returns the SHA-256 of a certificate's DER encoding
// as browsers show it: upper case hexadecimal bytes joined by colons.
func DisplayFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}
