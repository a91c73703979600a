package config

import (
	"bytes"
	_ "embed"
)

//go:embed schema.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of the configuration
// file, with a description and, where there is one, the default of every
// key, for editors to complete and check configurations with. It checks
// each key's type and range; the relations between keys that validation
// checks (timeouts that must nest, routes that conflict, services that
// routes name) are beyond it. The returned slice is a copy.
func Schema() []byte { return bytes.Clone(schema) }
