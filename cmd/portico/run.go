package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
)

// env looks a variable up, as os.LookupEnv does; tests pass their own.
type env func(string) (string, bool)

// command is one subcommand. Adding a component is adding an entry here and
// a file with its run function.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"all":                {"run every component in one process (gateway, auth, accounts, configs, analytics) on a local data directory", runAll},
		"auth":               {"run the auth service", runAuth},
		"accounts":           {"run the accounts service", runAccounts},
		"configs":            {"run the configs service", runConfigs},
		"analytics":          {"run the analytics service", runAnalytics},
		"gateway":            {"run the API gateway", runGateway},
		"check":              {"validate a gateway configuration and print every problem", runCheck},
		"explain":            {"show how the gateway would handle a request", runExplain},
		"migrate":            {"apply the services' database migrations, or show them (--status)", runMigrate},
		"rotate-signing-key": {"replace the auth service's signing key now (a key suspected of having leaked)", runRotateSigningKey},
		"version":            {"print the version", runVersion},
	}
}

// run executes the subcommand named by args[0] and returns the process
// exit code: 0 on success, 1 on failure, 2 on a usage error.
func run(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "portico: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	return c.run(ctx, args[1:], getenv, stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: portico <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'portico <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set that reports errors to stderr and does not
// exit the process.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("portico "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and returns the exit code to use when parsing
// stopped the command (-h, or a bad flag), or -1 to continue.
func parseFlags(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2
	}
	return -1
}
