package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/platform/sqldb"
)

// backendCPU measures the CPU time that the PostgreSQL server processes
// serving one pool's connections spend, from /proc (the server runs on
// this machine: analytics.sh accepts only a loopback DSN). The pool's
// connections name themselves with a unique application_name; the
// processes serving it are found through pg_stat_activity.
type backendCPU struct {
	db    *sqldb.DB
	name  string
	start map[int]time.Duration // CPU of the processes that existed at the start
}

// applicationName returns the application_name that the run's
// connections use, to be set in their DSN.
func applicationName() string { return "portico_bench_" + strconv.Itoa(os.Getpid()) }

func newBackendCPU(ctx context.Context, db *sqldb.DB) (*backendCPU, error) {
	b := &backendCPU{db: db, name: applicationName()}
	var err error
	b.start, err = b.sample(ctx)
	return b, err
}

// sample returns the CPU time of each server process of the pool.
func (b *backendCPU) sample(ctx context.Context) (map[int]time.Duration, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, b.name)
	if err != nil {
		return nil, fmt.Errorf("list server processes: %w", err)
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return nil, fmt.Errorf("list server processes: %w", err)
		}
		out[pid] = schedCPU(pid)
	}
	return out, rows.Err()
}

// used returns the CPU time the pool's server processes spent since
// newBackendCPU; zero when it cannot be read.
func (b *backendCPU) used(ctx context.Context) time.Duration {
	now, err := b.sample(ctx)
	if err != nil {
		return 0
	}
	var d time.Duration
	for pid, t := range now {
		d += t - b.start[pid]
	}
	return d
}

// schedCPU returns the time process pid has run on a CPU, from
// /proc/PID/schedstat (nanoseconds); zero when it cannot be read.
func schedCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/schedstat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	ns, _ := strconv.ParseInt(f[0], 10, 64)
	return time.Duration(ns)
}
