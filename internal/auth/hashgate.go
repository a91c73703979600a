package auth

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// hashGate bounds the argon2id computations running at once. Each holds
// its memory cost (19 MiB with the OWASP parameters) for as long as it
// runs, and sign-ins for unknown accounts cost the same as the others, so
// without a bound 200 concurrent sign-ins took one process from 88 MB to
// 2.85 GB. Beyond the bound a request waits up to wait for a slot and is
// then refused with a *BusyError, having cost nothing but the wait.
type hashGate struct {
	slots    chan struct{}
	wait     time.Duration
	inFlight atomic.Int64
	// enter, when set (by tests, before any use), is called as each
	// computation starts with the number running, this one included.
	enter func(inFlight int)
}

func newHashGate(n int, wait time.Duration) *hashGate {
	return &hashGate{slots: make(chan struct{}, n), wait: wait}
}

// busyRetryAfter is the Retry-After of a *BusyError. A slot frees up in
// tens of milliseconds, but a client told to come back at once would only
// add to the queue that refused it.
const busyRetryAfter = time.Second

// run runs f, an argon2id computation, in a slot: at once if one is free,
// else after waiting for one up to g.wait. It returns a *BusyError when
// none came free, ctx's error when ctx ended first, and nil after f ran.
func (g *hashGate) run(ctx context.Context, f func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(g.wait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			return &BusyError{RetryAfter: busyRetryAfter}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	n := g.inFlight.Add(1)
	defer func() {
		g.inFlight.Add(-1)
		<-g.slots
	}()
	if g.enter != nil {
		g.enter(int(n))
	}
	f()
	return nil
}

// hashPassword is PasswordHasher.Hash in a slot of the hash gate. The
// policy is checked first, so a refused password waits for nothing.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	if err := s.o.Hasher.Policy.Check(password); err != nil {
		return "", err
	}
	var (
		hash string
		err  error
	)
	if gerr := s.hashes.run(ctx, func() { hash, err = s.o.Hasher.Hash(password) }); gerr != nil {
		return "", gerr
	}
	return hash, err
}

// DefaultMaxConcurrentHashes returns how many argon2id computations of
// memKiB each fit in a quarter of the memory the process may use:
// GOMEMLIMIT when it is set, else the smaller of the cgroup's memory limit
// and physical memory, else (neither known) 1 GiB. The result is at least
// 2, so sign-in works at all, and at most twice GOMAXPROCS: a computation
// keeps one CPU busy, so more at once only hold more memory for longer.
func DefaultMaxConcurrentHashes(memKiB uint32) int {
	return hashSlots(processMemory(), memKiB, runtime.GOMAXPROCS(0))
}

// hashSlots is DefaultMaxConcurrentHashes for a process that may use
// memory bytes (0: unknown) on procs CPUs.
func hashSlots(memory uint64, memKiB uint32, procs int) int {
	const floor, unknownMemory = 2, 1 << 30
	ceiling := max(floor, 2*procs)
	if memory == 0 {
		memory = unknownMemory
	}
	if memKiB == 0 {
		return ceiling
	}
	n := memory / 4 / (uint64(memKiB) * 1024)
	return int(min(max(n, floor), uint64(ceiling)))
}

// processMemory returns the memory the process may use, in bytes, or 0
// when it cannot tell.
func processMemory() uint64 {
	if l := debug.SetMemoryLimit(-1); l > 0 && l < math.MaxInt64 {
		return uint64(l)
	}
	var mem uint64
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// "max", or a huge number, means no limit.
		if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && v < 1<<62 {
			mem = v
			break
		}
	}
	if phys := physicalMemory(); phys > 0 && (mem == 0 || phys < mem) {
		mem = phys
	}
	return mem
}

// physicalMemory reads MemTotal from /proc/meminfo; 0 where there is none.
func physicalMemory() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kib, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0
		}
		return kib * 1024
	}
	return 0
}
