// Command authstub plays the auth service for the authenticated load check
// (bench/run.sh, target portico-authed): the credential exchange and the
// key set the gateway verifies internal tokens with, and nothing else, so
// that a gateway with an auth block can run without the accounts of a
// real auth.
//
// It does what the gateway relies on, for real: POST /internal/v1/exchange
// sits behind a workload.Guard that admits only the gateway's workload
// token, and answers with an internal token (identity.Claims, typ
// portico-internal+jwt, aud portico-internal) signed with ES256 by a key
// published at /.well-known/jwks.json. The gateway's workload token is
// minted by an in-process workload issuer and written to -token-file
// (replaced well before it expires), which the gateway reads as
// auth.workload_token_file.
//
// One credential, -credential, is known; any other is refused with 401 as
// auth refuses an unknown one. Its internal token lives -lifetime and may
// be cached as long (cache_ttl_seconds), so a gateway whose auth.cache_ttl
// is as long exchanges it once and then serves it from its cache. Each
// exchange is logged to stderr.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// Paths the gateway calls, as the auth service serves them.
const (
	exchangePath = "/internal/v1/exchange"
	jwksPath     = "/.well-known/jwks.json"
)

// workloadLifetime is the life of the gateway's workload token: within the
// guard's bound (workload.DefaultMaxTokenLifetime), and rewritten every
// workloadRenew, so the file always holds a token good for a long run.
const (
	workloadLifetime = time.Hour
	workloadRenew    = 20 * time.Minute
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen `address`")
	issuer := flag.String("issuer", "", "the `iss` of internal tokens, the gateway's auth.issuer (default http://ADDR)")
	tokenFile := flag.String("token-file", "", "`file` to write the gateway's workload token to (required)")
	credential := flag.String("credential", "", "the one credential exchanged (required); an API key starts with ptc_")
	subject := flag.String("subject", "key_bench", "the `subject` of the credential's internal tokens")
	org := flag.String("org", "org_bench", "the `organization` the caller acts in")
	lifetime := flag.Duration("lifetime", 10*time.Minute,
		"life of an internal token (the gateway accepts at most 10 minutes), and how long the gateway may cache it")
	flag.Parse()
	if *tokenFile == "" || *credential == "" {
		log.Fatal("authstub: -token-file and -credential are required")
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *issuer == "" {
		*issuer = "http://" + ln.Addr().String()
	}
	s, err := newStub(*issuer, *credential, *subject, *org, *lifetime)
	if err != nil {
		log.Fatal(err)
	}

	// The workload issuer is never fetched from: the guard holds its key.
	wi, err := workload.NewIssuer(workload.IssuerOptions{URL: "http://workload.bench.invalid", Lifetime: workloadLifetime})
	if err != nil {
		log.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	guard, err := workload.NewGuard(workload.GuardOptions{Name: workload.Auth, Issuer: wi.URL(), Keys: wi.Keys(), Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	if err := writeToken(wi, *tokenFile); err != nil {
		log.Fatal(err)
	}
	go func() {
		for range time.Tick(workloadRenew) {
			if err := writeToken(wi, *tokenFile); err != nil {
				log.Print(err)
			}
		}
	}()

	mux := http.NewServeMux()
	mux.Handle("POST "+exchangePath, guard.Admit(http.HandlerFunc(s.exchange), workload.Gateway))
	mux.HandleFunc("GET "+jwksPath, s.serveJWKS)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Println(ln.Addr().String())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// writeToken mints the gateway's workload token toward auth and replaces
// path with it in one rename, so a reader never sees half a token.
func writeToken(wi *workload.Issuer, path string) error {
	tok, _, err := wi.Mint(workload.Gateway, workload.Auth)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token-*")
	if err != nil {
		return err
	}
	_, err = tmp.WriteString(tok + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("authstub: workload token file: %w", err)
	}
	return nil
}

// stub answers exchanges of its one credential.
type stub struct {
	issuer, credential, subject, org string
	lifetime                         time.Duration
	signer                           jose.Signer
	jwks                             []byte
	exchanges                        atomic.Int64
}

func newStub(issuer, credential, subject, org string, lifetime time.Duration) (*stub, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	const kid = "authstub-1"
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(jose.ES256)}},
		(&jose.SignerOptions{}).WithType(identity.InternalTokenType))
	if err != nil {
		return nil, err
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &key.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"},
	}})
	if err != nil {
		return nil, err
	}
	return &stub{issuer: issuer, credential: credential, subject: subject, org: org, lifetime: lifetime,
		signer: signer, jwks: jwks}, nil
}

func (s *stub) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "max-age=3600")
	w.Write(s.jwks)
}

// exchange answers as auth does: the credential's internal token, or 401
// for a credential it does not know (without a challenge: the workload
// token, the request's own Authorization, was fine).
func (s *stub) exchange(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Credential string `json:"credential"`
		Kind       string `json:"kind"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err := json.Unmarshal(body, &req); err != nil || req.Credential == "" {
		problem.Write(w, r, problem.BadRequest("The body must name a credential."))
		return
	}
	if req.Credential != s.credential {
		problem.Write(w, r, problem.New(http.StatusUnauthorized, "unauthenticated", "Unauthenticated",
			"The credentials are missing, wrong, expired or revoked."))
		return
	}
	// The claims auth gives each kind of credential (internal/auth's
	// Exchange), for one caller in one organization.
	c := identity.Claims{Subject: s.subject, CredentialID: s.subject}
	switch req.Kind {
	case "session":
		c.Kind, c.Orgs = identity.KindUser, []identity.OrgRole{{ID: s.org, Role: "owner"}}
	case "bearer":
		c.Kind, c.Orgs, c.ClientID = identity.KindClient, []identity.OrgRole{{ID: s.org, Role: "scoped"}}, "cli_bench"
		c.Scopes = []string{"items:read"}
	default:
		c.Kind, c.Orgs = identity.KindAPIKey, []identity.OrgRole{{ID: s.org, Role: "scoped"}}
		c.Scopes = []string{"items:read"}
	}
	now := time.Now().UTC().Truncate(time.Second)
	c.Issuer, c.Audience = s.issuer, []string{identity.InternalAudience}
	c.IssuedAt, c.Expiry, c.ID = now, now.Add(s.lifetime), jti()
	payload, err := json.Marshal(c)
	if err != nil {
		problem.Write(w, r, problem.Internal())
		return
	}
	jws, err := s.signer.Sign(payload)
	var tok string
	if err == nil {
		tok, err = jws.CompactSerialize()
	}
	if err != nil {
		problem.Write(w, r, problem.Internal())
		return
	}
	n := s.exchanges.Add(1)
	log.Printf("authstub: exchange %d: %s credential, subject %s", n, c.Kind, c.Subject)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{
		"token": tok, "expires_at": c.Expiry, "subject": c.Subject, "kind": c.Kind,
		"cache_ttl_seconds": int(s.lifetime / time.Second),
	})
}

func jti() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return base64.RawURLEncoding.EncodeToString(b[:])
}
