package analytics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Defaults of KeyResolverOptions.
const (
	// DefaultKeyPositiveTTL is how long a found delivery key is reused: a
	// rotation's end or a status change reaches ingestion within it. The
	// configs service's answer says the same (max-age=30).
	DefaultKeyPositiveTTL = 30 * time.Second
	// DefaultKeyNegativeTTL is how long an unknown delivery key is
	// remembered, so a player with a wrong key costs configs one call per
	// interval, not one per batch.
	DefaultKeyNegativeTTL = 10 * time.Second
	// DefaultKeyTimeout bounds one call to the configs service.
	DefaultKeyTimeout = 2 * time.Second
	// DefaultKeyMaxEntries bounds the cache; when full it is emptied.
	DefaultKeyMaxEntries = 10000
	// maxKeyAnswer bounds the answer read from the configs service: 100
	// domains and 100 bundle ids of 255 bytes fit well within it.
	maxKeyAnswer = 256 << 10
)

// The errors of Resolve, matched with errors.Is.
var (
	// ErrUnknownKey: no integration has the delivery key (or the key is
	// malformed).
	ErrUnknownKey = errors.New("unknown delivery key")
	// ErrResolverUnavailable: the configs service could not say; the key
	// is neither known nor unknown.
	ErrResolverUnavailable = errors.New("delivery key resolver unavailable")
)

// KeyResolverOptions configure an HTTPKeyResolver. URL is required.
type KeyResolverOptions struct {
	// URL is the configs service's base URL, such as
	// "http://configs:8083".
	URL string
	// Client makes the calls; it must present the analytics service's
	// workload token for the configs service (workload.Transport).
	// Default http.DefaultClient, which presents none and is refused.
	Client *http.Client
	// PositiveTTL is how long a found key is reused, or less when the
	// answer's Cache-Control max-age says so. Default
	// DefaultKeyPositiveTTL; negative disables caching found keys.
	PositiveTTL time.Duration
	// NegativeTTL is how long an unknown key is remembered, or less when
	// the answer's max-age says so. Default DefaultKeyNegativeTTL;
	// negative disables it.
	NegativeTTL time.Duration
	// MaxEntries bounds the cache. Default DefaultKeyMaxEntries.
	MaxEntries int
	// Timeout bounds one call. Default DefaultKeyTimeout.
	Timeout time.Duration
}

// ResolvedKey is the configs service's answer about a delivery key
// (api/configs.yaml, DeliveryKey).
type ResolvedKey struct {
	IntegrationID string
	OrgID         string
	// Status is active, disabled or bypassed.
	Status string
	// Environment is production or staging.
	Environment string
	// Domains are the integration's allowed domains in canonical form
	// ("example.com", "*.example.com"); none allows loopback only.
	Domains []string
	// BundleIDs are its apps' bundle ids, compared exactly.
	BundleIDs []string
	// Previous is true when the key is the integration's previous one,
	// still accepted during its rotation's overlap.
	Previous bool
}

// HTTPKeyResolver resolves delivery keys with the configs service's
// GET /internal/v1/delivery-keys/{key}, caching found keys for
// PositiveTTL and unknown ones for NegativeTTL; a failure is not cached,
// so the next batch asks again. Concurrent lookups of one key make one
// call. It is safe for concurrent use.
type HTTPKeyResolver struct {
	base   string
	client *http.Client
	o      KeyResolverOptions
	now    func() time.Time

	group singleflight.Group
	mu    sync.Mutex
	cache map[string]keyEntry
}

// keyEntry is one cached answer: a key, or that it is unknown.
type keyEntry struct {
	key     ResolvedKey
	unknown bool
	expires time.Time
}

// NewHTTPKeyResolver returns the HTTPKeyResolver of o, or an error when
// its URL is not an absolute http(s) URL.
func NewHTTPKeyResolver(o KeyResolverOptions) (*HTTPKeyResolver, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("delivery key resolver: %q is not an http(s) URL", o.URL)
	}
	if o.Client == nil {
		o.Client = http.DefaultClient
	}
	// A redirect is no answer of the configs service: its 404 at the end
	// would make every key unknown. A copy, so the caller's client keeps
	// its own policy.
	c := *o.Client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	o.Client = &c
	if o.PositiveTTL == 0 {
		o.PositiveTTL = DefaultKeyPositiveTTL
	}
	if o.NegativeTTL == 0 {
		o.NegativeTTL = DefaultKeyNegativeTTL
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultKeyTimeout
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultKeyMaxEntries
	}
	return &HTTPKeyResolver{base: strings.TrimSuffix(o.URL, "/"), client: o.Client, o: o, now: time.Now,
		cache: map[string]keyEntry{}}, nil
}

// Resolve returns the integration of a delivery key: an error matching
// ErrUnknownKey when there is none (a malformed key is unknown without a
// call), or ErrResolverUnavailable when the configs service did not
// answer as it should. A caller whose ctx ends while it waits for
// another's call gets an error matching ErrResolverUnavailable and
// ctx.Err(); the call goes on for the others.
func (r *HTTPKeyResolver) Resolve(ctx context.Context, key string) (ResolvedKey, error) {
	if !wellFormedDeliveryKey(key) {
		return ResolvedKey{}, ErrUnknownKey
	}
	r.mu.Lock()
	e, ok := r.cache[key]
	r.mu.Unlock()
	if ok && r.now().Before(e.expires) {
		return e.result()
	}
	ch := r.group.DoChan(key, func() (any, error) {
		e, err := r.fetch(ctx, key)
		if err != nil {
			return keyEntry{}, err
		}
		if e.expires.After(r.now()) {
			r.mu.Lock()
			if len(r.cache) >= r.o.MaxEntries {
				clear(r.cache)
			}
			r.cache[key] = e
			r.mu.Unlock()
		}
		return e, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return ResolvedKey{}, res.Err
		}
		return res.Val.(keyEntry).result()
	case <-ctx.Done():
		return ResolvedKey{}, fmt.Errorf("delivery key lookup: %w: %w", ctx.Err(), ErrResolverUnavailable)
	}
}

// result returns a copy of the entry's key, so that callers cannot change
// the cache, or ErrUnknownKey.
func (e keyEntry) result() (ResolvedKey, error) {
	if e.unknown {
		return ResolvedKey{}, ErrUnknownKey
	}
	k := e.key
	k.Domains = slices.Clone(k.Domains)
	k.BundleIDs = slices.Clone(k.BundleIDs)
	return k, nil
}

// keyAnswer is the configs service's answer (api/configs.yaml,
// DeliveryKey).
type keyAnswer struct {
	IntegrationID string   `json:"integration_id"`
	OrgID         string   `json:"org_id"`
	Status        string   `json:"status"`
	Environment   string   `json:"environment"`
	Previous      bool     `json:"previous"`
	Domains       []string `json:"domains"`
	BundleIDs     []string `json:"bundle_ids"`
}

// unavailableKey wraps a failed call as ErrResolverUnavailable; the cause
// is for logs.
func unavailableKey(format string, args ...any) error {
	return fmt.Errorf("delivery key lookup: %w: %w", fmt.Errorf(format, args...), ErrResolverUnavailable)
}

// fetch asks the configs service about key.
func (r *HTTPKeyResolver) fetch(ctx context.Context, key string) (keyEntry, error) {
	// The call serves every caller waiting on it, so one caller leaving
	// does not end it; Timeout bounds it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/internal/v1/delivery-keys/"+url.PathEscape(key), nil)
	if err != nil {
		return keyEntry{}, unavailableKey("%w", err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := r.client.Do(req)
	if err != nil {
		return keyEntry{}, unavailableKey("%w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxKeyAnswer+1))
	if err != nil {
		return keyEntry{}, unavailableKey("read answer: %w", err)
	}
	if len(body) > maxKeyAnswer {
		return keyEntry{}, unavailableKey("answer larger than %d bytes", maxKeyAnswer)
	}
	now := r.now()
	switch res.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		// Only the endpoint's own answer, a problem document, says the
		// key is unknown; a 404 of anything else (a wrong URL, a proxy)
		// must not refuse every batch.
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			return keyEntry{}, unavailableKey("status 404 with content type %q", ct)
		}
		return keyEntry{unknown: true, expires: now.Add(ttl(r.o.NegativeTTL, res.Header))}, nil
	default:
		return keyEntry{}, unavailableKey("status %d: %s", res.StatusCode, snippetOf(body))
	}
	var a keyAnswer
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&a); err != nil {
		return keyEntry{}, unavailableKey("answer is not the JSON expected: %w", err)
	}
	if err := a.check(); err != nil {
		return keyEntry{}, unavailableKey("malformed answer: %w", err)
	}
	k := ResolvedKey{IntegrationID: a.IntegrationID, OrgID: a.OrgID, Status: a.Status, Environment: a.Environment,
		Domains: a.Domains, BundleIDs: a.BundleIDs, Previous: a.Previous}
	if k.Domains == nil {
		k.Domains = []string{}
	}
	if k.BundleIDs == nil {
		k.BundleIDs = []string{}
	}
	return keyEntry{key: k, expires: now.Add(ttl(r.o.PositiveTTL, res.Header))}, nil
}

// check tells what is wrong with an answer, so that a configs service of
// another version fails loudly rather than admit what it should not.
func (a *keyAnswer) check() error {
	switch {
	case !wellFormedID(a.IntegrationID):
		return errors.New("integration_id")
	case !wellFormedID(a.OrgID):
		return errors.New("org_id")
	case a.Status != "active" && a.Status != "disabled" && a.Status != "bypassed":
		return errors.New("status")
	case a.Environment == "" || len(a.Environment) > 32:
		return errors.New("environment")
	case len(a.Domains) > 100 || len(a.BundleIDs) > 100:
		return errors.New("more than 100 domains or bundle ids")
	}
	for _, s := range append(slices.Clip(a.Domains), a.BundleIDs...) {
		if s == "" || len(s) > 255 || !printableText(s) {
			return errors.New("domain or bundle id")
		}
	}
	return nil
}

// ttl is limit, or the answer's Cache-Control max-age when smaller
// (no-store and no-cache count as 0). A non-positive result is not
// cached.
func ttl(limit time.Duration, hd http.Header) time.Duration {
	for _, cc := range hd.Values("Cache-Control") {
		for d := range strings.SplitSeq(cc, ",") {
			d = strings.ToLower(strings.TrimSpace(d))
			if d == "no-store" || d == "no-cache" {
				return 0
			}
			if v, ok := strings.CutPrefix(d, "max-age="); ok {
				if n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64); err == nil && n >= 0 &&
					n < int64(limit/time.Second) {
					limit = time.Duration(n) * time.Second
				}
			}
		}
	}
	return limit
}

// wellFormedDeliveryKey reports whether key has the form of a delivery
// key: "dk_" and 20 characters of lower-case Crockford base32 (the
// configs service's ValidDeliveryKey).
func wellFormedDeliveryKey(key string) bool {
	body, ok := strings.CutPrefix(key, "dk_")
	return ok && len(body) == 20 && bytesAll(body, func(c byte) bool {
		return strings.IndexByte("0123456789abcdefghjkmnpqrstvwxyz", c) >= 0
	})
}

// snippetOf returns the start of a body for a log line.
func snippetOf(b []byte) string {
	const n = 200
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "?")
}
