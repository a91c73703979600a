package auth_test

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

// hasherOf returns a test hasher whose argon2id cost is memKiB.
func hasherOf(memKiB uint32) *auth.PasswordHasher {
	h := authtest.FastHasher()
	h.Params.MemoryKiB = memKiB
	return h
}

// maxGauge keeps the highest value it is shown.
type maxGauge struct{ v atomic.Int64 }

func (g *maxGauge) see(n int64) {
	for {
		cur := g.v.Load()
		if n <= cur || g.v.CompareAndSwap(cur, n) {
			return
		}
	}
}

// flood runs one sign-in per request at once and returns their errors.
func flood(t *testing.T, env *authtest.Env, reqs []auth.LoginRequest) []error {
	t.Helper()
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = env.Service.Login(t.Context(), req)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// TestLoginHashLimit floods sign-in, for known and unknown accounts alike,
// with two hashing slots and a short wait. The first two hashes to start
// are held in their slots until every other attempt has answered, so the
// outcome does not depend on how fast anything runs: never more than two
// hashes at once, the two held attempts have their passwords checked
// (401), every other one is refused busy with a Retry-After, unknown
// accounts are hashed like known ones, and a busy attempt is not counted
// for throttling.
func TestLoginHashLimit(t *testing.T) {
	const limit, attempts = 2, 40
	env := authtest.NewEnv(t, auth.Options{MaxConcurrentHashes: limit, HashWait: 20 * time.Millisecond})
	mustIdentity(t, env, "known@example.com")
	var (
		inFlight        maxGauge
		hashes, refused atomic.Int64
		release         = make(chan struct{})
		releaseOnce     sync.Once
	)
	auth.SetHashHook(env.Service, func(n int) {
		inFlight.see(int64(n))
		if hashes.Add(1) <= limit {
			select {
			case <-release:
			case <-time.After(30 * time.Second): // the test failed; do not hang
			}
		}
	})
	reqs := make([]auth.LoginRequest, attempts)
	for i := range reqs {
		email := fmt.Sprintf("unknown%d@example.com", i)
		if i%2 == 0 {
			email = "known@example.com"
		}
		// One address each, so that no throttle interferes.
		reqs[i] = auth.LoginRequest{Email: email, Password: "wrong password!", IP: addr(i)}
	}
	errs := make([]error, attempts)
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = env.Service.Login(t.Context(), req)
			if errors.Is(errs[i], auth.ErrBusy) && refused.Add(1) == attempts-limit {
				releaseOnce.Do(func() { close(release) })
			}
		}()
	}
	wg.Wait()
	releaseOnce.Do(func() { close(release) })

	var checked, busy int
	busyUnknown := -1
	for i, err := range errs {
		switch be, ok := errors.AsType[*auth.BusyError](err); {
		case ok:
			busy++
			if i%2 == 1 {
				busyUnknown = i
			}
			if be.RetryAfter <= 0 {
				t.Errorf("attempt %d: got retry after %v, want more than 0", i, be.RetryAfter)
			}
		case errors.Is(err, auth.ErrUnauthenticated):
			checked++
		default:
			t.Errorf("attempt %d: got %v, want unauthenticated or busy", i, err)
		}
	}
	if got := inFlight.v.Load(); got != limit {
		t.Errorf("got at most %d hashes at once, want %d", got, limit)
	}
	if checked != limit || busy != attempts-limit {
		t.Errorf("got %d checked and %d busy, want %d and %d", checked, busy, limit, attempts-limit)
	}
	if int(hashes.Load()) != checked {
		t.Errorf("got %d hashes for %d checked attempts, want one each", hashes.Load(), checked)
	}
	// Unknown accounts wait for the same slots: half the attempts were for
	// unknown accounts, and all but two were refused.
	if busyUnknown < 0 {
		t.Fatal("got no busy attempt for an unknown account")
	}
	// A busy attempt was not counted: its pair still lets five attempts
	// through, where a counted one would have left room for four.
	for range 5 {
		wantErr(t, "attempt after a busy one", fail(t, env, reqs[busyUnknown].Email, reqs[busyUnknown].IP), auth.ErrUnauthenticated)
	}
}

// heapInUse returns the bytes of heap spans in use, as
// runtime.MemStats.HeapInuse does, without stopping the world.
func heapInUse() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64() + s[1].Value.Uint64())
}

// TestLoginHashMemory runs 40 sign-ins at once with an argon2id cost of 4
// MiB and two slots, and samples the heap throughout. Unbounded, the 40
// hashes would hold 160 MiB at once; bounded, the heap stays within twice
// what it held before (garbage waits for the collector, which by default
// lets the heap grow to twice the live data) plus four times the slots'
// memory (the live hashes, their garbage, and the collector's lag) plus 16
// MiB. Nothing depends on how fast the machine is: with the bound no
// interleaving can hold more, and without it every interleaving holds far
// more for as long as the hashes run.
func TestLoginHashMemory(t *testing.T) {
	const limit, attempts, memKiB = 2, 40, 4096
	env := authtest.NewEnv(t, auth.Options{MaxConcurrentHashes: limit, HashWait: 10 * time.Minute, Hasher: hasherOf(memKiB)})
	mustIdentity(t, env, "known@example.com")
	var peak maxGauge
	auth.SetHashHook(env.Service, func(int) { peak.see(heapInUse()) })
	reqs := make([]auth.LoginRequest, attempts)
	for i := range reqs {
		reqs[i] = auth.LoginRequest{Email: fmt.Sprintf("nobody%d@example.com", i), Password: "wrong password!", IP: addr(i)}
	}
	runtime.GC()
	before := heapInUse()
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peak.see(heapInUse())
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	errs := flood(t, env, reqs)
	close(done)
	<-sampled
	for i, err := range errs {
		wantErr(t, fmt.Sprintf("sign-in %d", i), err, auth.ErrUnauthenticated)
	}
	const mib = 1 << 20
	bound := 2*before + 4*limit*memKiB*1024 + 16*mib
	t.Logf("heap in use: %d MiB before, peak %d MiB, bound %d MiB; unbounded the hashes alone would hold %d MiB",
		before/mib, peak.v.Load()/mib, bound/mib, attempts*memKiB/1024)
	if got := peak.v.Load(); got > bound {
		t.Errorf("got a heap peak of %d MiB, want at most %d MiB (%d slots of %d MiB)", got/mib, bound/mib, limit, memKiB/1024)
	}
}
