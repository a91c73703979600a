package config

import (
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	env := func(name string) (string, bool) {
		v, ok := map[string]string{"A": "alpha", "EMPTY": "", "YAML": "k: v\n- x", "REF": "${A}"}[name]
		return v, ok
	}
	cases := []struct {
		in, want     string
		wantExpanded bool
		wantErr      string
	}{
		{"plain", "plain", false, ""},
		{"cost: $5", "cost: $5", false, ""},
		{"${A}", "alpha", true, ""},
		{"x-${A}-y-${A}", "x-alpha-y-alpha", true, ""},
		{"${MISSING:-dflt}", "dflt", true, ""},
		{"${EMPTY:-dflt}", "dflt", true, ""},
		{"${EMPTY}", "", true, ""},
		{"${MISSING:-}", "", true, ""},
		{"${A:-dflt}", "alpha", true, ""},
		{"${MISSING:-a:-b}", "a:-b", true, ""},
		{"$${A}", "${A}", true, ""},
		{"$$${A}", "$${A}", true, ""},
		{"$$", "$$", false, ""},
		{"${YAML}", "k: v\n- x", true, ""},
		{"${REF}", "${A}", true, ""},
		{"${MISSING}", "", true, "MISSING is not set"},
		{"${A", "", true, "unterminated"},
		{"${}", "", true, "invalid variable reference"},
		{"${1A}", "", true, "invalid variable reference"},
		{"${A-b}", "", true, "invalid variable reference"},
		{"${A:-${B}}", "", true, "nested"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, expanded, err := expand(tc.in, env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("got %q, %v; want an error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want || expanded != tc.wantExpanded {
				t.Errorf("got %q, %v, %v; want %q, %v", got, expanded, err, tc.want, tc.wantExpanded)
			}
		})
	}
}

func TestExpandNilEnv(t *testing.T) {
	if got, _, err := expand("${A:-d}", nil); err != nil || got != "d" {
		t.Errorf("got %q, %v; want d", got, err)
	}
	if _, _, err := expand("${A}", nil); err == nil {
		t.Errorf("got no error, want one")
	}
}
