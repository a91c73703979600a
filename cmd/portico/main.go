// Command portico runs Portico's components: the gateway and the services
// behind it. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// Time zones are compiled in, so that a profile's time zone and an
	// analytics query's day buckets work in a container without zoneinfo.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr))
}
