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
	fmt.Fprintf(stdout, "%s: ok (%d services, %d routes)\n", *path, len(cfg.Services), len(cfg.Routes))
	return 0
}
