package authhttp

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

// TestLoginBusy keeps the one hashing slot busy with sign-ins in the
// background while a browser signs in over HTTP: the sign-in that finds no
// slot within the wait is a 503 problem document of type busy with
// Retry-After.
func TestLoginBusy(t *testing.T) {
	h := authtest.FastHasher()
	h.Params.MemoryKiB = 4096
	s := newTestServer(t, auth.Options{Hasher: h, MaxConcurrentHashes: 1, HashWait: time.Millisecond}, Options{Logger: discardLogger()})
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			_, _ = s.Service.Login(ctx, auth.LoginRequest{Email: fmt.Sprintf("flood%d@example.com", i), Password: "wrong password!",
				IP: fmt.Sprintf("10.9.%d.%d", i>>8&255, i&255)})
		}
	}()
	defer wg.Wait()
	defer stop()

	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("no 503 in %d sign-ins while the only hashing slot was kept busy", i)
		}
		r := s.do(t, s.browser(t), "POST", "/v1/login", map[string]string{"email": fmt.Sprintf("b%d@example.com", i), "password": "wrong password!"})
		if r.status == http.StatusUnauthorized {
			continue
		}
		wantStatus(t, "sign-in without a slot", r, http.StatusServiceUnavailable)
		if got := r.problemType(t); got != "busy" || r.header.Get("Retry-After") != "1" {
			t.Errorf("got 503 of type %q with Retry-After %q, want busy with 1", got, r.header.Get("Retry-After"))
		}
		return
	}
}
