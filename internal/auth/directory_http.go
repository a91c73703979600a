package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Defaults of HTTPDirectoryOptions.
const (
	// DefaultDirectoryCacheTTL is how long an answer of the accounts
	// service is reused. Its purpose is that the two questions auth asks
	// of one identity when it issues a token (Memberships, then IsStaff)
	// cost one call; it adds to the delay with which a membership change
	// reaches new tokens (docs/operations.md, "Membership changes").
	DefaultDirectoryCacheTTL = 2 * time.Second
	// DefaultDirectoryTimeout bounds one call to the accounts service.
	DefaultDirectoryTimeout = 5 * time.Second
	// DefaultDirectoryMaxEntries bounds the cache; when full it is
	// emptied.
	DefaultDirectoryMaxEntries = 10000
	// maxDirectoryBody bounds the answer read from the accounts service.
	maxDirectoryBody = 1 << 20
)

// HTTPDirectoryOptions configure an HTTPDirectory. URL is required.
type HTTPDirectoryOptions struct {
	// URL is the accounts service's base URL, such as
	// "http://accounts:8082".
	URL string
	// Client makes the calls; it must present auth's workload token for
	// the accounts service (workload.Transport). Default
	// http.DefaultClient, which presents none and is refused.
	Client *http.Client
	// CacheTTL is how long an answer is reused; negative disables the
	// cache. Default DefaultDirectoryCacheTTL.
	CacheTTL time.Duration
	// Timeout bounds one call. Default DefaultDirectoryTimeout.
	Timeout time.Duration
	// MaxEntries bounds the cache. Default DefaultDirectoryMaxEntries.
	MaxEntries int
}

// HTTPDirectory is the Directory the accounts service keeps: it asks
// GET /internal/v1/identities/{id}/memberships (api/accounts.yaml) and
// reuses the answer for CacheTTL. Memberships of suspended organizations
// are left out, so that their members' tokens name them no more. A call
// that fails is an error matching ErrUnavailable: auth then issues no
// token rather than one without the organizations. It is safe for
// concurrent use.
type HTTPDirectory struct {
	base   string
	client *http.Client
	o      HTTPDirectoryOptions
	now    func() time.Time

	group singleflight.Group
	mu    sync.Mutex
	cache map[string]directoryEntry
	orgs  map[string]orgEntry
}

// orgEntry is one organization's answer and when it was fetched.
type orgEntry struct {
	info OrgInfo
	at   time.Time
}

// directoryEntry is one identity's answer and when it was fetched.
type directoryEntry struct {
	memberships []Membership
	staff       bool
	at          time.Time
}

// NewHTTPDirectory returns the HTTPDirectory of o, or an error when its
// URL is not an absolute http(s) URL.
func NewHTTPDirectory(o HTTPDirectoryOptions) (*HTTPDirectory, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("accounts directory: %q is not an http(s) URL", o.URL)
	}
	if o.Client == nil {
		o.Client = http.DefaultClient
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = DefaultDirectoryCacheTTL
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultDirectoryTimeout
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultDirectoryMaxEntries
	}
	return &HTTPDirectory{base: strings.TrimSuffix(o.URL, "/"), client: o.Client, o: o, now: time.Now,
		cache: map[string]directoryEntry{}, orgs: map[string]orgEntry{}}, nil
}

// Memberships implements Directory.
func (d *HTTPDirectory) Memberships(ctx context.Context, identityID string) ([]Membership, error) {
	e, err := d.lookup(ctx, identityID)
	if err != nil {
		return nil, err
	}
	return append([]Membership{}, e.memberships...), nil
}

// IsStaff implements Directory.
func (d *HTTPDirectory) IsStaff(ctx context.Context, identityID string) (bool, error) {
	e, err := d.lookup(ctx, identityID)
	return e.staff, err
}

// Organization implements Directory: GET
// /internal/v1/orgs/{org}, its answer reused for CacheTTL like an
// identity's. An organization the accounts service does not know is
// ErrNotFound (and not cached).
func (d *HTTPDirectory) Organization(ctx context.Context, orgID string) (OrgInfo, error) {
	if d.o.CacheTTL > 0 {
		d.mu.Lock()
		e, ok := d.orgs[orgID]
		d.mu.Unlock()
		if ok && d.now().Sub(e.at) < d.o.CacheTTL {
			return e.info, nil
		}
	}
	v, err, _ := d.group.Do("org "+orgID, func() (any, error) {
		info, err := d.fetchOrg(ctx, orgID)
		if err != nil {
			return OrgInfo{}, err
		}
		if d.o.CacheTTL > 0 {
			d.mu.Lock()
			if len(d.orgs) >= d.o.MaxEntries {
				clear(d.orgs)
			}
			d.orgs[orgID] = orgEntry{info: info, at: d.now()}
			d.mu.Unlock()
		}
		return info, nil
	})
	if err != nil {
		return OrgInfo{}, err
	}
	return v.(OrgInfo), nil
}

// fetchOrg asks the accounts service about an organization.
func (d *HTTPDirectory) fetchOrg(ctx context.Context, orgID string) (OrgInfo, error) {
	if !ValidID(orgIDPrefix, orgID) {
		return OrgInfo{}, NewError(ErrNotFound, "no such organization")
	}
	body, status, err := d.get(ctx, "/internal/v1/orgs/"+url.PathEscape(orgID))
	switch {
	case err != nil:
		return OrgInfo{}, err
	case status == http.StatusNotFound:
		return OrgInfo{}, NewError(ErrNotFound, "no such organization")
	case status != http.StatusOK:
		return OrgInfo{}, unavailable("accounts directory: status %d: %s", status, snippet(body))
	}
	var a struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Staff  bool   `json:"staff"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.ID != orgID || (a.Status != "active" && a.Status != "suspended") {
		return OrgInfo{}, unavailable("accounts directory: organization answer is not the JSON expected")
	}
	return OrgInfo{Active: a.Status == "active", Staff: a.Staff}, nil
}

// Forget drops the cached answer for an identity, so that the next token
// issued for it reads its memberships afresh.
func (d *HTTPDirectory) Forget(identityID string) {
	d.mu.Lock()
	delete(d.cache, identityID)
	d.mu.Unlock()
}

// lookup returns the cached answer for identityID when fresh, and asks
// the accounts service otherwise; concurrent lookups of one identity make
// one call.
func (d *HTTPDirectory) lookup(ctx context.Context, identityID string) (directoryEntry, error) {
	if d.o.CacheTTL > 0 {
		d.mu.Lock()
		e, ok := d.cache[identityID]
		d.mu.Unlock()
		if ok && d.now().Sub(e.at) < d.o.CacheTTL {
			return e, nil
		}
	}
	v, err, _ := d.group.Do(identityID, func() (any, error) {
		e, err := d.fetch(ctx, identityID)
		if err != nil {
			return directoryEntry{}, err
		}
		if d.o.CacheTTL > 0 {
			d.mu.Lock()
			if len(d.cache) >= d.o.MaxEntries {
				clear(d.cache)
			}
			d.cache[identityID] = e
			d.mu.Unlock()
		}
		return e, nil
	})
	if err != nil {
		return directoryEntry{}, err
	}
	return v.(directoryEntry), nil
}

// directoryAnswer is the accounts service's answer (api/accounts.yaml,
// IdentityMemberships).
type directoryAnswer struct {
	IdentityID  string `json:"identity_id"`
	Memberships []struct {
		OrgID     string `json:"org_id"`
		Role      string `json:"role"`
		OrgStatus string `json:"org_status"`
		Staff     bool   `json:"staff"`
	} `json:"memberships"`
	Staff bool `json:"staff"`
}

// unavailable wraps a failed call as ErrUnavailable; the cause is for
// logs.
func unavailable(format string, args ...any) error {
	return &Error{Code: ErrUnavailable, Message: "the accounts service did not answer", Err: fmt.Errorf(format, args...)}
}

// fetch asks the accounts service for identityID's memberships.
func (d *HTTPDirectory) fetch(ctx context.Context, identityID string) (directoryEntry, error) {
	if !ValidID(IdentityIDPrefix, identityID) {
		return directoryEntry{}, NewError(ErrInvalid, "identity id is malformed")
	}
	body, status, err := d.get(ctx, "/internal/v1/identities/"+url.PathEscape(identityID)+"/memberships")
	if err != nil {
		return directoryEntry{}, err
	}
	if status != http.StatusOK {
		return directoryEntry{}, unavailable("accounts directory: status %d: %s", status, snippet(body))
	}
	var a directoryAnswer
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&a); err != nil {
		return directoryEntry{}, unavailable("accounts directory: answer is not the JSON expected: %w", err)
	}
	if a.IdentityID != identityID {
		return directoryEntry{}, unavailable("accounts directory: answer is about another identity")
	}
	e := directoryEntry{staff: a.Staff, at: d.now(), memberships: make([]Membership, 0, len(a.Memberships))}
	for _, m := range a.Memberships {
		switch {
		case !ValidID(orgIDPrefix, m.OrgID) || !validRole(m.Role):
			return directoryEntry{}, unavailable("accounts directory: malformed membership")
		case m.OrgStatus != "active":
			continue // a suspended organization is named in no token
		}
		e.memberships = append(e.memberships, Membership{OrgID: m.OrgID, Role: m.Role})
	}
	return e, nil
}

// get asks the accounts service for path and returns the answer's body
// (at most maxDirectoryBody bytes) and status; a failed call is
// ErrUnavailable.
func (d *HTTPDirectory) get(ctx context.Context, path string) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.base+path, nil)
	if err != nil {
		return nil, 0, unavailable("accounts directory: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := d.client.Do(req)
	if err != nil {
		return nil, 0, unavailable("accounts directory: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxDirectoryBody+1))
	if err != nil {
		return nil, 0, unavailable("accounts directory: read answer: %w", err)
	}
	if len(body) > maxDirectoryBody {
		return nil, 0, unavailable("accounts directory: answer larger than %d bytes", maxDirectoryBody)
	}
	return body, res.StatusCode, nil
}

// validRole reports whether r is a member's role.
func validRole(r string) bool {
	return r == RoleOwner || r == RoleAdmin || r == RoleEditor || r == RoleViewer
}

// snippet returns the start of a body for a log line.
func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "?")
}

// orgIDPrefix starts the accounts service's organization IDs.
const orgIDPrefix = "org_"

var _ Directory = (*HTTPDirectory)(nil)
