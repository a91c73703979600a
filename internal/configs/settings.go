package configs

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

//go:embed schema/delivery-settings.json
var settingsSchemaJSON []byte

// SettingsSchema returns the JSON Schema (draft 2020-12) of a delivery
// settings document, for the API description and for clients. The caller
// may not modify it.
func SettingsSchema() []byte { return settingsSchemaJSON }

// compiledSettingsSchema compiles the embedded schema once. It is
// package-level but not mutable state: the result depends on nothing but
// the embedded bytes, and TestSettingsSchemaCompiles fails the build
// of a schema that does not compile.
var compiledSettingsSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(settingsSchemaJSON))
	if err != nil {
		return nil, fmt.Errorf("decode settings schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("delivery-settings.json", doc); err != nil {
		return nil, fmt.Errorf("add settings schema: %w", err)
	}
	s, err := c.Compile("delivery-settings.json")
	if err != nil {
		return nil, fmt.Errorf("compile settings schema: %w", err)
	}
	return s, nil
})

// ValidateSettings checks a delivery settings document and returns every
// problem it finds, sorted by pointer, or nil when the document is valid.
// The checks are the embedded JSON Schema's, then those JSON Schema cannot
// make: no key twice in an object, no two property names equal but for
// case, a content_id pattern that compiles as a Go regular expression with
// exactly one capture group and only with source regex, public_ips that
// parse as addresses or prefixes and are not private, private_subnets
// that are private prefixes, enterprise site names unique within a
// settings object. It never panics, whatever doc holds.
func ValidateSettings(doc []byte) []FieldError {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return []FieldError{{Pointer: "", Detail: "is not a single valid JSON value"}}
	}
	var errs []FieldError
	errs = append(errs, duplicateKeys(doc)...)
	schema, err := compiledSettingsSchema()
	if err != nil {
		// Only a broken build gets here; the schema test catches it first.
		return append(errs, FieldError{Pointer: "", Detail: "cannot be checked now"})
	}
	var verr *jsonschema.ValidationError
	if err := schema.Validate(v); errors.As(err, &verr) {
		errs = appendSchemaErrors(errs, verr)
	} else if err != nil {
		errs = append(errs, FieldError{Pointer: "", Detail: "is not valid"})
	}
	if root, ok := v.(map[string]any); ok {
		errs = checkSettings(errs, root, nil)
		if props, ok := root["properties"].(map[string]any); ok {
			errs = checkPropertyNames(errs, props)
			for name, p := range props {
				if p, ok := p.(map[string]any); ok {
					errs = checkSettings(errs, p, []string{"properties", name})
				}
			}
		}
	}
	slices.SortStableFunc(errs, func(a, b FieldError) int { return strings.Compare(a.Pointer, b.Pointer) })
	return dropEchoes(slices.Compact(errs))
}

// dropEchoes removes the "is not a known setting" of a known setting whose
// value is wrong: unevaluatedProperties does not count a property whose
// subschema failed as evaluated, so the validator reports it twice. errs
// is sorted by pointer, so a binary search finds what lies under one.
func dropEchoes(errs []FieldError) []FieldError {
	byPointer := func(e FieldError, p string) int { return strings.Compare(e.Pointer, p) }
	var out []FieldError
	for i, e := range errs {
		if e.Detail == unknownSetting {
			if i > 0 && errs[i-1].Pointer == e.Pointer || i+1 < len(errs) && errs[i+1].Pointer == e.Pointer {
				continue
			}
			if j, _ := slices.BinarySearchFunc(errs, e.Pointer+"/", byPointer); j < len(errs) &&
				strings.HasPrefix(errs[j].Pointer, e.Pointer+"/") {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

const unknownSetting = "is not a known setting"

// appendSchemaErrors flattens the error tree of the schema validator into
// field errors: one per leaf, with a detail written here from the kind's
// schema-side fields, never from the library's message, which may quote
// the document.
func appendSchemaErrors(errs []FieldError, e *jsonschema.ValidationError) []FieldError {
	at := e.InstanceLocation
	switch k := e.ErrorKind.(type) {
	case *kind.PropertyNames:
		return append(errs, FieldError{pointer(append(slices.Clone(at), k.Property)...),
			"is not a valid name: 1 to 64 letters, digits, '-' or '_', starting with a letter or digit"})
	case *kind.Required:
		for _, m := range k.Missing {
			errs = append(errs, FieldError{pointer(append(slices.Clone(at), m)...), "is required"})
		}
		return errs
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			errs = append(errs, FieldError{pointer(append(slices.Clone(at), p)...), unknownSetting})
		}
		return errs
	}
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			errs = appendSchemaErrors(errs, c)
		}
		return errs
	}
	return append(errs, FieldError{pointer(at...), schemaDetail(e)})
}

// schemaDetail says what a leaf error of the schema means.
func schemaDetail(e *jsonschema.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		return "must be " + article(strings.Join(k.Want, " or "))
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		return "must be one of " + strings.Join(want, ", ")
	case *kind.Const:
		return fmt.Sprintf("must be %v", k.Want)
	case *kind.Minimum:
		return "must be at least " + ratString(k.Want)
	case *kind.Maximum:
		return "must be at most " + ratString(k.Want)
	case *kind.MinLength:
		return fmt.Sprintf("must be at least %d characters long", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters long", k.Want)
	case *kind.MinItems:
		return fmt.Sprintf("must have at least %d items", k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %d items", k.Want)
	case *kind.MaxProperties:
		return fmt.Sprintf("must have at most %d entries", k.Want)
	case *kind.UniqueItems:
		return fmt.Sprintf("must not repeat an item: items %d and %d are equal", k.Duplicates[0], k.Duplicates[1])
	case *kind.Pattern:
		if strings.HasSuffix(e.SchemaURL, "/$defs/country") {
			return "must be an ISO 3166-1 alpha-2 country code in upper case, such as FR"
		}
		return "does not have the expected form"
	case *kind.FalseSchema:
		return unknownSetting
	}
	return "is not valid"
}

func article(s string) string {
	if s == "integer" || s == "array" || s == "object" {
		return "an " + s
	}
	return "a " + s
}

func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	return r.FloatString(3)
}

// checkSettings makes the checks of one settings object (the defaults or a
// property) that the schema cannot; at is the object's location.
func checkSettings(errs []FieldError, s map[string]any, at []string) []FieldError {
	ptr := func(tokens ...string) string { return pointer(append(slices.Clone(at), tokens...)...) }
	if cid, ok := s["content_id"].(map[string]any); ok {
		pattern, hasPattern := cid["pattern"].(string)
		source, _ := cid["source"].(string)
		switch {
		case hasPattern && source != "regex":
			errs = append(errs, FieldError{ptr("content_id", "pattern"), "is allowed only with source regex"})
		case hasPattern:
			re, err := regexp.Compile(pattern)
			if err != nil {
				errs = append(errs, FieldError{ptr("content_id", "pattern"), "is not a valid regular expression (Go RE2 syntax)"})
			} else if re.NumSubexp() != 1 {
				errs = append(errs, FieldError{ptr("content_id", "pattern"), "must have exactly one capture group, the content id"})
			}
		}
	}
	sites, _ := s["enterprise_sites"].([]any)
	seen := map[string]int{}
	for i, site := range sites {
		site, ok := site.(map[string]any)
		if !ok {
			continue
		}
		idx := fmt.Sprint(i)
		if name, ok := site["name"].(string); ok {
			if j, dup := seen[strings.ToLower(name)]; dup {
				errs = append(errs, FieldError{ptr("enterprise_sites", idx, "name"),
					fmt.Sprintf("is the name of site %d already", j)})
			} else {
				seen[strings.ToLower(name)] = i
			}
		}
		ips, _ := site["public_ips"].([]any)
		for j, ip := range ips {
			ip, ok := ip.(string)
			if !ok {
				continue
			}
			if p, ok := parseAddrOrPrefix(ip); !ok {
				errs = append(errs, FieldError{ptr("enterprise_sites", idx, "public_ips", fmt.Sprint(j)),
					"must be an IP address or a CIDR prefix"})
			} else if !isPublic(p.Addr()) {
				errs = append(errs, FieldError{ptr("enterprise_sites", idx, "public_ips", fmt.Sprint(j)),
					"must be a public address, not a private, loopback or link-local one"})
			}
		}
		subnets, _ := site["private_subnets"].([]any)
		for j, sn := range subnets {
			sn, ok := sn.(string)
			if !ok {
				continue
			}
			if p, err := netip.ParsePrefix(sn); err != nil {
				errs = append(errs, FieldError{ptr("enterprise_sites", idx, "private_subnets", fmt.Sprint(j)),
					"must be a CIDR prefix, such as 10.0.0.0/8"})
			} else if !p.Addr().IsPrivate() {
				errs = append(errs, FieldError{ptr("enterprise_sites", idx, "private_subnets", fmt.Sprint(j)),
					"must be a private range (RFC 1918 or RFC 4193)"})
			}
		}
	}
	return errs
}

// parseAddrOrPrefix parses "192.0.2.1" as 192.0.2.1/32 and "192.0.2.0/24"
// as itself.
func parseAddrOrPrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p, err == nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

func isPublic(a netip.Addr) bool {
	return a.IsGlobalUnicast() && !a.IsPrivate()
}

// checkPropertyNames refuses two property names that differ only in case:
// a dashboard and the SDK would each pick one.
func checkPropertyNames(errs []FieldError, props map[string]any) []FieldError {
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	slices.Sort(names)
	first := map[string]bool{}
	for _, n := range names {
		if first[strings.ToLower(n)] {
			errs = append(errs, FieldError{pointer("properties", n),
				"differs only in case from another property name"})
			continue
		}
		first[strings.ToLower(n)] = true
	}
	return errs
}

// duplicateKeys returns an error for each key that appears twice in one
// object of doc, which a JSON decoder would silently resolve to the last.
// doc has already been decoded once, so it is valid JSON.
func duplicateKeys(doc []byte) []FieldError {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var errs []FieldError
	var walk func(at []string) error
	walk = func(at []string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			keys := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := kt.(string)
				if keys[k] {
					errs = append(errs, FieldError{pointer(append(slices.Clone(at), k)...), "appears twice in the object"})
				}
				keys[k] = true
				if err := walk(append(slices.Clone(at), k)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(append(slices.Clone(at), fmt.Sprint(i))); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	if err := walk(nil); err != nil && !errors.Is(err, io.EOF) {
		return append(errs, FieldError{Pointer: "", Detail: "is not a single valid JSON value"})
	}
	return errs
}
