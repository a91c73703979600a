package tlsconfig

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultPollInterval is how often a Store reads its files when
// Options.PollInterval is zero.
const DefaultPollInterval = 10 * time.Second

// Pair names a certificate chain and its private key, as PEM files.
type Pair struct {
	// CertFile holds the certificate, then the intermediates clients need
	// to reach a root they trust.
	CertFile string
	// KeyFile holds the certificate's private key (PKCS #1, PKCS #8 or
	// SEC 1); it may be CertFile itself.
	KeyFile string
}

// Options configure a Store.
type Options struct {
	// Pairs are the server's certificates; at least one. A client's SNI
	// picks the first whose names cover it (and whose key the client can
	// use); the first is served to clients without SNI, or naming none.
	Pairs []Pair
	// ClientAuth says whether client certificates are asked for and
	// verified. tls.VerifyClientCertIfGiven and
	// tls.RequireAndVerifyClientCert need ClientCAFiles; the variants that
	// do not verify are refused.
	ClientAuth tls.ClientAuthType
	// ClientCAFiles are PEM bundles of the CAs client certificates are
	// verified against.
	ClientCAFiles []string
	// MinVersion is the lowest TLS version accepted; zero means
	// tls.VersionTLS12.
	MinVersion uint16
	// NextProtos are the ALPN protocols offered, in order of preference
	// (an HTTP server gives "h2", "http/1.1").
	NextProtos []string
	// PollInterval is how often the files are read for changes; zero
	// means DefaultPollInterval.
	PollInterval time.Duration
	// OnReload, when set, is called from Run after each attempt to load
	// changed files, with nil when the new set serves and the reason when
	// it was refused.
	OnReload func(error)
	// Logger receives reloads and refusals; nil discards them.
	Logger *slog.Logger
	// Now tells the time for expiry checks; nil means time.Now.
	Now func() time.Time
}

// Store serves the newest good set of certificates. Create it with New;
// Run keeps it up to date.
type Store struct {
	o   Options
	cur atomic.Pointer[Snapshot]

	// Owned by Run's goroutine.
	pending [32]byte // the digest of a change seen once, waiting to settle
	failed  [32]byte // the digest of the last set refused
}

// Snapshot is one loaded set of files. It is never modified.
type Snapshot struct {
	// Certificates are the server's certificates, in the order of
	// Options.Pairs.
	Certificates []Certificate
	// ClientCAs are the CA certificates client certificates are verified
	// against, in the order of Options.ClientCAFiles.
	ClientCAs []CA

	config *tls.Config
	digest [32]byte
}

// Certificate is one loaded server certificate.
type Certificate struct {
	Pair Pair
	// Leaf is the certificate itself, the first of its chain.
	Leaf *x509.Certificate
}

// CA is one certificate of a client CA bundle.
type CA struct {
	File string
	Cert *x509.Certificate
}

// New loads every file of o and returns a Store serving them, or the
// first problem found (a *FileError when a file is at fault).
func New(o Options) (*Store, error) {
	if len(o.Pairs) == 0 {
		return nil, errors.New("tls: no certificate")
	}
	switch o.ClientAuth {
	case tls.NoClientCert:
		if len(o.ClientCAFiles) > 0 {
			return nil, errors.New("tls: client CA files without client authentication")
		}
	case tls.VerifyClientCertIfGiven, tls.RequireAndVerifyClientCert:
		if len(o.ClientCAFiles) == 0 {
			return nil, errors.New("tls: client certificates are verified but no client CA file is given")
		}
	default:
		return nil, fmt.Errorf("tls: client authentication %v does not verify certificates", o.ClientAuth)
	}
	if o.MinVersion == 0 {
		o.MinVersion = tls.VersionTLS12
	}
	if o.MinVersion < tls.VersionTLS12 {
		return nil, fmt.Errorf("tls: minimum version %s is below TLS 1.2", tls.VersionName(o.MinVersion))
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Store{o: o}
	snap, err := s.load(s.read())
	if err != nil {
		return nil, err
	}
	s.cur.Store(snap)
	return s, nil
}

// Snapshot returns the serving set.
func (s *Store) Snapshot() *Snapshot { return s.cur.Load() }

// ConfigForClient returns the tls.Config of the serving set; it has the
// signature of tls.Config.GetConfigForClient.
func (s *Store) ConfigForClient(*tls.ClientHelloInfo) (*tls.Config, error) {
	return s.cur.Load().config, nil
}

// Config returns a tls.Config for a server: each handshake takes the
// serving set's configuration through GetConfigForClient. Its own
// session ticket keys are the ones every set uses.
func (s *Store) Config() *tls.Config {
	return &tls.Config{
		MinVersion:         s.o.MinVersion,
		NextProtos:         s.o.NextProtos,
		GetConfigForClient: s.ConfigForClient,
	}
}

// Run polls the files every Options.PollInterval until ctx ends, loading
// each change once two polls in a row have read it.
func (s *Store) Run(ctx context.Context) {
	t := time.NewTicker(s.o.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.poll()
		}
	}
}

// poll reads the files once and acts on what changed.
func (s *Store) poll() {
	files := s.read()
	d := digestOf(files)
	cur := s.cur.Load()
	switch {
	case d == cur.digest:
		s.pending = [32]byte{} // back to the serving content
		return
	case d != s.pending:
		s.pending = d // changed: wait for one more poll to see it settled
		return
	case d == s.failed:
		return // refused already; reported once
	}
	snap, err := s.load(files)
	if err != nil {
		s.failed = d
		s.o.Logger.Error("TLS files changed but do not load; the previous certificates keep serving",
			slog.String("error", err.Error()))
		if s.o.OnReload != nil {
			s.o.OnReload(err)
		}
		return
	}
	s.cur.Store(snap)
	s.failed = [32]byte{}
	attrs := []any{slog.Int("certificates", len(snap.Certificates))}
	for i, c := range snap.Certificates {
		attrs = append(attrs, slog.Group("certificate_"+strconv.Itoa(i),
			slog.String("file", c.Pair.CertFile), slog.String("names", strings.Join(Names(c.Leaf), ",")),
			slog.Time("not_after", c.Leaf.NotAfter), slog.String("sha256", Fingerprint(c.Leaf))))
	}
	s.o.Logger.Info("TLS certificates reloaded", attrs...)
	if s.o.OnReload != nil {
		s.o.OnReload(nil)
	}
}

// fileContent is one file as read by one poll.
type fileContent struct {
	path string
	data []byte
	err  error
}

// read reads every file: each pair's certificate and key, then the CA
// bundles.
func (s *Store) read() []fileContent {
	out := make([]fileContent, 0, 2*len(s.o.Pairs)+len(s.o.ClientCAFiles))
	add := func(path string) {
		b, err := readFile(path)
		out = append(out, fileContent{path: path, data: b, err: err})
	}
	for _, p := range s.o.Pairs {
		add(p.CertFile)
		add(p.KeyFile)
	}
	for _, f := range s.o.ClientCAFiles {
		add(f)
	}
	return out
}

// digestOf identifies what read returned: every file's content, or the
// reason it could not be read.
func digestOf(files []fileContent) [32]byte {
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f.path))
		h.Write([]byte{0})
		if f.err != nil {
			h.Write([]byte("error: " + f.err.Error()))
		} else {
			sum := sha256.Sum256(f.data)
			h.Write(sum[:])
		}
		h.Write([]byte{0})
	}
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// load builds a Snapshot from files, as read returned them.
func (s *Store) load(files []fileContent) (*Snapshot, error) {
	for i, f := range files {
		if f.err != nil {
			fe := fileError(f.path, f.err)
			fe.Key = i < 2*len(s.o.Pairs) && i%2 == 1
			return nil, fe
		}
	}
	now := s.o.Now()
	snap := &Snapshot{digest: digestOf(files)}
	certs := make([]tls.Certificate, 0, len(s.o.Pairs))
	for i, p := range s.o.Pairs {
		c, err := ParsePair(p, files[2*i].data, files[2*i+1].data, now)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
		snap.Certificates = append(snap.Certificates, Certificate{Pair: p, Leaf: c.Leaf})
	}
	cfg := &tls.Config{
		Certificates: certs,
		MinVersion:   s.o.MinVersion,
		NextProtos:   s.o.NextProtos,
		ClientAuth:   s.o.ClientAuth,
	}
	if len(s.o.ClientCAFiles) > 0 {
		pool := x509.NewCertPool()
		for j, f := range s.o.ClientCAFiles {
			cas, err := ParseCAs(f, files[2*len(s.o.Pairs)+j].data)
			if err != nil {
				return nil, err
			}
			for _, c := range cas {
				pool.AddCert(c)
				snap.ClientCAs = append(snap.ClientCAs, CA{File: f, Cert: c})
			}
		}
		cfg.ClientCAs = pool
	}
	snap.config = cfg
	return snap, nil
}

// CoversHost reports whether one of the certificates is valid for host,
// a DNS name or an IP address (IPv6 with or without brackets), without a
// port.
func (s *Snapshot) CoversHost(host string) bool {
	for _, c := range s.Certificates {
		if c.Leaf.VerifyHostname(host) == nil {
			return true
		}
	}
	return false
}
