package configs

import (
	"errors"
	"slices"
	"testing"
)

const validSettings = `{
  "p2p": {"cellular": {"download": true, "upload": false}, "wifi_ethernet": {"download": true, "upload": true}},
  "activation_ratio": 0.25,
  "activation_threshold": 3,
  "content_id": {"source": "regex", "pattern": "^https://cdn\\.example\\.com/([^/]+)/"},
  "geo": {"allow": ["FR", "DE"], "deny": ["KP"]},
  "isp": {"deny": ["Example Mobile"]},
  "enterprise_sites": [
    {"name": "HQ", "public_ips": ["198.51.100.7", "203.0.113.0/24", "2001:db8::/32"], "private_subnets": ["10.0.0.0/8", "fd00::/8"], "enabled": true}
  ],
  "properties": {
    "mobile": {"p2p": {"cellular": {"upload": true}}, "activation_ratio": 1},
    "live-events": {"content_id": {"source": "path"}, "geo": {"allow": ["US"]}}
  }
}`

func TestSettingsSchemaCompiles(t *testing.T) {
	if _, err := compiledSettingsSchema(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateSettingsValid(t *testing.T) {
	for name, doc := range map[string]string{
		"empty":  `{}`,
		"full":   validSettings,
		"url":    `{"content_id": {"source": "url_without_query"}}`,
		"props0": `{"properties": {}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if errs := ValidateSettings([]byte(doc)); errs != nil {
				t.Errorf("got %v, want none", errs)
			}
		})
	}
}

func TestValidateSettingsInvalid(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []FieldError
	}{
		{"not json", `{"p2p":`, []FieldError{{"", "is not a single valid JSON value"}}},
		{"trailing", `{} {}`, []FieldError{{"", "is not a single valid JSON value"}}},
		{"not object", `[]`, []FieldError{{"", "must be an object"}}},
		{"unknown", `{"colour": 1}`, []FieldError{{"/colour", "is not a known setting"}}},
		{"ratio high", `{"activation_ratio": 1.5}`, []FieldError{{"/activation_ratio", "must be at most 1"}}},
		{"ratio type", `{"activation_ratio": "half"}`, []FieldError{{"/activation_ratio", "must be a number"}}},
		{"threshold", `{"activation_threshold": -1}`, []FieldError{{"/activation_threshold", "must be at least 0"}}},
		{"threshold int", `{"activation_threshold": 1.5}`, []FieldError{{"/activation_threshold", "must be an integer"}}},
		{"p2p bool", `{"p2p": {"cellular": {"upload": "yes"}}}`, []FieldError{{"/p2p/cellular/upload", "must be a boolean"}}},
		{"p2p network", `{"p2p": {"satellite": {}}}`, []FieldError{{"/p2p/satellite", "is not a known setting"}}},
		{"source", `{"content_id": {"source": "hash"}}`, []FieldError{{"/content_id/source", "must be one of url, url_without_query, path, regex"}}},
		{"regex missing", `{"content_id": {"source": "regex"}}`, []FieldError{{"/content_id/pattern", "is required"}}},
		{"regex bad", `{"content_id": {"source": "regex", "pattern": "(["}}`, []FieldError{{"/content_id/pattern", "is not a valid regular expression (Go RE2 syntax)"}}},
		{"regex groups", `{"content_id": {"source": "regex", "pattern": "(a)(b)"}}`, []FieldError{{"/content_id/pattern", "must have exactly one capture group, the content id"}}},
		{"pattern no regex", `{"content_id": {"source": "url", "pattern": "(a)"}}`, []FieldError{{"/content_id/pattern", "is allowed only with source regex"}}},
		{"country", `{"geo": {"deny": ["fr", "FR"]}}`, []FieldError{{"/geo/deny/0", "must be an ISO 3166-1 alpha-2 country code in upper case, such as FR"}}},
		{"country dup", `{"geo": {"allow": ["FR", "FR"]}}`, []FieldError{{"/geo/allow", "must not repeat an item: items 0 and 1 are equal"}}},
		{"isp empty", `{"isp": {"allow": [""]}}`, []FieldError{{"/isp/allow/0", "must be at least 1 characters long"}}},
		{"site name", `{"enterprise_sites": [{"public_ips": ["198.51.100.7"]}]}`, []FieldError{{"/enterprise_sites/0/name", "is required"}}},
		{"site ip", `{"enterprise_sites": [{"name": "a", "public_ips": ["198.51.100.300", "10.1.2.3"], "private_subnets": ["10.0.0.1", "8.8.8.0/24"]}]}`, []FieldError{
			{"/enterprise_sites/0/private_subnets/0", "must be a CIDR prefix, such as 10.0.0.0/8"},
			{"/enterprise_sites/0/private_subnets/1", "must be a private range (RFC 1918 or RFC 4193)"},
			{"/enterprise_sites/0/public_ips/0", "must be an IP address or a CIDR prefix"},
			{"/enterprise_sites/0/public_ips/1", "must be a public address, not a private, loopback or link-local one"},
		}},
		{"site dup", `{"enterprise_sites": [{"name": "HQ", "public_ips": ["198.51.100.7"]}, {"name": "hq", "public_ips": ["198.51.100.8"]}]}`, []FieldError{{"/enterprise_sites/1/name", "is the name of site 0 already"}}},
		{"property name", `{"properties": {"a/b": {}}}`, []FieldError{{"/properties/a~1b", "is not a valid name: 1 to 64 letters, digits, '-' or '_', starting with a letter or digit"}}},
		{"property case", `{"properties": {"Mobile": {}, "mobile": {}}}`, []FieldError{{"/properties/mobile", "differs only in case from another property name"}}},
		{"property dup", `{"properties": {"mobile": {}, "mobile": {"activation_ratio": 1}}}`, []FieldError{{"/properties/mobile", "appears twice in the object"}}},
		{"nested properties", `{"properties": {"m": {"properties": {}}}}`, []FieldError{{"/properties/m/properties", "is not a known setting"}}},
		{"property field", `{"properties": {"m": {"activation_ratio": -0.5, "content_id": {"source": "regex", "pattern": "x"}}}}`, []FieldError{
			{"/properties/m/activation_ratio", "must be at least 0"},
			{"/properties/m/content_id/pattern", "must have exactly one capture group, the content id"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ValidateSettings([]byte(c.doc))
			if !slices.Equal(got, c.want) {
				t.Errorf("got\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}

func TestEffectiveSettings(t *testing.T) {
	cases := []struct{ property, want string }{
		{"", `{"activation_ratio":0.25,"activation_threshold":3,"content_id":{"pattern":"^https://cdn\\.example\\.com/([^/]+)/","source":"regex"},"enterprise_sites":[{"enabled":true,"name":"HQ","private_subnets":["10.0.0.0/8","fd00::/8"],"public_ips":["198.51.100.7","203.0.113.0/24","2001:db8::/32"]}],"geo":{"allow":["FR","DE"],"deny":["KP"]},"isp":{"deny":["Example Mobile"]},"p2p":{"cellular":{"download":true,"upload":false},"wifi_ethernet":{"download":true,"upload":true}}}`},
		// Objects merge, scalars replace.
		{"mobile", `{"activation_ratio":1,"activation_threshold":3,"content_id":{"pattern":"^https://cdn\\.example\\.com/([^/]+)/","source":"regex"},"enterprise_sites":[{"enabled":true,"name":"HQ","private_subnets":["10.0.0.0/8","fd00::/8"],"public_ips":["198.51.100.7","203.0.113.0/24","2001:db8::/32"]}],"geo":{"allow":["FR","DE"],"deny":["KP"]},"isp":{"deny":["Example Mobile"]},"p2p":{"cellular":{"download":true,"upload":true},"wifi_ethernet":{"download":true,"upload":true}}}`},
		// Arrays replace; an object merge keeps the keys the property does not name.
		{"live-events", `{"activation_ratio":0.25,"activation_threshold":3,"content_id":{"pattern":"^https://cdn\\.example\\.com/([^/]+)/","source":"path"},"enterprise_sites":[{"enabled":true,"name":"HQ","private_subnets":["10.0.0.0/8","fd00::/8"],"public_ips":["198.51.100.7","203.0.113.0/24","2001:db8::/32"]}],"geo":{"allow":["US"],"deny":["KP"]},"isp":{"deny":["Example Mobile"]},"p2p":{"cellular":{"download":true,"upload":false},"wifi_ethernet":{"download":true,"upload":true}}}`},
	}
	for _, c := range cases {
		t.Run("property="+c.property, func(t *testing.T) {
			got, err := EffectiveSettings([]byte(validSettings), c.property)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
	if _, err := EffectiveSettings([]byte(validSettings), "tv"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown property: got %v, want ErrNotFound", err)
	}
	if _, err := EffectiveSettings([]byte(`[1]`), ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("array document: got %v, want ErrInvalid", err)
	}
}

// FuzzValidateSettings checks that ValidateSettings and EffectiveSettings
// never panic, and that a document ValidateSettings accepts resolves for
// each of its properties.
func FuzzValidateSettings(f *testing.F) {
	f.Add([]byte(validSettings))
	f.Fuzz(func(t *testing.T, doc []byte) {
		errs := ValidateSettings(doc)
		for _, e := range errs {
			if e.Detail == "" {
				t.Fatalf("error without detail at %q", e.Pointer)
			}
		}
		if errs != nil {
			EffectiveSettings(doc, "x")
			return
		}
		if _, err := EffectiveSettings(doc, ""); err != nil {
			t.Fatalf("valid document: %v", err)
		}
	})
}
