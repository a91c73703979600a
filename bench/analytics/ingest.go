package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// compactEvery is how many beacons the store stores between two merges
// of the rollup rows their batches appended (analyticsstore.SetCompactEvery; 0:
// its default).
var compactEvery int

// groupBeacons, when not zero, sends the batches through an
// analytics.GroupCommit of that many beacons at most, as the service
// does (--group-beacons).
var groupBeacons int

type ingestOptions struct {
	beacons, batch, workers int
}

type loadOptions struct {
	beacons, days, batch, workers int
	seed                          uint64
}

// ingest inserts o.beacons beacons of the last hour and prints the rate.
// Its sessions are new on every run (the seed is the clock), so a run in
// a schema an earlier one filled stores everything it sends.
func ingest(ctx context.Context, dsn string, o ingestOptions, stdout io.Writer) error {
	to := time.Now().UTC()
	t := newTraffic(uint64(to.UnixNano()), to.Add(-time.Hour), to, o.beacons)
	t.perSec *= 3 // the evening peak, and sessions cut short at the end, still give o.beacons
	r, err := insertAll(ctx, dsn, t, o.batch, o.workers, nil)
	if err != nil {
		return err
	}
	per := func(d time.Duration) float64 { return d.Seconds() * 1e6 / float64(max(r.stored, 1)) }
	grouped := ""
	if groupBeacons > 0 {
		grouped = fmt.Sprintf(" group=%d", groupBeacons)
	}
	p50, p99, most := r.latencies()
	fmt.Fprintf(stdout, "ingest  beacons=%d stored=%d batch=%d%s workers=%d  %.0f beacons/s  %.2fs  process CPU %.2fs (%.1f µs/beacon)  PostgreSQL CPU %.2fs (%.1f µs/beacon)  machine busy %.0f%%  call p50/p99/max %.1f/%.1f/%.1f ms\n",
		r.sent, r.stored, o.batch, grouped, o.workers, float64(r.stored)/r.wall.Seconds(), r.wall.Seconds(),
		r.cpu.Seconds(), per(r.cpu), r.pgCPU.Seconds(), per(r.pgCPU), r.busy*100, p50, p99, most)
	return nil
}

// load inserts o.days of traffic ending now, printing progress.
func load(ctx context.Context, dsn string, o loadOptions, stdout io.Writer) error {
	to := time.Now().UTC().Truncate(time.Minute)
	from := to.Add(-time.Duration(o.days) * 24 * time.Hour)
	r, err := insertAll(ctx, dsn, newTraffic(o.seed, from, to, o.beacons), o.batch, o.workers, func(n int, el time.Duration) {
		fmt.Fprintf(stdout, "load    %d beacons stored, %.0f beacons/s\n", n, float64(n)/el.Seconds())
	})
	if err != nil {
		return err
	}
	// Production tables have the statistics autovacuum gathers; fresh ones
	// must be analyzed before the planner can use their indexes well.
	if err := analyze(ctx, dsn); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "load    beacons=%d over %d days, batch=%d workers=%d  %.0f beacons/s  %.0fs\n",
		r.stored, o.days, o.batch, o.workers, float64(r.stored)/r.wall.Seconds(), r.wall.Seconds())
	return nil
}

type insertResult struct {
	sent, stored int
	wall, cpu    time.Duration
	pgCPU        time.Duration   // CPU of all the server's processes
	busy         float64         // share of the machine's CPU time spent busy
	took         []time.Duration // of each InsertBeacons call
}

// latencies returns the median, the 99th percentile and the longest of
// the InsertBeacons calls, in milliseconds.
func (r insertResult) latencies() (p50, p99, most float64) {
	if len(r.took) == 0 {
		return 0, 0, 0
	}
	slices.Sort(r.took)
	at := func(q float64) float64 { return ms(r.took[min(int(q*float64(len(r.took))), len(r.took)-1)]) }
	return at(0.5), at(0.99), ms(r.took[len(r.took)-1])
}

// insertAll inserts the traffic's batches from workers goroutines,
// calling progress about every ten seconds when it is not nil.
func insertAll(ctx context.Context, dsn string, t *traffic, batch, workers int, progress func(int, time.Duration)) (insertResult, error) {
	store, db, err := openStore(ctx, dsn, workers)
	if err != nil {
		return insertResult{}, err
	}
	defer db.Close()
	store.SetCompactEvery(compactEvery)
	var ins analytics.Store = store
	if groupBeacons > 0 {
		ins = analytics.NewGroupCommit(store, analytics.GroupOptions{MaxBeacons: groupBeacons})
	}
	if err := store.PrepareRaw(ctx, t.from, t.to); err != nil {
		return insertResult{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Merges run beside the batches, as in the service: a loop of their
	// own, told by InsertBeacons when one is due.
	var merges sync.WaitGroup
	mergeCtx, stopMerges := context.WithCancel(ctx)
	defer stopMerges()
	merges.Go(func() {
		store.RunCompactions(mergeCtx, time.Minute, func(err error) { fmt.Fprintln(os.Stderr, "analytics bench: merge failed:", err) })
	})
	ch := make(chan []analytics.Ingested, 2*workers)
	go t.batches(batch, ch, ctx.Done())

	var (
		mu           sync.Mutex
		sent, stored int
		firstErr     error
		took         []time.Duration // of each InsertBeacons call
	)
	cpu0, server0 := processCPU(), serverCPU()
	busy0, idle0 := machineCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for bs := range ch {
				t0 := time.Now()
				got, err := ins.InsertBeacons(ctx, bs)
				d := time.Since(t0)
				mu.Lock()
				took = append(took, d)
				sent += len(bs)
				stored += len(got)
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	if progress != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			tick := time.NewTicker(10 * time.Second)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					mu.Lock()
					n := stored
					mu.Unlock()
					progress(n, time.Since(start))
				}
			}
		}()
	}
	wg.Wait()
	stopMerges()
	merges.Wait()
	// The rollup rows the batches appended and no merge took yet are
	// merged now, inside the measured time: that work is part of ingest.
	if firstErr == nil {
		if err := store.CompactRollups(ctx); err != nil {
			firstErr = err
		}
	}
	wall := time.Since(start)
	busy1, idle1 := machineCPU()
	r := insertResult{sent: sent, stored: stored, wall: wall, cpu: processCPU() - cpu0, pgCPU: serverCPU() - server0, took: took}
	if d := (busy1 - busy0) + (idle1 - idle0); d > 0 {
		r.busy = (busy1 - busy0) / d
	}
	if firstErr != nil {
		return r, fmt.Errorf("insert beacons: %w", firstErr)
	}
	return r, ctx.Err()
}

// processCPU returns the user and system CPU time this process used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU returns the busy and idle clock ticks of all CPUs since boot,
// from /proc/stat (zero where it cannot be read).
func machineCPU() (busy, idle float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, s := range f[1:] {
		v, _ := strconv.ParseFloat(s, 64)
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		} else if i < 8 { // user nice system ... softirq steal; guests are in user
			busy += v
		}
	}
	return busy, idle
}
