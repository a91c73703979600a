// Command analytics measures the analytics store on PostgreSQL for
// bench/analytics.sh: how many beacons per second it ingests, and how long
// the service's metric queries take over a month of one organization's
// traffic. Every subcommand works in the schema its DSN's search_path
// names, which `schema create` makes and `schema drop` removes.
//
//	analytics schema create|drop -dsn DSN -schema NAME
//	analytics ingest -dsn DSN [-beacons N] [-batch B] [-workers K] [-compact-every C]
//	analytics load   -dsn DSN [-beacons N] [-days D] [-batch B] [-workers K] [-compact-every C]
//	analytics query  -dsn DSN [-rounds R]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "analytics:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: analytics schema|ingest|load|query [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	dsn := fs.String("dsn", "", "PostgreSQL `DSN`, with the bench schema as search_path")
	switch args[0] {
	case "schema":
		if len(args) < 2 {
			return fmt.Errorf("usage: analytics schema create|drop -dsn DSN -schema NAME")
		}
		name := fs.String("schema", "", "the schema's `name`")
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		return schema(ctx, *dsn, args[1], *name)
	case "ingest":
		o := ingestOptions{}
		fs.IntVar(&o.beacons, "beacons", 500_000, "beacons to insert")
		fs.IntVar(&o.batch, "batch", 1000, "beacons per InsertBeacons call")
		fs.IntVar(&o.workers, "workers", 2, "goroutines inserting at once")
		fs.IntVar(&compactEvery, "compact-every", 0, "beacons stored between two merges of appended rollup rows (0: the store's default)")
		fs.IntVar(&groupBeacons, "group", 0, "group concurrent batches into inserts of at most `n` beacons, as the service does (0: each batch alone)")
		profile := fs.String("cpuprofile", "", "write a CPU profile of the run to `file`")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *profile != "" {
			f, err := os.Create(*profile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		return ingest(ctx, *dsn, o, stdout)
	case "load":
		o := loadOptions{}
		fs.IntVar(&o.beacons, "beacons", 10_000_000, "beacons to load")
		fs.IntVar(&o.days, "days", 30, "days of traffic, ending now")
		fs.IntVar(&o.batch, "batch", 1000, "beacons per InsertBeacons call")
		fs.IntVar(&o.workers, "workers", 2, "goroutines inserting at once")
		fs.Uint64Var(&o.seed, "seed", 1, "seed of the generated traffic")
		fs.IntVar(&compactEvery, "compact-every", 0, "beacons stored between two merges of appended rollup rows (0: the store's default)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return load(ctx, *dsn, o, stdout)
	case "query":
		rounds := fs.Int("rounds", 20, "measured runs of each query shape")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return query(ctx, *dsn, *rounds, stdout)
	}
	return fmt.Errorf("unknown subcommand %q", args[0])
}
