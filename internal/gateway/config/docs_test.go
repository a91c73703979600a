package config

import (
	"strings"
	"testing"
)

const docsPath = "../../../docs/gateway-config.md"

// TestDocsCoverEveryKey checks that the reference names every key path.
func TestDocsCoverEveryKey(t *testing.T) {
	doc := string(mustReadFile(t, docsPath))
	for _, p := range configPaths() {
		if !strings.Contains(doc, "`"+p+"`") {
			t.Errorf("key `%s` is not in %s", p, docsPath)
		}
	}
}
