package authtest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// readCounters returns the counters of keys as stored, changing nothing.
func readCounters(t *testing.T, s auth.Store, keys ...string) []auth.ThrottleCounter {
	t.Helper()
	var got []auth.ThrottleCounter
	mustNoErr(t, "read counters", s.UpdateThrottleCounters(ctx(t), keys, func(cs []auth.ThrottleCounter) ([]auth.ThrottleCounter, error) {
		got = slices.Clone(cs)
		return nil, nil
	}))
	return got
}

func testThrottleCounters(t *testing.T, s auth.Store) {
	const a, b, c = "pair:192.0.2.1/a@example.com", "ip:192.0.2.1", "account:a@example.com"
	wantEqual(t, "never stored", readCounters(t, s, b, a),
		[]auth.ThrottleCounter{{Key: b}, {Key: a}})

	mustNoErr(t, "write", s.UpdateThrottleCounters(ctx(t), []string{a, b}, func(cs []auth.ThrottleCounter) ([]auth.ThrottleCounter, error) {
		cs[0] = auth.ThrottleCounter{Key: a, Count: 3, Since: t0, Last: t0.Add(time.Second), Until: t0.Add(time.Minute)}
		return cs[:1], nil // b is left as it is
	}))
	wantEqual(t, "read back in the order asked", readCounters(t, s, c, a, b), []auth.ThrottleCounter{
		{Key: c}, {Key: a, Count: 3, Since: us(t0), Last: us(t0.Add(time.Second)), Until: us(t0.Add(time.Minute))}, {Key: b}})

	refused := errors.New("refused")
	err := s.UpdateThrottleCounters(ctx(t), []string{a}, func(cs []auth.ThrottleCounter) ([]auth.ThrottleCounter, error) {
		cs[0].Count = 99
		return cs, refused
	})
	wantErr(t, "update's error", err, refused)
	wantEqual(t, "after a refused update", readCounters(t, s, a)[0].Count, 3)

	err = s.UpdateThrottleCounters(ctx(t), []string{a}, func(cs []auth.ThrottleCounter) ([]auth.ThrottleCounter, error) {
		return []auth.ThrottleCounter{{Key: a, Count: 4}, {Key: c, Count: 1}}, nil
	})
	wantErr(t, "counter of a key not asked for", err, auth.ErrInvalid)
	wantEqual(t, "after an invalid update", readCounters(t, s, a)[0].Count, 3)
	err = s.UpdateThrottleCounters(ctx(t), []string{a}, func(cs []auth.ThrottleCounter) ([]auth.ThrottleCounter, error) {
		return []auth.ThrottleCounter{{Key: a, Count: -1}}, nil
	})
	wantErr(t, "negative count", err, auth.ErrInvalid)

	noop := func(cs []auth.ThrottleCounter) ([]auth.ThrottleCounter, error) { return nil, nil }
	for name, keys := range map[string][]string{
		"no keys":   nil,
		"empty key": {""},
		"duplicate": {a, b, a},
		"too long":  {strings.Repeat("k", auth.MaxThrottleKeyLen+1)},
		"NUL":       {"ip:\x00"},
		"bad UTF-8": {"ip:\xff"},
	} {
		wantErr(t, name, s.UpdateThrottleCounters(ctx(t), keys, noop), auth.ErrInvalid)
	}
	mustNoErr(t, "longest key", s.UpdateThrottleCounters(ctx(t), []string{strings.Repeat("é", auth.MaxThrottleKeyLen/2)}, noop))

	// Prune deletes counters whose Last and Until are both before the
	// cut, and keeps those with a later Until.
	mustNoErr(t, "write for prune", s.UpdateThrottleCounters(ctx(t), []string{b, c}, func(cs []auth.ThrottleCounter) ([]auth.ThrottleCounter, error) {
		return []auth.ThrottleCounter{
			{Key: b, Count: 1, Since: t0, Last: t0},
			{Key: c, Count: 20, Since: t0, Last: t0, Until: t0.Add(time.Hour)},
		}, nil
	}))
	n, err := s.PruneThrottleCounters(ctx(t), t0.Add(2*time.Minute))
	mustNoErr(t, "prune", err)
	// a (Until t0+1m), b, the longest key and the empty rows are gone; c stays.
	if n < 3 {
		t.Errorf("prune: got %d deleted, want at least 3", n)
	}
	wantEqual(t, "after prune", readCounters(t, s, a, b, c), []auth.ThrottleCounter{
		{Key: a}, {Key: b}, {Key: c, Count: 20, Since: us(t0), Last: us(t0), Until: us(t0.Add(time.Hour))}})
}

// testThrottleCountersConcurrent is the store's half of the guarantee that
// sign-in throttling holds under any concurrency: attempts that read and
// count at once, over keys that overlap in any order, each see the count
// the one before wrote, so a limit of 5 admits 5 and no more.
func testThrottleCountersConcurrent(t *testing.T, s auth.Store) {
	const attempts, allowed = 50, 5
	const pair, ip, account = "pair:198.51.100.7/v@example.com", "ip:198.51.100.7", "account:v@example.com"
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		seen     []int
		admitted int
		errs     []error
	)
	start := make(chan struct{})
	for i := range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys := []string{pair, ip, account}
			if i%2 == 1 {
				keys = []string{account, ip, pair} // the order asked for must not matter
			}
			<-start
			ok := false
			err := s.UpdateThrottleCounters(ctx(t), keys, func(cs []auth.ThrottleCounter) ([]auth.ThrottleCounter, error) {
				mu.Lock()
				seen = append(seen, cs[0].Count)
				mu.Unlock()
				if cs[0].Count != cs[1].Count || cs[1].Count != cs[2].Count {
					return nil, fmt.Errorf("keys counted apart: %+v", cs)
				}
				if cs[0].Count >= allowed {
					ok = false
					return nil, nil
				}
				for i := range cs {
					cs[i].Count++
					cs[i].Last = t0
				}
				ok = true
				return cs, nil
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if ok {
				admitted++
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		t.Errorf("concurrent update: %v", err)
	}
	if admitted != allowed {
		t.Errorf("got %d attempts admitted of %d at once, want exactly %d", admitted, attempts, allowed)
	}
	// Every admitted update read the count the one before it wrote.
	slices.Sort(seen)
	for n := range allowed {
		if i, found := slices.BinarySearch(seen, n); !found || (i+1 < len(seen) && seen[i+1] == n) {
			t.Errorf("count %d: got it read by %d updates, want exactly 1 (all counts read: %v)", n, countOf(seen, n), seen)
		}
	}
	for _, c := range readCounters(t, s, pair, ip, account) {
		if c.Count != allowed {
			t.Errorf("%s: got final count %d, want %d", c.Key, c.Count, allowed)
		}
	}
}

func countOf(xs []int, x int) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}
