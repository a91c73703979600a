package config

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// testEnv is the environment golden configurations are expanded with.
func testEnv(name string) (string, bool) {
	v, ok := map[string]string{
		"GW_LISTEN":  ":9000",
		"GW_RATIO":   "0.5",
		"GW_FLAG":    "true",
		"GW_TIMEOUT": "3s",
		"GW_SIZE":    "2MiB",
		"GW_COUNT":   "42",
		"GW_WEIRD":   "a: b\nc: [d]",
		"GW_EMPTY":   "",
		"GW_TEXT":    "not a number",
	}[name]
	return v, ok
}

func mustReadFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	return b
}

func mustGlob(tb testing.TB, pattern string) []string {
	tb.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		tb.Fatalf("glob %s: got %d files, err %v", pattern, len(files), err)
	}
	return files
}

func mustParse(tb testing.TB, yaml string) *Config {
	tb.Helper()
	c, err := Parse("test.yaml", []byte(yaml), testEnv)
	if err != nil {
		tb.Fatalf("parse:\n%s\ngot error:\n%v", yaml, err)
	}
	return c
}

// mustParseError parses yaml, which must be invalid, and returns the error text.
func mustParseError(tb testing.TB, yaml string) string {
	tb.Helper()
	_, err := Parse("test.yaml", []byte(yaml), testEnv)
	if err == nil {
		tb.Fatalf("parse:\n%s\ngot no error, want one", yaml)
	}
	return err.Error()
}

// checkGolden compares got with the golden file at path, or rewrites it
// with -update.
func checkGolden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatalf("write %s: %v", path, err)
		}
		return
	}
	want := mustReadFile(tb, path)
	if string(got) != string(want) {
		tb.Errorf("%s: got\n%s\nwant\n%s", path, got, want)
	}
}

// examples are the ready configurations shipped with the project.
var examples = []string{
	"../../../configs/gateway.example.yaml",
	"../../../configs/gateway.minimal.yaml",
}
