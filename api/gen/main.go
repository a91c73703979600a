// Command gen writes api/portico.yaml, the OpenAPI 3.1 document of
// Portico's public API as the gateway serves it, from the gateway
// configuration portico all runs and the services' OpenAPI documents (see
// the package documentation of api). go generate ./api/... runs it from
// the api directory, with the defaults of its flags.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command with its arguments and output, for tests.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", filepath.Join("..", "cmd", "portico", "all-gateway.yaml"), "the gateway configuration `file` to describe")
	apiDir := fs.String("api", ".", "the `directory` of the services' documents, <service>.yaml")
	out := fs.String("out", "portico.yaml", "the `file` to write, or - for standard output")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gen: unexpected arguments %q\n", fs.Args())
		return 2
	}
	doc, err := generate(*configFile, *apiDir)
	if err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 1
	}
	if *out == "-" {
		_, err = stdout.Write(doc)
	} else {
		err = os.WriteFile(*out, doc, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 1
	}
	return 0
}
