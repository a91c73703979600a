package configshttp

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/openapitest"
)

// loadOpenAPI returns api/configs.yaml, for checking that what is served is
// what is described: the routes (TestRoutesMatchOpenAPI) and every
// response the tests see (env.send checks each).
func loadOpenAPI(tb testing.TB) *openapitest.Doc {
	tb.Helper()
	return openapitest.Load(tb, filepath.Join("..", "..", "..", "api", "configs.yaml"))
}

// TestRoutesMatchOpenAPI checks that api/configs.yaml describes exactly
// the routes the handler serves.
func TestRoutesMatchOpenAPI(t *testing.T) {
	var served []string
	for _, rt := range newEnv(t, Options{}).h.routes() {
		served = append(served, rt.pattern)
	}
	loadOpenAPI(t).CheckRoutes(t, served)
}

// TestSettingsSchemaMatchesOpenAPI checks that api/configs.yaml describes
// settings documents exactly as the schema the service validates them
// with: SettingsDocument is the schema's root, and each of its $defs is
// the component named "Delivery" and the name capitalised, with every
// "#/$defs/x" reference pointing at that component. So a client generated
// from the description gets the real types, and the two cannot drift.
func TestSettingsSchemaMatchesOpenAPI(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(configs.SettingsSchema(), &schema); err != nil {
		t.Fatalf("settings schema: %v", err)
	}
	component := func(def string) string { return "Delivery" + strings.ToUpper(def[:1]) + def[1:] }
	var rewrite func(v any) any
	rewrite = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			out := make(map[string]any, len(v))
			for k, x := range v {
				if ref, ok := x.(string); ok && k == "$ref" && strings.HasPrefix(ref, "#/$defs/") {
					out[k] = "#/components/schemas/" + component(strings.TrimPrefix(ref, "#/$defs/"))
					continue
				}
				out[k] = rewrite(x)
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, x := range v {
				out[i] = rewrite(x)
			}
			return out
		}
		return v
	}
	root := maps.Clone(schema)
	for _, k := range []string{"$schema", "$id", "$defs"} {
		delete(root, k)
	}
	want := map[string]any{"SettingsDocument": rewrite(root)}
	defs, _ := schema["$defs"].(map[string]any)
	for name, def := range defs {
		want[component(name)] = rewrite(def)
	}

	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "api", "configs.yaml"))
	if err != nil {
		t.Fatalf("read api/configs.yaml: %v", err)
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		t.Fatalf("api/configs.yaml: %v", err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatalf("api/configs.yaml: %v", err)
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		got, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("api/configs.yaml has no component %s", name)
			continue
		}
		if !reflect.DeepEqual(got, want[name]) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want[name])
			t.Errorf("component %s differs from the settings schema:\n got %s\nwant %s", name, g, w)
		}
	}
	for name := range doc.Components.Schemas {
		if _, ok := want[name]; strings.HasPrefix(name, "Delivery") && !ok && name != "DeliveryKey" {
			t.Errorf("api/configs.yaml has component %s, which the settings schema has no $defs for", name)
		}
	}
}
