package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultPlanTimeout bounds one call to the accounts service.
const DefaultPlanTimeout = 2 * time.Second

// maxPlanAnswer bounds the accounts service's answer.
const maxPlanAnswer = 16 << 10

// HTTPPlanSource reads organizations' viewer caps from the accounts
// service's GET /internal/v1/orgs/{org}. It caches nothing: the Service
// asks once per organization every refresh (WithViewerCaps).
type HTTPPlanSource struct {
	base    string
	client  *http.Client
	timeout time.Duration
}

// NewHTTPPlanSource returns the HTTPPlanSource of the accounts service at
// base, calling it with client, which must present the analytics
// service's workload token for accounts (workload.Transport). timeout
// bounds a call (DefaultPlanTimeout when not positive).
func NewHTTPPlanSource(base string, client *http.Client, timeout time.Duration) (*HTTPPlanSource, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("plan source: %q is not an http(s) URL", base)
	}
	if client == nil {
		client = http.DefaultClient
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if timeout <= 0 {
		timeout = DefaultPlanTimeout
	}
	return &HTTPPlanSource{base: strings.TrimSuffix(base, "/"), client: &c, timeout: timeout}, nil
}

// ViewerCap implements PlanSource.
func (p *HTTPPlanSource) ViewerCap(ctx context.Context, orgID string) (int64, error) {
	if !wellFormedID(orgID) {
		return 0, fmt.Errorf("viewer cap of %q: not an organization id", orgID)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/internal/v1/orgs/"+url.PathEscape(orgID), nil)
	if err != nil {
		return 0, fmt.Errorf("viewer cap: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := p.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("viewer cap: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxPlanAnswer+1))
	switch {
	case err != nil:
		return 0, fmt.Errorf("viewer cap: read answer: %w", err)
	case len(body) > maxPlanAnswer:
		return 0, fmt.Errorf("viewer cap: answer larger than %d bytes", maxPlanAnswer)
	case res.StatusCode != http.StatusOK:
		return 0, fmt.Errorf("viewer cap: status %d: %s", res.StatusCode, snippetOf(body))
	}
	var a struct {
		ID        string `json:"id"`
		ViewerCap *int64 `json:"viewer_cap"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return 0, fmt.Errorf("viewer cap: answer is not the JSON expected: %w", err)
	}
	if a.ID != orgID || a.ViewerCap == nil || *a.ViewerCap < 0 {
		return 0, fmt.Errorf("viewer cap: malformed answer for %s", orgID)
	}
	return *a.ViewerCap, nil
}
