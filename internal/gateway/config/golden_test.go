package config

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoldenValid loads each testdata/valid/*.yaml and compares the
// defaulted Config, as JSON, with the .json file beside it.
func TestGoldenValid(t *testing.T) {
	for _, file := range mustGlob(t, "testdata/valid/*.yaml") {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			c, err := Load(file, testEnv)
			if err != nil {
				t.Fatalf("got error:\n%v\nwant none", err)
			}
			got, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			checkGolden(t, strings.TrimSuffix(file, ".yaml")+".json", append(got, '\n'))
			if err := c.Validate(); err != nil {
				t.Errorf("validate again: got\n%v\nwant no error", err)
			}
		})
	}
}

// TestGoldenInvalid loads each testdata/invalid/*.yaml and compares the
// error text with the .err file beside it.
func TestGoldenInvalid(t *testing.T) {
	for _, file := range mustGlob(t, "testdata/invalid/*.yaml") {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			c, err := Load(file, testEnv)
			if err == nil {
				t.Fatalf("got no error, want one")
			}
			if c != nil {
				t.Errorf("got a config with the error, want nil")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("got error type %T, want Errors", err)
			}
			for _, e := range errs {
				if e.Pos.File != file || e.Pos.Line == 0 {
					t.Errorf("error %q: got position %q, want one in %s with a line", e.Msg, e.Pos, file)
				}
			}
			checkGolden(t, strings.TrimSuffix(file, ".yaml")+".err", []byte(err.Error()+"\n"))
		})
	}
}

// TestExamplesLoad checks that the shipped configurations load with an
// empty environment.
func TestExamplesLoad(t *testing.T) {
	for _, file := range examples {
		t.Run(filepath.Base(file), func(t *testing.T) {
			if _, err := Load(file, nil); err != nil {
				t.Fatalf("got error:\n%v\nwant none", err)
			}
		})
	}
}
