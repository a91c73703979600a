package router

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseTemplate(t *testing.T) {
	cases := []struct {
		in, shape string // shape "" means an error is expected
		params    []string
		wildcard  bool
	}{
		{"/", "/", nil, false},
		{"/a", "/a", nil, false},
		{"/a/", "/a/", nil, false},
		{"/a/b/c/", "/a/b/c/", nil, false},
		{"/{x}", "/{}", []string{"x"}, false},
		{"/{x}/", "/{}/", []string{"x"}, false},
		{"/{p...}", "/{...}", []string{"p"}, true},
		{"/files/{p...}", "/files/{...}", []string{"p"}, true},
		{"/v1/orgs/{org}/members/{rest...}", "/v1/orgs/{}/members/{...}", []string{"org", "rest"}, true},
		{"/a/{_b}/{C9}/d", "/a/{}/{}/d", []string{"_b", "C9"}, false},
		{"/caf%C3%A9/{x}", "/caf%C3%A9/{}", []string{"x"}, false},
		{"/a;b=c/x:y@z", "/a;b=c/x:y@z", nil, false},
		{"/a./..b/...", "/a./..b/...", nil, false},
		// Errors.
		{"", "", nil, false},
		{"a", "", nil, false},
		{"//", "", nil, false},
		{"/a//b", "", nil, false},
		{"/a/b//", "", nil, false},
		{"/.", "", nil, false},
		{"/a/./b", "", nil, false},
		{"/a/..", "", nil, false},
		{"/a/%2e", "", nil, false},
		{"/caf%c3%a9", "", nil, false},
		{"/café", "", nil, false},
		{"/%61", "", nil, false},
		{"/a b", "", nil, false},
		{"/a%2Fb", "", nil, false},
		{"/a\\b", "", nil, false},
		{"/a%", "", nil, false},
		{"/a{b}", "", nil, false},
		{"/{a}b", "", nil, false},
		{"/a{b}c", "", nil, false},
		{"/{a}{b}", "", nil, false},
		{"/{", "", nil, false},
		{"/}", "", nil, false},
		{"/{}", "", nil, false},
		{"/{...}", "", nil, false},
		{"/{1a}", "", nil, false},
		{"/{a-b}", "", nil, false},
		{"/{a.b}", "", nil, false},
		{"/{a}/{a}", "", nil, false},
		{"/{a}/{a...}", "", nil, false},
		{"/{p...}/x", "", nil, false},
		{"/{p...}/", "", nil, false},
		{"/{p..}", "", nil, false},
		{"/a?b", "", nil, false},
		{"/" + strings.Repeat("{a}/", 0) + manyParams(MaxParams+1), "", nil, false},
	}
	for _, c := range cases {
		tp, err := ParseTemplate(c.in)
		if c.shape == "" {
			if err == nil {
				t.Errorf("ParseTemplate(%q) = %q, want error", c.in, tp.Shape())
			} else if !errors.Is(err, ErrTemplate) {
				t.Errorf("ParseTemplate(%q) error %v does not wrap ErrTemplate", c.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTemplate(%q): %v", c.in, err)
			continue
		}
		if tp.String() != c.in || tp.Shape() != c.shape || !slices.Equal(tp.Params(), c.params) || tp.HasWildcard() != c.wildcard {
			t.Errorf("ParseTemplate(%q) = %q shape %q params %q wildcard %v; want shape %q params %q wildcard %v",
				c.in, tp.String(), tp.Shape(), tp.Params(), tp.HasWildcard(), c.shape, c.params, c.wildcard)
		}
	}
	// MaxParams exactly is fine.
	if _, err := ParseTemplate("/" + manyParams(MaxParams)); err != nil {
		t.Error(err)
	}
}

func manyParams(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString("{p" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + "}")
	}
	return b.String()
}

func TestTemplateErrorMessages(t *testing.T) {
	for in, want := range map[string]string{
		"/caf%c3%a9": `write "caf%C3%A9"`,
		"/{a}b":      "wholly literal or wholly {name}",
		"/{p...}/x":  "must be the last segment",
		"/{a}/{a}":   "duplicate parameter",
		"/x/..":      "dot segment",
	} {
		_, err := ParseTemplate(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTemplate(%q) error %v, want it to mention %q", in, err, want)
		}
	}
}

func TestShapeConflicts(t *testing.T) {
	same := [][2]string{
		{"/a/{x}", "/a/{y}"},
		{"/{a}/{b...}", "/{c}/{d...}"},
		{"/", "/"},
	}
	for _, p := range same {
		if MustParseTemplate(p[0]).Shape() != MustParseTemplate(p[1]).Shape() {
			t.Errorf("%s and %s should have the same shape", p[0], p[1])
		}
	}
	differ := [][2]string{
		{"/a", "/a/"},
		{"/a/{x}", "/a/{x...}"},
		{"/a/{x}", "/a/x"},
		{"/{x}", "/%7Bx%7D"},
		{"/a/{x...}", "/a/"},
	}
	for _, p := range differ {
		if MustParseTemplate(p[0]).Shape() == MustParseTemplate(p[1]).Shape() {
			t.Errorf("%s and %s should have different shapes", p[0], p[1])
		}
	}
}

func TestParseRewrite(t *testing.T) {
	cases := []struct {
		in     string
		ok     bool
		params []string
	}{
		{"/", true, nil},
		{"/internal", true, nil},
		{"/internal/orgs/{org}/members/{rest...}", true, []string{"org", "rest"}},
		{"/x/{org}-y", true, []string{"org"}},
		{"/x/{a}{b}/{a}", true, []string{"a", "b"}},
		{"/{rest...}", true, []string{"rest"}},
		{"/a/", true, nil},
		{"/x/pre.{a}.post;v=1", true, []string{"a"}},
		{"", false, nil},
		{"x/{a}", false, nil},
		{"/{a", false, nil},
		{"/a}", false, nil},
		{"/{}", false, nil},
		{"/{1}", false, nil},
		{"/x{rest...}", false, nil},
		{"/{rest...}/x", false, nil},
		{"/{rest...}/", false, nil},
		{"//{a}", false, nil},
		{"/a//{b}", false, nil},
		{"/./{a}", false, nil},
		{"/../{a}", false, nil},
		{"/a/%2e/{b}", false, nil},
		{"/a%2F{b}", false, nil},
		{"/a b/{c}", false, nil},
		{"/caf%c3%a9", false, nil},
	}
	for _, c := range cases {
		rw, err := ParseRewrite(c.in)
		if !c.ok {
			if err == nil {
				t.Errorf("ParseRewrite(%q) succeeded, want error", c.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRewrite(%q): %v", c.in, err)
			continue
		}
		if rw.String() != c.in || !slices.Equal(rw.Params(), c.params) {
			t.Errorf("ParseRewrite(%q) = %q params %q, want params %q", c.in, rw.String(), rw.Params(), c.params)
		}
	}
}

func TestRewriteCheck(t *testing.T) {
	tp := MustParseTemplate("/v1/orgs/{org}/members/{rest...}")
	for in, ok := range map[string]bool{
		"/internal/orgs/{org}/members/{rest...}": true,
		"/internal/{org}":                        true,
		"/static":                                true,
		"/x/{nope}":                              false,
		"/x/{rest}":                              false, // the wildcard must be written {rest...}
		"/x/{org...}":                            false, // {org} is not the wildcard
		"/x/{other...}":                          false,
	} {
		err := MustParseRewrite(in).Check(tp)
		if (err == nil) != ok {
			t.Errorf("Check(%q) = %v, want ok=%v", in, err, ok)
		}
	}
	if err := MustParseRewrite("/x/{p...}").Check(MustParseTemplate("/a/{p}")); err == nil {
		t.Error("{p...} against a template without wildcard: want error")
	}
}

func TestRewriteExpand(t *testing.T) {
	var p Params
	p.Add("org", "acme")
	p.Add("sp", "a b")
	p.Add("slash", "a/b")
	p.Add("semi", "x;y,z")
	p.Add("pct", "100%")
	p.Add("uni", "café")
	p.Add("dot", ".")
	p.Add("dots", "..")
	p.Add("subs", "!$&'()*+=:@-._~")
	p.Add("ctl", "a\x00\n\x7f")
	p.Add("q", "a?b#c")
	p.Add("rest", "a/b%20c/")
	cases := []struct{ rw, want string }{
		{"/internal/orgs/{org}/members/{rest...}", "/internal/orgs/acme/members/a/b%20c/"},
		{"/x/{org}-y", "/x/acme-y"},
		{"/{sp}", "/a%20b"},
		{"/{slash}", "/a%2Fb"},
		{"/{semi}", "/x%3By%2Cz"},
		{"/{pct}", "/100%25"},
		{"/{uni}", "/caf%C3%A9"},
		{"/{dot}/{dots}", "/%2E/%2E%2E"},
		{"/{subs}", "/!$&'()*+=:@-._~"},
		{"/{ctl}", "/a%00%0A%7F"},
		{"/{q}", "/a%3Fb%23c"},
		{"/{missing}/x", "//x"},
		{"/{rest...}", "/a/b%20c/"},
		{"/static/", "/static/"},
	}
	for _, c := range cases {
		got := string(MustParseRewrite(c.rw).Expand(nil, &p))
		if got != c.want {
			t.Errorf("Expand(%q) = %q, want %q", c.rw, got, c.want)
		}
	}
	// A wildcard value that is empty leaves the trailing slash.
	var q Params
	q.Add("rest", "")
	if got := string(MustParseRewrite("/api/{rest...}").Expand(nil, &q)); got != "/api/" {
		t.Errorf("got %q", got)
	}
}

func TestRewriteExpandNoAlloc(t *testing.T) {
	rw := MustParseRewrite("/internal/orgs/{org}/members/{rest...}")
	var p Params
	p.Add("org", "acme corp")
	p.Add("rest", "a/b/c")
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = rw.Expand(buf[:0], &p) }); n != 0 {
		t.Errorf("Expand allocates %v times", n)
	}
}

// FuzzParseTemplate checks that ParseTemplate never panics, that a parsed
// template's String re-parses to the same shape and parameters, and that
// the template string is accepted as a rewrite that checks against it.
func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"/", "/a/{b}/c/", "/v1/orgs/{org}/members/{rest...}", "/{a}/{a}", "/a{b}c", "/caf%C3%A9", "/{p...}/", "//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := ParseTemplate(s)
		if err != nil {
			if !errors.Is(err, ErrTemplate) {
				t.Fatalf("error %v does not wrap ErrTemplate", err)
			}
			return
		}
		again, err := ParseTemplate(tp.String())
		if err != nil {
			t.Fatalf("String %q of %q does not re-parse: %v", tp.String(), s, err)
		}
		if again.Shape() != tp.Shape() || !slices.Equal(again.Params(), tp.Params()) || again.String() != tp.String() {
			t.Fatalf("re-parse of %q differs: %q/%q vs %q/%q", s, again.String(), again.Shape(), tp.String(), tp.Shape())
		}
		// The shape itself must be a fixed point of the path syntax: a
		// valid normalised path once the placeholders are replaced.
		probe := strings.NewReplacer("{...}", "x", "{}", "x").Replace(tp.Shape())
		if n, err := Normalize(probe); err != nil || n != probe {
			t.Fatalf("shape %q of %q is not canonical: %q %v", tp.Shape(), s, n, err)
		}
		rw, err := ParseRewrite(tp.String())
		if err != nil {
			t.Fatalf("template %q is not a valid rewrite: %v", s, err)
		}
		if err := rw.Check(tp); err != nil {
			t.Fatalf("template %q as rewrite: %v", s, err)
		}
	})
}

// FuzzParseRewrite checks that ParseRewrite never panics and that expanding
// any accepted rewrite with arbitrary values yields a canonical path when
// the values are non-empty and not dot-only.
func FuzzParseRewrite(f *testing.F) {
	for _, s := range []string{"/", "/x/{org}-y", "/internal/{rest...}", "/{a}{b}", "/{a"} {
		f.Add(s, "v a;l,u%e é")
	}
	f.Fuzz(func(t *testing.T, s, v string) {
		rw, err := ParseRewrite(s)
		if err != nil {
			return
		}
		// Values from Match are never empty or dot-only and never hold '/',
		// '\\' or control characters (Normalize rejects their escapes).
		if v == "" || strings.Trim(v, ".") == "" || strings.ContainsAny(v, "/\\") {
			return
		}
		for i := 0; i < len(v); i++ {
			if class[v[i]]&clsCtl != 0 {
				return
			}
		}
		var p Params
		for _, name := range rw.Params() {
			p.Add(name, v)
		}
		// Only {name} references here; a wildcard value must be canonical.
		for _, part := range rw.parts {
			if part.kind == segWildcard {
				return
			}
		}
		out := string(rw.Expand(nil, &p))
		n, err := Normalize(out)
		if err != nil || n != out {
			// A value may form a dot segment together with literal dots
			// ("/.{a}" with a=".") only if it is dot-only; excluded above.
			t.Fatalf("Expand(%q, %q) = %q, not canonical (%q, %v)", s, v, out, n, err)
		}
	})
}
