package archtest

import (
	"fmt"
	"slices"
	"strings"
)

// Module is Portico's module path.
const Module = "github.com/portico-gw/portico"

// Services are the components behind the gateway; each owns its data and
// knows the others only by URL.
var Services = []string{"auth", "accounts", "configs", "analytics"}

// Package is one package of the import graph: its path and every package
// it depends on, directly or not.
type Package struct {
	ImportPath string
	Deps       []string
}

// component returns the component an import path belongs to ("gateway",
// a service, "platform"), or "" for anything else (cmd, tests, libraries).
func component(path string) string {
	rest, ok := strings.CutPrefix(path, Module+"/internal/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	if name == "gateway" || name == "platform" || slices.Contains(Services, name) {
		return name
	}
	return ""
}

// Violations returns one line for every dependency the architecture
// forbids: a service on another service or on the gateway, the gateway on
// a service, platform on any component.
func Violations(pkgs []Package) []string {
	var out []string
	for _, p := range pkgs {
		// A test variant is listed as "path [path.test]".
		path, _, _ := strings.Cut(p.ImportPath, " ")
		from := component(path)
		if from == "" {
			continue
		}
		for _, d := range p.Deps {
			dep, _, _ := strings.Cut(d, " ")
			to := component(dep)
			if to == "" || to == from {
				continue
			}
			var rule string
			switch {
			case from == "platform":
				rule = "platform imports no component"
			case to == "platform":
				continue
			case from == "gateway":
				rule = "the gateway knows services only by URL"
			default:
				rule = "a service imports no other component"
			}
			out = append(out, fmt.Sprintf("%s depends on %s: %s", p.ImportPath, dep, rule))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
