package main

import (
	"context"
	"fmt"
	"io"

	"github.com/portico-gw/portico/internal/gateway/config"
)

func runCheck(_ context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", stderr)
	path := fs.String("config", "portico.yaml", "gateway configuration `file` to validate")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	cfg, err := config.Load(*path, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	limits := ""
	if rl := cfg.RateLimits; rl != nil {
		limited := 0
		for _, r := range cfg.Routes {
			if len(cfg.RouteRateLimits(r)) > 0 {
				limited++
			}
		}
		limits = fmt.Sprintf(", %d rate limit policies (%s store) on %d routes", len(rl.Policies), rl.Store.Kind, limited)
	}
	fmt.Fprintf(stdout, "%s: ok (%d services, %d routes%s)\n", *path, len(cfg.Services), len(cfg.Routes), limits)
	return 0
}
