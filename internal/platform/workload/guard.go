package workload

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// Problem types a Guard answers with.
const (
	// ProblemUnauthenticated: no workload token.
	ProblemUnauthenticated = "unauthenticated"
	// ProblemInvalidToken: a workload token that does not verify.
	ProblemInvalidToken = "invalid-token"
	// ProblemForbidden: a verified caller this endpoint does not admit,
	// or a component with no trusted workload issuer.
	ProblemForbidden = "forbidden"
	// ProblemKeysUnavailable: the issuer's keys cannot be fetched.
	ProblemKeysUnavailable = "keys-unavailable"
)

// DefaultMaxTokenLifetime is the longest workload token (exp − iat) a
// Guard admits by default: one hour, Kubernetes' default expirationSeconds
// for a projected ServiceAccount token, plus five minutes for the 3607 s
// the kubelet asks for its own automounted token. A token claiming more
// was not minted as the pod spec asks, so it is refused.
const DefaultMaxTokenLifetime = time.Hour + 5*time.Minute

// GuardOptions configure a Guard. Name is required; without Issuer and
// Keys the Guard refuses every call.
type GuardOptions struct {
	// Name is the component the Guard protects, such as Auth.
	Name string
	// Audience is the "aud" a token must carry; empty means
	// Audience(Name).
	Audience string
	// Issuer is the trusted workload issuer's identifier (its tokens'
	// "iss"): the in-process Issuer's URL, or a cluster's OIDC issuer
	// such as "https://kubernetes.default.svc.cluster.local". Empty
	// means none is trusted.
	Issuer string
	// Keys are the issuer's public keys, usually an *identity.JWKS.
	Keys identity.KeySource
	// SubjectPrefix is removed from a token's "sub" to name the caller:
	// "system:serviceaccount:portico:" when the ServiceAccounts are named
	// after the components, empty for an in-process Issuer. A subject
	// without the prefix names no caller.
	SubjectPrefix string
	// MaxLifetime is the longest lifetime (exp − iat) of an admitted
	// token; zero means DefaultMaxTokenLifetime. A pod spec whose
	// projected token lives longer (expirationSeconds above 3900) needs a
	// larger value, which a shorter-lived token is better than.
	MaxLifetime time.Duration
	// Logger receives a line for every refusal. Nil means slog.Default().
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Guard admits calls to a component's internal endpoints from the
// components named for each endpoint. It is safe for concurrent use.
type Guard struct {
	name   string
	v      *identity.Verifier // nil: no issuer is trusted
	prefix string
	log    *slog.Logger
}

// NewGuard returns a Guard configured by o. Without an issuer it returns a
// Guard that refuses every call (Enabled reports false); an issuer without
// keys, or keys without an issuer, is an error.
func NewGuard(o GuardOptions) (*Guard, error) {
	if o.Name == "" {
		return nil, errors.New("workload guard: name is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	g := &Guard{name: o.Name, prefix: o.SubjectPrefix, log: o.Logger}
	if o.Issuer == "" && o.Keys == nil {
		return g, nil
	}
	if o.Issuer == "" || o.Keys == nil {
		return nil, errors.New("workload guard: an issuer needs its keys, and keys their issuer")
	}
	if o.Audience == "" {
		o.Audience = Audience(o.Name)
	}
	v, err := identity.NewVerifier(identity.VerifierOptions{
		Keys:     o.Keys,
		Issuer:   o.Issuer,
		Audience: o.Audience,
		// Kubernetes' tokens carry no typ; the in-process issuer's carry
		// TokenType. The audience, a callee's own, keeps every other kind
		// of token out.
		Types:       []string{TokenType, "JWT", ""},
		MaxLifetime: cmp.Or(o.MaxLifetime, DefaultMaxTokenLifetime),
		Now:         o.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("workload guard: %w", err)
	}
	g.v = v
	return g, nil
}

// Enabled reports whether the Guard trusts an issuer; a Guard that does
// not refuses every call.
func (g *Guard) Enabled() bool { return g.v != nil }

type callerKey struct{}

// CallerFrom returns the calling component Admit verified.
func CallerFrom(ctx context.Context) (string, bool) {
	c, ok := ctx.Value(callerKey{}).(string)
	return c, ok
}

// Admit returns a handler that serves next only to the named callers,
// with the caller in the request's context (CallerFrom). No token is 401
// unauthenticated; a token that does not verify, 401 invalid-token; a
// verified caller not named, or any call when the Guard trusts no issuer,
// 403 forbidden; keys that cannot be fetched, 503. Every refusal is an
// RFC 9457 problem that names no detail of the token, and a warning in the
// log with the path, the remote address and the reason.
func (g *Guard) Admit(next http.Handler, callers ...string) http.Handler {
	callers = slices.Clone(callers)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, p, reason := g.check(r, callers)
		if p != nil {
			g.log.WarnContext(r.Context(), "internal call refused",
				slog.String("component", g.name), slog.String("path", r.URL.Path),
				slog.String("remote", r.RemoteAddr), slog.String("caller", caller), slog.String("reason", reason))
			if p.Status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer`)
			}
			problem.Write(w, r, p)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller)))
	})
}

var (
	errNoIssuer = problem.New(http.StatusForbidden, ProblemForbidden, "Forbidden",
		"This component trusts no workload issuer, so it serves no internal calls.")
	errNotAdmitted = problem.New(http.StatusForbidden, ProblemForbidden, "Forbidden",
		"This internal endpoint does not admit the calling component.")
	errKeysUnavailable = problem.Unavailable(ProblemKeysUnavailable,
		"The workload token cannot be checked right now; retry shortly.")
)

// check returns the verified caller, or the problem to answer with and
// the reason to log (and the caller when the token named one).
func (g *Guard) check(r *http.Request, callers []string) (string, *problem.Problem, string) {
	if g.v == nil {
		return "", errNoIssuer, "no trusted workload issuer configured"
	}
	token, ok := identity.BearerToken(r.Header.Get("Authorization"))
	if !ok {
		return "", problem.New(http.StatusUnauthorized, ProblemUnauthenticated, "Authentication required",
			"Internal endpoints need a workload token."), "no workload token"
	}
	c, err := g.v.Verify(r.Context(), token)
	if errors.Is(err, identity.ErrKeysUnavailable) {
		return "", errKeysUnavailable, "workload keys unavailable"
	}
	if err != nil {
		return "", problem.New(http.StatusUnauthorized, ProblemInvalidToken, "Invalid token",
			"The workload token was refused."), err.Error()
	}
	caller, ok := strings.CutPrefix(c.Subject, g.prefix)
	if !ok || caller == "" || !slices.Contains(callers, caller) {
		return truncate(c.Subject), errNotAdmitted, "caller not admitted here"
	}
	return caller, nil, ""
}

// truncate shortens a subject from a verified token before it is logged.
func truncate(s string) string {
	const maxLen = 128
	if len(s) <= maxLen {
		return s
	}
	return strings.ToValidUTF8(s[:maxLen], "") + "..."
}
