package aggregate

import (
	"encoding/json"
	"net/url"
	"testing"
)

// mustTemplate parses a template or fails the test.
func mustTemplate(tb testing.TB, s string) *template {
	tb.Helper()
	t, err := parseTemplate(s)
	if err != nil {
		tb.Fatalf("parse %q: %v", s, err)
	}
	return t
}

func TestTemplateExpand(t *testing.T) {
	e := &env{
		in: &Input{
			Path:     MapParams{"org": "a b/c", "dots": "..", "empty": ""},
			Query:    url.Values{"q": {"x&y=z", "second"}},
			Identity: map[string]any{"sub": "u1", "orgs": []any{"o1", "o2"}, "admin": true, "n": json.Number("1e+3")},
		},
		results: []any{map[string]any{"items": []any{map[string]any{"id": "i1", "n": 2.5}}, "none": nil}},
	}
	for _, tc := range []struct {
		name, tmpl string
		mode       escMode
		want       string
		wantErr    string
	}{
		{"literal braces", "{{x}} }}", escRaw, "{x} }", ""},
		{"path segment", "/orgs/{path.org}/x", escPath, "/orgs/a%20b%2Fc/x", ""},
		{"query component", "{query.q}", escQuery, "x%26y%3Dz", ""},
		{"query space", "{path.org}", escQuery, "a+b%2Fc", ""},
		{"json string", `say "{identity.sub}"`, escJSON, `say \"u1\"`, ""},
		{"boolean", "{identity.admin}", escRaw, "true", ""},
		{"json number escaped", "{identity.n}", escQuery, "1e%2B3", ""},
		{"float", "{steps.a.items.0.n}", escRaw, "2.5", ""},
		{"index", "{identity.orgs.1}", escRaw, "o2", ""},
		{"default when missing", "{query.nope|d e}", escQuery, "d+e", ""},
		{"default when null", "{steps.a.none|-}", escRaw, "-", ""},
		{"missing", "{query.nope}", escRaw, "", "reference {query.nope} is missing"},
		{"null", "{steps.a.none}", escRaw, "", "reference {steps.a.none} is null"},
		{"not scalar", "{identity.orgs}", escRaw, "", "reference {identity.orgs} is an object or array, not a scalar"},
		{"index out of range", "{identity.orgs.5}", escRaw, "", "is missing"},
		{"empty segment", "/x/{path.empty}", escPath, "", "is empty, which cannot be a path segment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp := mustTemplate(t, tc.tmpl)
			for _, p := range tp.parts {
				if p.ref != nil && p.ref.ns == nsSteps {
					p.ref.step = 0
				}
			}
			got, err := tp.expand(nil, e, tc.mode)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("got %q, want error %q", got, tc.wantErr)
				}
				wantContains(t, "error", err.Error(), tc.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want %q", err, tc.want)
			}
			if string(got) != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("dot segment", func(t *testing.T) {
		got, _ := mustTemplate(t, "/a/{path.dots}").expand(nil, e, escPath)
		if !hasDotSegment(got) {
			t.Errorf("got %q not flagged as a dot segment, want it flagged", got)
		}
	})
}

func TestTemplateString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/a/{path.org}", "/a/{path.org}"},
		{"{{{query.x|d.e|f}}}", "{{{query.x|d.e|f}}}"},
		{"{steps.a}", "{steps.a}"},
		{"{item}{body}", "{item}{body}"},
		{"", ""},
	} {
		if got := mustTemplate(t, tc.in).String(); got != tc.want {
			t.Errorf("String of %q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"{", "}", "{}", "{path}", "{path.a.b}", "{query}", "{identity}", "{steps}", "{x.y}", "{a{b}}", "{steps.a..b}", "{path.\x01}"} {
		if _, err := parseTemplate(bad); err == nil {
			t.Errorf("parse %q: got no error, want one", bad)
		}
	}
}

func TestLookup(t *testing.T) {
	v := mustDecode(t, []byte(`{"a":[{"b":{"c":1}},{"b":{"c":2}}],"x":{"0":"zero"},"s":"str"}`))
	for _, tc := range []struct {
		path string
		want string
		ok   bool
	}{
		{"a.b.c", "[1,2]", true},
		{"a.1.b", `{"c":2}`, true},
		{"x.0", `"zero"`, true},
		{"a.2", "", false},
		{"a.b.d", "", false},
		{"s.len", "", false},
		{"a.01", "", false},
	} {
		p, err := parseFieldPath(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := lookup(v, p)
		if ok != tc.ok {
			t.Errorf("lookup %s: got ok %v, want %v", tc.path, ok, tc.ok)
			continue
		}
		if ok {
			b, _ := appendJSON(nil, got)
			if string(b) != tc.want {
				t.Errorf("lookup %s: got %s, want %s", tc.path, b, tc.want)
			}
		}
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"b":[1,2.5,-0,1e21,1e-7,12345678901234567890],"a":"x\u2028\ty\"\\<>&","c":null,"d":true}`,
		`"\ud800"`, `[]`, `{}`, `"é\u0001"`,
	} {
		var v any
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatal(err)
		}
		got, err := appendJSON(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		var back any
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("appendJSON(%s) = %s, not JSON: %v", in, got, err)
		}
		want, _ := json.Marshal(v)
		var wantBack any
		json.Unmarshal(want, &wantBack)
		if gb, wb := mustCanon(t, back), mustCanon(t, wantBack); gb != wb {
			t.Errorf("appendJSON(%s): got %s, want %s", in, got, want)
		}
	}
}

func mustCanon(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
