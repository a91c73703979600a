package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/portico-gw/portico/internal/gateway"
	"github.com/portico-gw/portico/internal/gateway/config"
)

func runExplain(_ context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	fs := newFlagSet("explain", stderr)
	path := fs.String("config", "portico.yaml", "gateway configuration `file`")
	host := fs.String("host", "", "the request's `Host`, for routes bound to a host")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: portico explain [--config FILE] [--host HOST] "METHOD /path?query"`)
		fmt.Fprintln(stderr, "\nPrints the route a request would match, the limits and resilience settings")
		fmt.Fprintln(stderr, "that apply, and for a composed route its step graph and critical path.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	method, target, ok := strings.Cut(strings.TrimSpace(fs.Arg(0)), " ")
	if !ok {
		fmt.Fprintf(stderr, "portico explain: %q: want \"METHOD /path\"\n", fs.Arg(0))
		return 2
	}
	cfg, err := config.Load(*path, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	out, err := gateway.Explain(cfg, method, *host, strings.TrimSpace(target))
	if err != nil {
		fmt.Fprintln(stderr, "portico explain:", err)
		return 1
	}
	fmt.Fprint(stdout, out)
	return 0
}
