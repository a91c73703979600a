package authhttp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/portico-gw/portico/internal/auth"
)

// TestRoutesMatchOpenAPI checks that api/auth.yaml describes exactly the
// routes the handler serves.
func TestRoutesMatchOpenAPI(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "api", "auth.yaml"))
	if err != nil {
		t.Fatalf("read openapi: %v", err)
	}
	var doc struct {
		OpenAPI string                          `yaml:"openapi"`
		Paths   map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse openapi: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("got openapi %q, want 3.1.0", doc.OpenAPI)
	}
	var described []string
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete":
				described = append(described, strings.ToUpper(method)+" "+path)
			}
		}
	}
	env := newTestServer(t, auth.Options{}, Options{})
	var served []string
	for _, rt := range NewHandler(env.Service, Options{}).routes() {
		served = append(served, rt.pattern)
	}
	slices.Sort(described)
	slices.Sort(served)
	for _, s := range served {
		if !slices.Contains(described, s) {
			t.Errorf("route %q is served but not in api/auth.yaml", s)
		}
	}
	for _, d := range described {
		if !slices.Contains(served, d) {
			t.Errorf("route %q is in api/auth.yaml but not served", d)
		}
	}
}
