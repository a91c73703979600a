package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth/authhttp"
	"github.com/portico-gw/portico/internal/platform/openapitest"
)

// apiCheck is the transport of the public API walk's clients: it
// validates every request sent through the gateway and every answer
// against api/portico.yaml, and records the operations it saw.
type apiCheck struct {
	t    *testing.T
	doc  *openapitest.Doc
	next http.RoundTripper
	mu   sync.Mutex
	// seen holds the statuses each operation ("METHOD /template")
	// answered with.
	seen map[string][]int
}

// refusedKey marks a request context: the request is meant to be
// refused, so only its answer is checked.
type refusedKey struct{}

// RoundTrip checks r, sends it, and checks the answer, whose body it
// reads whole.
func (c *apiCheck) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body.Close()
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	tmpl, described := c.doc.Match(r.URL.EscapedPath())
	if !described {
		c.t.Errorf("%s %s: api/portico.yaml describes no such path", r.Method, r.URL.Path)
	} else if r.Context().Value(refusedKey{}) == nil {
		c.doc.CheckRequest(c.t, r, tmpl, body)
	}
	resp, err := c.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	if described {
		c.doc.CheckResponse(c.t, r.Method, tmpl, resp.StatusCode, resp.Header, rb)
		op := r.Method + " " + tmpl
		if r.Method == http.MethodHead && !slices.Contains(c.doc.Operations(), op) {
			op = http.MethodGet + " " + tmpl // a GET answers HEAD too
		}
		c.mu.Lock()
		c.seen[op] = append(c.seen[op], resp.StatusCode)
		c.mu.Unlock()
	}
	return resp, nil
}

// coverage returns the documented operations the walk exercised, those
// among them that answered with success (2xx or 304), and those it did
// not exercise.
func (c *apiCheck) coverage() (exercised, succeeded, missed []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, op := range c.doc.Operations() {
		statuses, ok := c.seen[op]
		if !ok {
			missed = append(missed, op)
			continue
		}
		exercised = append(exercised, op)
		if slices.ContainsFunc(statuses, func(s int) bool { return s/100 == 2 || s == http.StatusNotModified }) {
			succeeded = append(succeeded, op)
		}
	}
	return exercised, succeeded, missed
}

// walker sends the public API walk's requests to the gateway at base,
// each through check.
type walker struct {
	t     *testing.T
	base  string
	check *apiCheck
}

// client returns a client of its own cookie jar, as one browser.
func (w *walker) client() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: w.check}
}

// option changes a request of the walk.
type option func(*http.Request)

// with sets a header field.
func with(name, value string) option {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

// bearer sends a credential in Authorization.
func bearer(token string) option { return with("Authorization", "Bearer "+token) }

// refused marks a request sent to see it refused: it need not be one
// api/portico.yaml describes, but its answer must be.
func refused(r *http.Request) {
	*r = *r.WithContext(context.WithValue(r.Context(), refusedKey{}, true))
}

// call sends a request with c and returns the status, the header and the
// body. A body is JSON unless an option says otherwise; an unsafe request
// carries the Portico-CSRF header, as the dashboard sends it.
func (w *walker) call(c *http.Client, method, path, body string, opts ...option) (int, http.Header, []byte) {
	w.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.base+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions {
		req.Header.Set(authhttp.CSRFHeader, "1")
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := c.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// must is call that fails the test unless the status is want, and
// decodes a JSON body into v when v is not nil.
func (w *walker) must(c *http.Client, want int, v any, method, path, body string, opts ...option) http.Header {
	w.t.Helper()
	status, h, got := w.call(c, method, path, body, opts...)
	if status != want {
		w.t.Fatalf("%s %s = %d %s, want %d", method, path, status, got, want)
	}
	if v != nil {
		if err := json.Unmarshal(got, v); err != nil {
			w.t.Fatalf("%s %s: decode %s: %v", method, path, got, err)
		}
	}
	return h
}

// login signs in with a fresh client and returns it, holding the session
// cookie.
func (w *walker) login(email, password string) *http.Client {
	w.t.Helper()
	c := w.client()
	var res struct {
		SecondFactorRequired bool `json:"second_factor_required"`
	}
	w.must(c, http.StatusOK, &res, http.MethodPost, "/v1/login", `{"email":`+jsonString(email)+`,"password":`+jsonString(password)+`}`)
	if res.SecondFactorRequired {
		w.t.Fatalf("signing in as %s asks for a second factor", email)
	}
	return c
}

// mustMail waits for the mail to the address logged after the log record
// numbered after (development mail is written to the log).
func mustMail(t *testing.T, p *process, to string, after int) map[string]any {
	t.Helper()
	const msg = "mail not sent, logged instead (local use only)"
	for {
		rec := p.waitLog(t, msg, after)
		if rec["to"] == to {
			return rec
		}
		p.mu.Lock()
		for i := after; i < len(p.lines); i++ {
			if p.lines[i]["msg"] == msg {
				after = i + 1
				break
			}
		}
		p.mu.Unlock()
	}
}
