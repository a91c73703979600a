package auth_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

const (
	dirIdentity = "usr_01JDQ0N4Y3T2ZB8VJX6K9M4R7P"
	dirOrgA     = "org_01JDQ0N4Y3T2ZB8VJX6K9M4R7A"
	dirOrgB     = "org_01JDQ0N4Y3T2ZB8VJX6K9M4R7B"
)

// accountsFake answers GET /internal/v1/identities/{id}/memberships as
// the accounts service does (api/accounts.yaml), with body, and counts the
// calls. The real service answers the same request in cmd/portico's tests.
func accountsFake(t *testing.T, status int, body func(id string) string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		id, ok := strings.CutPrefix(r.URL.Path, "/internal/v1/identities/")
		id, ok2 := strings.CutSuffix(id, "/memberships")
		if r.Method != http.MethodGet || !ok || !ok2 || r.Header.Get("Authorization") != "Bearer workload" {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body(id))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// bearer adds the workload token the fake expects.
type bearer struct{}

func (bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer workload")
	return http.DefaultTransport.RoundTrip(r)
}

func newDir(t *testing.T, url string, ttl time.Duration) *auth.HTTPDirectory {
	t.Helper()
	d, err := auth.NewHTTPDirectory(auth.HTTPDirectoryOptions{URL: url, Client: &http.Client{Transport: bearer{}}, CacheTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestHTTPDirectoryAnswers(t *testing.T) {
	srv, calls := accountsFake(t, http.StatusOK, func(id string) string {
		return `{"identity_id":"` + id + `","staff":true,"memberships":[` +
			`{"org_id":"` + dirOrgA + `","role":"owner","org_status":"active","staff":true},` +
			`{"org_id":"` + dirOrgB + `","role":"viewer","org_status":"suspended","staff":false}]}`
	})
	d := newDir(t, srv.URL, time.Minute)
	ms, err := d.Memberships(t.Context(), dirIdentity)
	mustNoErr(t, "memberships", err)
	if len(ms) != 1 || ms[0] != (auth.Membership{OrgID: dirOrgA, Role: auth.RoleOwner}) {
		t.Fatalf("memberships = %+v, want the active organization only", ms)
	}
	staff, err := d.IsStaff(t.Context(), dirIdentity)
	mustNoErr(t, "is staff", err)
	if !staff {
		t.Fatal("is staff = false, want true")
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("accounts called %d times for one token's questions, want 1", n)
	}
	d.Forget(dirIdentity)
	if _, err := d.IsStaff(t.Context(), dirIdentity); err != nil || calls.Load() != 2 {
		t.Fatalf("after Forget: err %v, calls %d; want a new call", err, calls.Load())
	}
}

func TestHTTPDirectoryCacheExpires(t *testing.T) {
	srv, calls := accountsFake(t, http.StatusOK, func(id string) string {
		return `{"identity_id":"` + id + `","staff":false,"memberships":[]}`
	})
	d := newDir(t, srv.URL, -1) // no cache
	for range 3 {
		if _, err := d.Memberships(t.Context(), dirIdentity); err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("calls = %d without a cache, want 3", n)
	}
}

func TestHTTPDirectoryConcurrentLookupsShareACall(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-release
		fmt.Fprint(w, `{"identity_id":"`+dirIdentity+`","staff":false,"memberships":[]}`)
	}))
	t.Cleanup(srv.Close)
	d := newDir(t, srv.URL, time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := d.Memberships(t.Context(), dirIdentity)
			errs <- err
		})
	}
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others join the call in flight
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		mustNoErr(t, "memberships", err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("calls = %d for 8 concurrent lookups, want 1", n)
	}
}

func TestHTTPDirectoryFailuresAreUnavailable(t *testing.T) {
	ok := func(id string) string { return `{"identity_id":"` + id + `","staff":false,"memberships":[]}` }
	cases := []struct {
		name   string
		status int
		body   func(string) string
	}{
		{"refused workload token", http.StatusForbidden, func(string) string { return `{"type":"forbidden"}` }},
		{"server error", http.StatusInternalServerError, ok},
		{"not json", http.StatusOK, func(string) string { return `<html>` }},
		{"another identity", http.StatusOK, func(string) string {
			return `{"identity_id":"usr_01JDQ0N4Y3T2ZB8VJX6K9M4R70","staff":true,"memberships":[]}`
		}},
		{"unknown role", http.StatusOK, func(id string) string {
			return `{"identity_id":"` + id + `","memberships":[{"org_id":"` + dirOrgA + `","role":"god","org_status":"active"}]}`
		}},
		{"malformed org", http.StatusOK, func(id string) string {
			return `{"identity_id":"` + id + `","memberships":[{"org_id":"x","role":"owner","org_status":"active"}]}`
		}},
		{"too large", http.StatusOK, func(id string) string {
			return `{"identity_id":"` + id + `","pad":"` + strings.Repeat("a", 1<<20) + `","memberships":[]}`
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := accountsFake(t, tc.status, tc.body)
			d := newDir(t, srv.URL, time.Minute)
			_, err := d.Memberships(t.Context(), dirIdentity)
			if !errors.Is(err, auth.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if auth.Code(err) != auth.ErrUnavailable {
				t.Fatalf("Code = %v, want ErrUnavailable", auth.Code(err))
			}
		})
	}
	t.Run("down", func(t *testing.T) {
		srv, _ := accountsFake(t, http.StatusOK, ok)
		url := srv.URL
		srv.Close()
		_, err := newDir(t, url, time.Minute).IsStaff(t.Context(), dirIdentity)
		if !errors.Is(err, auth.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	})
	t.Run("malformed identity is not asked", func(t *testing.T) {
		srv, calls := accountsFake(t, http.StatusOK, ok)
		_, err := newDir(t, srv.URL, time.Minute).Memberships(t.Context(), "../../exchange")
		if !errors.Is(err, auth.ErrInvalid) || calls.Load() != 0 {
			t.Fatalf("err = %v, calls %d; want ErrInvalid and no call", err, calls.Load())
		}
	})
}

func TestNewHTTPDirectoryRefusesBadURL(t *testing.T) {
	for _, u := range []string{"", "accounts:8082", "ftp://accounts", "http://"} {
		if _, err := auth.NewHTTPDirectory(auth.HTTPDirectoryOptions{URL: u}); err == nil {
			t.Errorf("NewHTTPDirectory(%q) = nil error", u)
		}
	}
}

func TestHTTPDirectoryOrganization(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer workload" {
			http.Error(w, "no workload token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/internal/v1/orgs/" + dirOrgA:
			fmt.Fprint(w, `{"id":"`+dirOrgA+`","status":"suspended","staff":false}`)
		case "/internal/v1/orgs/" + dirOrgB:
			fmt.Fprint(w, `{"id":"`+dirOrgB+`","status":"active","staff":true}`)
		case "/internal/v1/orgs/org_01JDQ0N4Y3T2ZB8VJX6K9M4R7C":
			fmt.Fprint(w, `{"id":"org_01JDQ0N4Y3T2ZB8VJX6K9M4R7A","status":"active","staff":true}`) // about another
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"type":"https://portico.dev/problems/not-found","status":404}`)
		}
	}))
	t.Cleanup(srv.Close)
	d := newDir(t, srv.URL, time.Minute)

	info, err := d.Organization(t.Context(), dirOrgA)
	mustNoErr(t, "suspended organization", err)
	if info != (auth.OrgInfo{Active: false, Staff: false}) {
		t.Errorf("suspended organization = %+v", info)
	}
	info, err = d.Organization(t.Context(), dirOrgB)
	mustNoErr(t, "staff organization", err)
	if info != (auth.OrgInfo{Active: true, Staff: true}) {
		t.Errorf("staff organization = %+v", info)
	}
	before := calls.Load()
	if _, err := d.Organization(t.Context(), dirOrgB); err != nil || calls.Load() != before {
		t.Errorf("second lookup: err %v, %d more calls; want the cached answer", err, calls.Load()-before)
	}
	_, err = d.Organization(t.Context(), "org_01JDQ0N4Y3T2ZB8VJX6K9M4R7D")
	wantErr(t, "unknown organization", err, auth.ErrNotFound)
	_, err = d.Organization(t.Context(), "org_01JDQ0N4Y3T2ZB8VJX6K9M4R7C")
	wantErr(t, "answer about another organization", err, auth.ErrUnavailable)
	before = calls.Load()
	_, err = d.Organization(t.Context(), "../identities")
	if !errors.Is(err, auth.ErrNotFound) || calls.Load() != before {
		t.Errorf("malformed id: err %v, %d calls; want ErrNotFound and no call", err, calls.Load()-before)
	}
}
