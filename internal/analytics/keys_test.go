package analytics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testKey      = "dk_7m2q0c9x4h8t1v6b3n5k"
	testKeyOther = "dk_0000000000000000000z"
)

const testKeyAnswer = `{"integration_id":"int_1","org_id":"org_1","status":"active","environment":"production",` +
	`"previous":false,"domains":["example.com","*.cdn.example.net"],"bundle_ids":["com.example.player"]}`

// fakeConfigs stands in for the configs service's delivery-key endpoint:
// answer says what to send for a key; calls counts the requests.
type fakeConfigs struct {
	srv    *httptest.Server
	calls  atomic.Int64
	mu     sync.Mutex
	answer func(w http.ResponseWriter, key string)
}

func newFakeConfigs(t *testing.T, answer func(w http.ResponseWriter, key string)) *fakeConfigs {
	t.Helper()
	f := &fakeConfigs{answer: answer}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /internal/v1/delivery-keys/{key}", func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer workload" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		answer := f.answer
		f.mu.Unlock()
		answer(w, r.PathValue("key"))
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeConfigs) set(answer func(w http.ResponseWriter, key string)) {
	f.mu.Lock()
	f.answer = answer
	f.mu.Unlock()
}

// tokenTransport adds the workload token, as workload.Transport does.
type tokenTransport struct{}

func (tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer workload")
	return http.DefaultTransport.RoundTrip(r)
}

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func mustResolver(tb testing.TB, f *fakeConfigs, o KeyResolverOptions) (*HTTPKeyResolver, *testClock) {
	tb.Helper()
	o.URL = f.srv.URL + "/"
	o.Client = &http.Client{Transport: tokenTransport{}}
	r, err := NewHTTPKeyResolver(o)
	if err != nil {
		tb.Fatalf("NewHTTPKeyResolver: %v", err)
	}
	clock := &testClock{t: time.Date(2026, 6, 16, 12, 0, 0, 0, time.UTC)}
	r.now = clock.now
	return r, clock
}

func answerJSON(cacheControl, body string) func(http.ResponseWriter, string) {
	return func(w http.ResponseWriter, _ string) {
		if cacheControl != "" {
			w.Header().Set("Cache-Control", cacheControl)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}
}

func answerStatus(status int, cacheControl string) func(http.ResponseWriter, string) {
	return func(w http.ResponseWriter, _ string) {
		if cacheControl != "" {
			w.Header().Set("Cache-Control", cacheControl)
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		w.Write([]byte(`{"type":"about:blank","status":` + http.StatusText(status) + `}`))
	}
}

func TestResolveFoundAndCached(t *testing.T) {
	f := newFakeConfigs(t, answerJSON("max-age=30", testKeyAnswer))
	r, clock := mustResolver(t, f, KeyResolverOptions{})
	got, err := r.Resolve(t.Context(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	want := ResolvedKey{IntegrationID: "int_1", OrgID: "org_1", Status: "active", Environment: "production",
		Domains: []string{"example.com", "*.cdn.example.net"}, BundleIDs: []string{"com.example.player"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	got.Domains[0] = "evil.example" // a caller's change does not reach the cache
	clock.advance(29 * time.Second)
	if again, err := r.Resolve(t.Context(), testKey); err != nil || !reflect.DeepEqual(again, want) {
		t.Errorf("cached: got %+v, %v", again, err)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("calls within the TTL: got %d, want 1", n)
	}
	clock.advance(time.Second)
	if _, err := r.Resolve(t.Context(), testKey); err != nil {
		t.Fatal(err)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("calls after the TTL: got %d, want 2", n)
	}
}

func TestResolveTTLs(t *testing.T) {
	cases := []struct {
		name         string
		o            KeyResolverOptions
		answer       func(http.ResponseWriter, string)
		cachedFor    time.Duration // 0: not cached
		wantUnknown  bool
		cacheControl string
	}{
		{name: "positive default", answer: answerJSON("", testKeyAnswer), cachedFor: DefaultKeyPositiveTTL},
		{name: "smaller max-age wins", answer: answerJSON("public, max-age=5", testKeyAnswer), cachedFor: 5 * time.Second},
		{name: "larger max-age loses", answer: answerJSON("max-age=3600", testKeyAnswer), cachedFor: DefaultKeyPositiveTTL},
		{name: "own positive TTL", o: KeyResolverOptions{PositiveTTL: 3 * time.Second}, answer: answerJSON("max-age=30", testKeyAnswer),
			cachedFor: 3 * time.Second},
		{name: "no-store", answer: answerJSON("no-store", testKeyAnswer)},
		{name: "max-age=0", answer: answerJSON("max-age=0", testKeyAnswer)},
		{name: "positive caching off", o: KeyResolverOptions{PositiveTTL: -1}, answer: answerJSON("", testKeyAnswer)},
		{name: "negative default", answer: answerStatus(http.StatusNotFound, "max-age=10"), cachedFor: DefaultKeyNegativeTTL,
			wantUnknown: true},
		{name: "negative smaller max-age", answer: answerStatus(http.StatusNotFound, "max-age=4"), cachedFor: 4 * time.Second,
			wantUnknown: true},
		{name: "negative caching off", o: KeyResolverOptions{NegativeTTL: -1}, answer: answerStatus(http.StatusNotFound, ""),
			wantUnknown: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeConfigs(t, c.answer)
			r, clock := mustResolver(t, f, c.o)
			check := func(what string, wantCalls int64) {
				t.Helper()
				_, err := r.Resolve(t.Context(), testKey)
				if c.wantUnknown != errors.Is(err, ErrUnknownKey) || (!c.wantUnknown && err != nil) {
					t.Fatalf("%s: got %v", what, err)
				}
				if n := f.calls.Load(); n != wantCalls {
					t.Fatalf("%s: got %d calls, want %d", what, n, wantCalls)
				}
			}
			check("first", 1)
			if c.cachedFor == 0 {
				check("second", 2)
				return
			}
			clock.advance(c.cachedFor - time.Nanosecond)
			check("just before expiry", 1)
			clock.advance(time.Nanosecond)
			check("at expiry", 2)
		})
	}
}

func TestResolveFailures(t *testing.T) {
	cases := []struct {
		name   string
		answer func(http.ResponseWriter, string)
	}{
		{"server error", answerStatus(http.StatusInternalServerError, "")},
		{"unavailable", answerStatus(http.StatusServiceUnavailable, "max-age=10")},
		{"refused token", answerStatus(http.StatusForbidden, "")},
		{"redirect", func(w http.ResponseWriter, _ string) {
			w.Header().Set("Location", "/elsewhere")
			w.WriteHeader(http.StatusTemporaryRedirect)
		}},
		{"404 of something else", func(w http.ResponseWriter, _ string) { http.NotFound(w, nil) }},
		{"not JSON", answerJSON("", `<html>`)},
		{"truncated", answerJSON("", testKeyAnswer[:40])},
		{"too large", answerJSON("", `{"integration_id":"`+strings.Repeat("a", maxKeyAnswer)+`"}`)},
		{"malformed integration id", answerJSON("", strings.Replace(testKeyAnswer, `"int_1"`, `"int 1"`, 1))},
		{"no org", answerJSON("", strings.Replace(testKeyAnswer, `"org_1"`, `""`, 1))},
		{"unknown status", answerJSON("", strings.Replace(testKeyAnswer, `"active"`, `"paused"`, 1))},
		{"no environment", answerJSON("", strings.Replace(testKeyAnswer, `"production"`, `""`, 1))},
		{"empty domain", answerJSON("", strings.Replace(testKeyAnswer, `"example.com"`, `""`, 1))},
		{"slow", func(w http.ResponseWriter, _ string) {
			time.Sleep(300 * time.Millisecond)
			answerJSON("", testKeyAnswer)(w, "")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeConfigs(t, c.answer)
			r, _ := mustResolver(t, f, KeyResolverOptions{Timeout: 100 * time.Millisecond})
			for i := range 2 { // failures are not cached
				if _, err := r.Resolve(t.Context(), testKey); !errors.Is(err, ErrResolverUnavailable) || errors.Is(err, ErrUnknownKey) {
					t.Fatalf("call %d: got %v, want ErrResolverUnavailable", i, err)
				}
			}
			if n := f.calls.Load(); n != 2 {
				t.Errorf("got %d calls, want 2", n)
			}
		})
	}

	t.Run("no server", func(t *testing.T) {
		f := newFakeConfigs(t, answerJSON("", testKeyAnswer))
		r, _ := mustResolver(t, f, KeyResolverOptions{})
		f.srv.Close()
		if _, err := r.Resolve(t.Context(), testKey); !errors.Is(err, ErrResolverUnavailable) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("recovers", func(t *testing.T) {
		f := newFakeConfigs(t, answerStatus(http.StatusBadGateway, ""))
		r, _ := mustResolver(t, f, KeyResolverOptions{})
		if _, err := r.Resolve(t.Context(), testKey); !errors.Is(err, ErrResolverUnavailable) {
			t.Fatalf("got %v", err)
		}
		f.set(answerJSON("", testKeyAnswer))
		if k, err := r.Resolve(t.Context(), testKey); err != nil || k.OrgID != "org_1" {
			t.Errorf("after recovery: got %+v, %v", k, err)
		}
	})
}

func TestResolveMalformedKeyMakesNoCall(t *testing.T) {
	f := newFakeConfigs(t, answerJSON("", testKeyAnswer))
	r, _ := mustResolver(t, f, KeyResolverOptions{})
	for _, k := range []string{"", "dk_", "nonsense", "DK_7m2q0c9x4h8t1v6b3n5k", "dk_7M2Q0C9X4H8T1V6B3N5K",
		"dk_7m2q0c9x4h8t1v6b3n5", "dk_7m2q0c9x4h8t1v6b3n5kk", "dk_7m2q0c9x4h8t1v6b3nuk", "dk_7m2q0c9x4h8t1v6b3n/k",
		"dk_7m2q0c9x4h8t1v6b3n%k", "../../v1/x"} {
		if _, err := r.Resolve(t.Context(), k); err != ErrUnknownKey {
			t.Errorf("%q: got %v, want ErrUnknownKey", k, err)
		}
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("got %d calls, want 0", n)
	}
}

// TestResolveConcurrent checks that N concurrent lookups of one key make
// one call, and that lookups of different keys do not wait for each
// other's answers to be shared.
func TestResolveConcurrent(t *testing.T) {
	release := make(chan struct{})
	f := newFakeConfigs(t, func(w http.ResponseWriter, key string) {
		<-release
		if key == testKeyOther {
			answerStatus(http.StatusNotFound, "")(w, key)
			return
		}
		answerJSON("", testKeyAnswer)(w, key)
	})
	r, _ := mustResolver(t, f, KeyResolverOptions{})
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range 2 * n {
		wg.Go(func() {
			key := testKey
			if i%2 == 1 {
				key = testKeyOther
			}
			k, err := r.Resolve(t.Context(), key)
			switch {
			case key == testKey && (err != nil || k.IntegrationID != "int_1"):
				errs <- err
			case key == testKeyOther && !errors.Is(err, ErrUnknownKey):
				errs <- err
			}
		})
	}
	// Wait until both calls are in flight, then let them answer.
	for deadline := time.Now().Add(5 * time.Second); f.calls.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // late lookups join the calls in flight
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("lookup: %v", err)
	}
	if got := f.calls.Load(); got != 2 {
		t.Errorf("got %d calls for %d lookups of 2 keys, want 2", got, 2*n)
	}
}

// TestResolveWaiterLeaves checks that a caller whose context ends stops
// waiting, and that the call it joined still serves the others.
func TestResolveWaiterLeaves(t *testing.T) {
	release := make(chan struct{})
	f := newFakeConfigs(t, func(w http.ResponseWriter, key string) {
		<-release
		answerJSON("", testKeyAnswer)(w, key)
	})
	r, _ := mustResolver(t, f, KeyResolverOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := r.Resolve(ctx, testKey)
		done <- err
	}()
	for f.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	other := make(chan error, 1)
	go func() {
		_, err := r.Resolve(t.Context(), testKey)
		other <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || !errors.Is(err, ErrResolverUnavailable) {
		t.Errorf("leaving caller: got %v", err)
	}
	close(release)
	if err := <-other; err != nil {
		t.Errorf("other caller: got %v", err)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("got %d calls, want 1", n)
	}
}

func TestResolveCacheBound(t *testing.T) {
	f := newFakeConfigs(t, answerJSON("", testKeyAnswer))
	r, _ := mustResolver(t, f, KeyResolverOptions{MaxEntries: 2})
	keys := []string{"dk_00000000000000000001", "dk_00000000000000000002", "dk_00000000000000000003"}
	for _, k := range keys {
		if _, err := r.Resolve(t.Context(), k); err != nil {
			t.Fatal(err)
		}
	}
	r.mu.Lock()
	n := len(r.cache)
	r.mu.Unlock()
	if n > 2 {
		t.Errorf("cache holds %d entries, want at most 2", n)
	}
}

func TestNewHTTPKeyResolverURL(t *testing.T) {
	for _, u := range []string{"", "configs:8083", "ftp://configs", "http://", "/internal"} {
		if _, err := NewHTTPKeyResolver(KeyResolverOptions{URL: u}); err == nil {
			t.Errorf("%q: got no error", u)
		}
	}
}
