package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

func mustCompileSchema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		tb.Fatalf("unmarshal schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		tb.Fatalf("add schema: %v", err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		tb.Fatalf("compile schema: %v", err)
	}
	return s
}

// mustJSONValue decodes YAML into the values a JSON decoder would produce.
func mustJSONValue(tb testing.TB, data []byte) any {
	tb.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		tb.Fatalf("decode yaml: %v", err)
	}
	out, err := jsonValue(v)
	if err != nil {
		tb.Fatalf("convert yaml: %v", err)
	}
	return out
}

func jsonValue(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			m[k] = c
		}
		return m, nil
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			l[i] = c
		}
		return l, nil
	case int:
		return json.Number(fmt.Sprint(v)), nil
	case float64:
		return json.Number(fmt.Sprint(v)), nil
	case string, bool, nil:
		return v, nil
	}
	return nil, fmt.Errorf("value %v of type %T has no JSON form", v, v)
}

func TestSchemaAcceptsValidConfigs(t *testing.T) {
	s := mustCompileSchema(t)
	files := append(mustGlob(t, "testdata/valid/*.yaml"), examples...)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			if err := s.Validate(mustJSONValue(t, mustReadFile(t, file))); err != nil {
				t.Errorf("got %v, want no error", err)
			}
		})
	}
}

func TestSchemaRejectsInvalidConfigs(t *testing.T) {
	s := mustCompileSchema(t)
	const base = "version: 1\nservices: {a: {targets: [http://127.0.0.1:8081]}}\nroutes: [{path: /, service: a}]\n"
	cases := map[string]string{
		"unknown top-level key":    base + "colour: blue\n",
		"unknown nested key":       base + "server: {lisen: \":80\"}\n",
		"missing version":          "services: {a: {targets: [http://a]}}\nroutes: [{path: /, service: a}]\n",
		"wrong version":            strings.Replace(base, "version: 1", "version: 2", 1),
		"no routes":                "version: 1\nservices: {a: {targets: [http://a]}}\nroutes: []\n",
		"route without service":    "version: 1\nservices: {a: {targets: [http://a]}}\nroutes: [{path: /}]\n",
		"bad duration":             base + "server: {idle_timeout: 5}\n",
		"bad size unit":            base + "server: {max_body: 1mb}\n",
		"bad balance":              "version: 1\nservices: {a: {targets: [http://a], balance: random}}\nroutes: [{path: /, service: a}]\n",
		"targets and dns":          "version: 1\nservices: {a: {targets: [http://a], dns: {name: a, port: 80}}}\nroutes: [{path: /, service: a}]\n",
		"neither targets nor dns":  "version: 1\nservices: {a: {}}\nroutes: [{path: /, service: a}]\n",
		"ratio above one":          base + "tracing: {sample_ratio: 1.5}\n",
		"string for boolean":       base + "server: {access_log: \"yes\"}\n",
		"bad header name":          "version: 1\nservices: {a: {targets: [http://a]}}\nroutes: [{path: /, service: a, request_headers: {set: {\"X Y\": z}}}]\n",
		"retry attempts above max": "version: 1\nservices: {a: {targets: [http://a], retry: {attempts: 11}}}\nroutes: [{path: /, service: a}]\n",
		"auth without url":         base + "auth: {issuer: http://a, cookie_name: s}\n",
		"auth without issuer":      base + "auth: {url: http://a}\n",
		"relative token file":      base + "auth: {url: http://a, issuer: http://a, workload_token_file: token}\n",
		"unknown auth key":         base + "auth: {url: http://a, issuer: http://a, ttl: 5s}\n",
		"string for max_entries":   base + "auth: {url: http://a, issuer: http://a, max_entries: \"10\"}\n",
		"empty require":            "version: 1\nservices: {a: {targets: [http://a]}}\nroutes: [{path: /, service: a, require: {}}]\n",
		"unknown require key":      "version: 1\nservices: {a: {targets: [http://a]}}\nroutes: [{path: /, service: a, require: {role: admin}}]\n",
		"upper-case role":          "version: 1\nservices: {a: {targets: [http://a]}}\nroutes: [{path: \"/{o}\", service: a, require: {tenant: o, roles: [Admin]}}]\n",
		"duplicate scope":          "version: 1\nservices: {a: {targets: [http://a]}}\nroutes: [{path: /, service: a, require: {scopes: [a, a]}}]\n",
		"string for public":        "version: 1\nservices: {a: {targets: [http://a]}}\nroutes: [{path: /, service: a, public: \"yes\"}]\n",
		"bad rate":                 base + "rate_limits: {policies: {p: {key: [route], rate: 10/min}}}\n",
		"unknown rate limit store": base + "rate_limits: {store: {kind: memcached}, policies: {p: {key: [route], rate: 1/s}}}\n",
		"unknown key part":         base + "rate_limits: {policies: {p: {key: [user], rate: 1/s}}}\n",
		"static and service":       "version: 1\nservices: {a: {targets: [http://a]}}\nroutes: [{path: /, service: a, static: {dir: web}}]\n",
		"static without files":     "version: 1\nroutes: [{path: /, static: {index: a.html}}]\n",
		"static dir and embedded":  "version: 1\nroutes: [{path: /, static: {dir: web, embedded: web}}]\n",
		"unknown static key":       "version: 1\nroutes: [{path: /, static: {dir: web, spa: true}}]\n",
		"static hidden index":      "version: 1\nroutes: [{path: /, static: {dir: web, index: .env}}]\n",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if err := s.Validate(mustJSONValue(t, []byte(doc))); err == nil {
				t.Errorf("got no error for\n%s\nwant one", doc)
			}
		})
	}
}

// typePaths lists every key path of type t, as the docs write them:
// "server.listen", "services.<name>.timeouts.dial", "routes[].cors.max_age".
func typePaths(t reflect.Type, prefix string, out *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		p := joinField(prefix, name)
		*out = append(*out, p)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct:
			typePaths(ft, p, out)
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Pointer:
			typePaths(ft.Elem().Elem(), p+".<name>", out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Pointer:
			typePaths(ft.Elem().Elem(), p+"[]", out)
		}
	}
}

func configPaths() []string {
	var out []string
	typePaths(reflect.TypeFor[Config](), "", &out)
	slices.Sort(out)
	return out
}

// schemaNode is a decoded JSON Schema object.
type schemaNode = map[string]any

// resolve follows a local $ref.
func resolve(tb testing.TB, root, n schemaNode) schemaNode {
	tb.Helper()
	ref, ok := n["$ref"].(string)
	if !ok {
		return n
	}
	def, ok := root["$defs"].(schemaNode)[strings.TrimPrefix(ref, "#/$defs/")].(schemaNode)
	if !ok {
		tb.Fatalf("unresolved $ref %s", ref)
	}
	return def
}

// schemaPaths lists the key paths of an object schema, checking that every
// object is closed and every key described.
func schemaPaths(tb testing.TB, root, n schemaNode, prefix string, out *[]string, defaults map[string]any) {
	tb.Helper()
	n = resolve(tb, root, n)
	props, ok := n["properties"].(schemaNode)
	if !ok {
		tb.Fatalf("%s: object schema without properties", prefix)
	}
	if n["additionalProperties"] != false {
		tb.Errorf("%s: got additionalProperties %v, want false", prefix, n["additionalProperties"])
	}
	for name, raw := range props {
		p := joinField(prefix, name)
		*out = append(*out, p)
		prop := raw.(schemaNode)
		if d, ok := prop["description"].(string); !ok || d == "" {
			tb.Errorf("%s: no description", p)
		}
		if d, ok := prop["default"]; ok {
			defaults[p] = d
		}
		child := resolve(tb, root, prop)
		switch {
		case child["properties"] != nil:
			schemaPaths(tb, root, child, p, out, defaults)
		case child["type"] == "object":
			if ap, ok := child["additionalProperties"].(schemaNode); ok && resolve(tb, root, ap)["properties"] != nil {
				schemaPaths(tb, root, ap, p+".<name>", out, defaults)
			}
		case child["type"] == "array":
			if items, ok := child["items"].(schemaNode); ok && resolve(tb, root, items)["properties"] != nil {
				schemaPaths(tb, root, items, p+"[]", out, defaults)
			}
		}
	}
}

func mustSchemaPaths(tb testing.TB) ([]string, map[string]any) {
	tb.Helper()
	var root schemaNode
	if err := json.Unmarshal(Schema(), &root); err != nil {
		tb.Fatalf("unmarshal schema: %v", err)
	}
	var out []string
	defaults := map[string]any{}
	schemaPaths(tb, root, root, "", &out, defaults)
	slices.Sort(out)
	return out, defaults
}

func TestSchemaMatchesTypes(t *testing.T) {
	want := configPaths()
	got, _ := mustSchemaPaths(t)
	for _, p := range want {
		if _, found := slices.BinarySearch(got, p); !found {
			t.Errorf("key %s is in the Go types but not in the schema", p)
		}
	}
	for _, p := range got {
		if _, found := slices.BinarySearch(want, p); !found {
			t.Errorf("key %s is in the schema but not in the Go types", p)
		}
	}
}

// TestSchemaDefaultsMatch checks each default the schema states against
// the value Parse fills in.
func TestSchemaDefaultsMatch(t *testing.T) {
	c := mustParse(t, `
version: 1
services:
  a: {targets: [http://127.0.0.1:8081], health_check: {}}
  b: {dns: {name: b.internal, port: 80}}
auth: {url: http://127.0.0.1:8081, issuer: http://127.0.0.1:8080,
  issuers: [{name: idp, issuer: "https://idp.example", audiences: [portico], organization: org_a}]}
routes:
  - {path: /, service: a, cors: {allow_origins: [https://a.example]}}
  - {path: "/orgs/{org}", service: a, require: {tenant: org}}
  - {path: /agg, aggregate: {steps: [{name: s, service: a, path: /x}]}}
  - {path: "/app/{file...}", static: {embedded: app}}
rate_limits: {store: {kind: redis, redis: {addr: "127.0.0.1:6379"}}, policies: {p: {key: [route], rate: 1/s}}}
`)
	_, defaults := mustSchemaPaths(t)
	if len(defaults) < 40 {
		t.Fatalf("got %d schema defaults, want every default (at least 40)", len(defaults))
	}
	for path, def := range defaults {
		got, ok := valueAt(reflect.ValueOf(c).Elem(), strings.Split(path, "."))
		if !ok {
			t.Errorf("%s: no value in the parsed config", path)
			continue
		}
		if !sameDefault(t, got, def) {
			t.Errorf("%s: got default %v in the config, want %v as the schema says", path, got, def)
		}
	}
}

// valueAt follows yaml keys from v; "<name>" takes a map's first value
// that has the rest of the path, "x[]" a list's first element that has it.
func valueAt(v reflect.Value, keys []string) (reflect.Value, bool) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return v, false
		}
		v = v.Elem()
	}
	if len(keys) == 0 {
		return v, true
	}
	key, list := strings.CutSuffix(keys[0], "[]")
	if key == "<name>" && v.Kind() == reflect.Map {
		names := v.MapKeys()
		slices.SortFunc(names, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range names {
			if got, ok := valueAt(v.MapIndex(k), keys[1:]); ok {
				return got, true
			}
		}
		return v, false
	}
	if v.Kind() != reflect.Struct {
		return v, false
	}
	for i := range v.NumField() {
		if yamlName(v.Type().Field(i)) != key {
			continue
		}
		f := v.Field(i)
		if list {
			for j := range f.Len() {
				if got, ok := valueAt(f.Index(j), keys[1:]); ok {
					return got, true
				}
			}
			return f, false
		}
		return valueAt(f, keys[1:])
	}
	return v, false
}

func sameDefault(tb testing.TB, v reflect.Value, def any) bool {
	tb.Helper()
	switch x := v.Interface().(type) {
	case Duration:
		s, ok := def.(string)
		d, err := ParseDuration(s)
		return ok && err == nil && d == x
	case Size:
		s, ok := def.(string)
		n, err := ParseSize(s)
		return ok && err == nil && n == x
	case int:
		f, ok := def.(float64)
		return ok && f == float64(x)
	case float64:
		f, ok := def.(float64)
		return ok && f == x
	case string, bool:
		return def == x
	}
	tb.Errorf("no comparison for %s", v.Type())
	return false
}
