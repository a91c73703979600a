package authn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// Result is an exchanged credential: the internal token to forward to
// services and whose it is, as the token's verified claims say. It
// formats and logs itself without the token. Results from the cache share
// Claims and ClaimValues, which must not be modified.
type Result struct {
	// Token is the internal token (a JWT for internal audiences).
	Token string
	// ExpiresAt is the token's expiry ("exp").
	ExpiresAt time.Time
	// Subject is the token's subject: an identity, API key or client id.
	Subject string
	// Kind is the subject's kind: user, api_key or client.
	Kind identity.PrincipalKind
	// Claims are the token's claims, verified once when it was exchanged.
	Claims *identity.Claims
	// ClaimValues are the same claims as JSON values by claim name ("sub",
	// "orgs", "scope", ...), for composition templates.
	ClaimValues map[string]any
}

// String describes r without its token.
func (r Result) String() string {
	return fmt.Sprintf("internal token for %s %s until %s", r.Kind, r.Subject, r.ExpiresAt.UTC().Format(time.RFC3339))
}

// Format writes String for every verb, so that no verb prints the token.
func (r Result) Format(f fmt.State, _ rune) { fmt.Fprint(f, r.String()) }

// LogValue implements slog.LogValuer: the token is left out.
func (r Result) LogValue() slog.Value {
	return slog.GroupValue(slog.String("subject", r.Subject), slog.String("kind", string(r.Kind)), slog.Time("expires_at", r.ExpiresAt))
}

// Exchanger exchanges outside credentials for internal tokens at the auth
// service, through a bounded cache. It is safe for concurrent use.
type Exchanger struct {
	o      Options
	client *authClient
	cache  *cache
	// external are Options.External by issuer URL; empty admits none.
	external map[string]*external
}

// errCachedRefusal answers a credential refused moments ago; it is one
// value so that a negative hit allocates nothing.
var errCachedRefusal = fmt.Errorf("exchange: refused moments ago: %w", ErrUnauthenticated)

// New returns an Exchanger with o, or an error if o is not usable.
func New(o Options) (*Exchanger, error) {
	o, u, err := o.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("authn: %w", err)
	}
	v, err := identity.NewVerifier(identity.VerifierOptions{
		Keys:     o.Keys,
		Issuer:   o.Issuer,
		Audience: identity.InternalAudience,
		// Internal tokens live minutes; one claiming more was not minted
		// by auth's exchange, whatever its signature says.
		MaxLifetime: identity.DefaultMaxLifetime,
		Now:         o.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("authn: %w", err)
	}
	ext, err := compileExternal(o.External, o.Issuer)
	if err != nil {
		return nil, fmt.Errorf("authn: %w", err)
	}
	return &Exchanger{
		o:        o,
		external: ext,
		client: &authClient{
			url: u.String(),
			hc: &http.Client{
				Transport: workload.Transport(o.Transport, o.WorkloadToken),
				CheckRedirect: func(*http.Request, []*http.Request) error {
					// The credential is in the body and the workload token in
					// a header: they go nowhere but auth.
					return http.ErrUseLastResponse
				},
			},
			maxBytes: o.MaxResponseBytes,
			verifier: v,
		},
		cache: newCache(o.MaxEntries),
	}, nil
}

// Exchange returns the internal token for c: from the cache when a recent
// exchange of c is still good, else from auth, verified before it is
// cached or returned. A bearer JWT of an external issuer is verified and
// mapped first, and refused without a call to auth when it does not pass
// (Options.External). Errors: ErrMalformed for a credential of no known
// kind or of an impossible length, and when auth calls it malformed;
// ErrUnauthenticated when auth, or the gateway for an outside token,
// refuses it (now or, within NegativeTTL, before); ErrUnavailable when
// auth, or an external issuer's keys, cannot be reached, or auth answers
// with a token that does not verify (then with ErrInvalidToken too); the
// context's error when ctx ends first (the call to auth goes on, for the
// other callers waiting for it and for the cache).
func (x *Exchanger) Exchange(ctx context.Context, c Credential) (Result, error) {
	if !c.valid() {
		x.observe(OutcomeInvalid)
		return Result{}, fmt.Errorf("exchange: %s: %w", c.Kind, ErrMalformed)
	}
	k := keyOf(c)
	s := x.cache.shard(&k)
	now := x.o.Now()
	if e := s.get(&k, now); e != nil {
		if e.refused {
			x.observe(OutcomeNegativeHit)
			return Result{}, errCachedRefusal
		}
		x.observe(OutcomeHit)
		return e.res, nil
	}
	return x.miss(ctx, s, &k, c, now)
}

// miss joins the call to auth in flight for k, or starts one.
func (x *Exchanger) miss(ctx context.Context, s *shard, k *key, c Credential, now time.Time) (Result, error) {
	s.mu.Lock()
	if e := s.freshLocked(k, now); e != nil {
		// Filled in since the read lock was let go.
		s.mu.Unlock()
		if e.refused {
			x.observe(OutcomeNegativeHit)
			return Result{}, errCachedRefusal
		}
		x.observe(OutcomeHit)
		return e.res, nil
	}
	cl, shared := s.calls[*k]
	if !shared {
		cl = &call{done: make(chan struct{})}
		s.calls[*k] = cl
		// The call runs on its own, detached from ctx's cancellation, so
		// that a caller who goes away does not fail the others waiting.
		go x.fetch(context.WithoutCancel(ctx), s, *k, c, cl)
	}
	s.mu.Unlock()
	if shared {
		x.observe(OutcomeShared)
	} else {
		x.observe(OutcomeMiss)
	}
	select {
	case <-cl.done:
		return cl.res, cl.err
	case <-ctx.Done():
		return Result{}, fmt.Errorf("exchange: %w", ctx.Err())
	}
}

// fetch asks auth, caches the answer unless it was invalidated meanwhile,
// and hands it to the waiting callers.
func (x *Exchanger) fetch(ctx context.Context, s *shard, k key, c Credential, cl *call) {
	ctx, cancel := context.WithTimeout(ctx, x.o.Timeout)
	defer cancel()
	start := x.o.Now()
	res, ttl, err := x.exchange(ctx, c)
	s.mu.Lock()
	delete(s.calls, k)
	if !cl.forget {
		switch {
		case err == nil:
			if until := x.cacheUntil(start, res.ExpiresAt, ttl); until.After(start) {
				s.putLocked(&entry{key: k, res: res, until: until}, start)
			}
		case errors.Is(err, ErrUnauthenticated) && x.o.NegativeTTL > 0:
			s.putLocked(&entry{key: k, refused: true, until: start.Add(x.o.NegativeTTL)}, start)
		}
	}
	s.mu.Unlock()
	cl.res, cl.err = res, err
	close(cl.done)
}

// cacheUntil is when an exchange made at start stops being served: after
// the shorter of CacheTTL and auth's ttl, and ExpiryMargin before the
// token expires. Counting from the start of the call keeps the bound on
// a revocation's delay conservative.
func (x *Exchanger) cacheUntil(start, expires time.Time, ttl time.Duration) time.Time {
	if x.o.CacheTTL < 0 || ttl <= 0 {
		return start
	}
	until := start.Add(min(x.o.CacheTTL, ttl))
	if last := expires.Add(-x.o.ExpiryMargin); last.Before(until) {
		until = last
	}
	return until
}

// Invalidate forgets c, accepted or refused, including the answer of a
// call to auth in flight for it; its next Exchange asks auth. Call it when
// the gateway itself sees the credential end, as on logout.
func (x *Exchanger) Invalidate(c Credential) {
	k := keyOf(c)
	s := x.cache.shard(&k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.m[k]; e != nil {
		s.removeLocked(e)
	}
	if cl := s.calls[k]; cl != nil {
		cl.forget = true
	}
}

// Len returns the number of cached exchanges, expired ones not yet
// removed included.
func (x *Exchanger) Len() int { return x.cache.len() }

func (x *Exchanger) observe(o Outcome) {
	if x.o.Observe != nil {
		x.o.Observe(o)
	}
}
