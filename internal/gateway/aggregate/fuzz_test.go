package aggregate

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzTemplate checks that parsing never panics, that the canonical form
// parses to itself, and that expansion keeps inserted values inside their
// path segment or query component. Seeds: testdata/fuzz/FuzzTemplate.
func FuzzTemplate(f *testing.F) {
	f.Add("/orgs/{path.org}/x")
	f.Add("{{literal}} {query.q|def}")
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := parseTemplate(s)
		if err != nil {
			return
		}
		canon := tp.String()
		tp2, err := parseTemplate(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if got := tp2.String(); got != canon {
			t.Fatalf("canonical form of %q: got %q then %q", s, canon, got)
		}
		if tp.literal() {
			// A literal template expands to its text with braces unescaped.
			got, err := tp.expand(nil, &env{in: &Input{}}, escRaw)
			want := strings.NewReplacer("{{", "{", "}}", "}").Replace(s)
			if err != nil || string(got) != want {
				t.Fatalf("expand %q: got %q %v, want %q", s, got, err, want)
			}
		}
		e := &env{
			in: &Input{
				Path:     fuzzParams{},
				Query:    url.Values{"a": {"x/y?z&w=#"}},
				Identity: map[string]any{"a": "a/b", "b": []any{"c", 1.5}},
			},
			item: map[string]any{"id": "../.."},
		}
		for _, p := range tp.parts {
			if p.ref != nil && p.ref.ns == nsSteps {
				return // no results to read in this harness
			}
		}
		lits := 0
		for _, p := range tp.parts {
			if p.ref == nil {
				lits += strings.Count(p.lit, "/")
			}
		}
		if out, err := tp.expand(nil, e, escPath); err == nil && bytes.Count(out, []byte("/")) != lits {
			t.Fatalf("expand %q in a path: got %q, where an inserted value added a segment", s, out)
		}
		if out, err := tp.expand(nil, e, escQuery); err == nil && bytes.ContainsAny(out, "&=#") {
			t.Fatalf("expand %q in a query: got %q, which is more than one component", s, out)
		}
		if out, err := tp.expand(nil, e, escJSON); err == nil && !json.Valid([]byte(`"`+string(out)+`"`)) {
			t.Fatalf("expand %q in JSON: got %q, not a valid string body", s, out)
		}
	})
}

// fuzzParams answers every path parameter with its own name plus text
// that needs escaping.
type fuzzParams struct{}

func (fuzzParams) Lookup(name string) (string, bool) { return name + "/ ?%", true }

// FuzzFieldPath checks that a parsed path prints as written and that
// lookups never panic. Seeds: testdata/fuzz/FuzzFieldPath.
func FuzzFieldPath(f *testing.F) {
	f.Add("items.0.owner.id")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseFieldPath(s)
		if err != nil {
			return
		}
		if got := p.String(); got != s {
			t.Fatalf("String of %q: got %q", s, got)
		}
		doc := mustDecode(t, []byte(`{"items":[{"owner":{"id":1}},{"owner":{"id":2}}],"0":[[1,2],[3]],"a":{"b":null}}`))
		if v, ok := lookup(doc, p); ok {
			if _, err := appendJSON(nil, v); err != nil {
				t.Fatalf("lookup %q gave an unencodable value: %v", s, err)
			}
		}
	})
}

// FuzzShape checks shaping over arbitrary JSON: it never panics, always
// gives valid JSON, a denied path is gone afterwards, and an allow-list
// applied twice changes nothing the second time. Seeds:
// testdata/fuzz/FuzzShape.
func FuzzShape(f *testing.F) {
	f.Add(`{"a":[{"b":1,"c":2}]}`, "a.b", "a.c", "a.b", "x")
	f.Fuzz(func(t *testing.T, doc, allow, deny, renameFrom, renameTo string) {
		v, err := decodeJSON([]byte(doc))
		if err != nil {
			return
		}
		var rename map[string]string
		if renameFrom != "" {
			rename = map[string]string{renameFrom: renameTo}
		}
		sh, errs := newShaper("", splitList(allow), splitList(deny), rename)
		if len(errs) > 0 || sh == nil {
			return
		}
		out, err := sh.apply(v)
		if err != nil {
			return
		}
		b, err := appendJSON(nil, out)
		if err != nil || !json.Valid(b) {
			t.Fatalf("shape %s: got %q %v, not valid JSON", doc, b, err)
		}
		if sh.rename == nil {
			for _, d := range splitList(deny) {
				p, _ := parseFieldPath(d)
				if x, ok := lookup(out, p); ok && !emptyArrays(x) {
					t.Fatalf("shape %s: denied %s still present: %s", doc, d, b)
				}
			}
			if sh.allow != nil && sh.deny == nil {
				again, err := sh.apply(mustDecode(t, b))
				b2, _ := appendJSON(nil, again)
				if err != nil || !reflect.DeepEqual(mustDecode(t, b), mustDecode(t, b2)) {
					t.Fatalf("allow-list not idempotent on %s: %s then %s (%v)", doc, b, b2, err)
				}
			}
		}
	})
}

// emptyArrays reports a value made only of (nested) empty arrays: what a
// lookup mapping over arrays finds when no element holds the path.
func emptyArrays(v any) bool {
	a, ok := v.([]any)
	if !ok {
		return false
	}
	for _, e := range a {
		if !emptyArrays(e) {
			return false
		}
	}
	return true
}

// splitList splits a comma-separated fuzz argument.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// FuzzDecodePartial checks the partial decode against the obviously
// correct full one: it accepts exactly the documents decodeJSON and
// json.Valid accept (validJSON too), it materialises a whole document as decodeJSON does,
// and every reference, fan-out and allow-list read through a partial decode
// finds what it finds in the full decode. refs and allow are
// comma-separated paths; each is "ARRAY;ITEM,ITEM" for a fan-out; pick
// adds references to paths that exist in the document. Seeds:
// testdata/fuzz/FuzzDecodePartial.
func FuzzDecodePartial(f *testing.F) {
	f.Add(`{"a":{"b":[1,{"c":"x"}]},"a":{"b":[2,{"c":"y"}]},"n":1.50}`, "a.b.1.c,n", "", "a.b", "a.b;c,0", uint8(0xff))
	f.Fuzz(func(t *testing.T, doc, refs, sel, allow, each string, pick uint8) {
		b := []byte(doc)
		full, err := decodeJSON(b)
		valid := err == nil
		if json.Valid(b) != valid {
			t.Fatalf("%q: json.Valid and decodeJSON disagree", doc)
		}
		if validJSON(b) != valid {
			t.Fatalf("%q: validJSON says %v, json.Valid %v", doc, !valid, valid)
		}
		whole, err := decodePartial(b, &readNode{all: true})
		if (err == nil) != valid || valid && !reflect.DeepEqual(whole, full) {
			t.Fatalf("%q: got %#v %v, want %#v (valid %v)", doc, whole, err, full, valid)
		}

		var paths []readPath
		var lookups []fieldPath
		for _, s := range splitList(refs) {
			if p, err := parseFieldPath(s); err == nil {
				lookups = append(lookups, p)
			}
		}
		if valid {
			lookups = append(lookups, pickPaths(full, pick)...)
		}
		for _, p := range lookups {
			paths = append(paths, readPathOf(p, segLookup, true))
		}
		sh, errs := newShaper(sel, splitList(allow), nil, nil)
		if len(errs) > 0 {
			sh = nil
		}
		if sh != nil {
			paths = append(paths, sh.reads()...)
		}
		array, items := fuzzFanOut(each)
		if array != nil {
			paths = append(paths, fanOutReads(array, items)...)
		}

		part, err := (&step{reads: buildReads(paths)}).decode(b)
		if (err == nil) != valid {
			t.Fatalf("%q: got error %v, want valid %v", doc, err, valid)
		}
		if !valid {
			return
		}
		for _, p := range lookups {
			sameLookup(t, doc, full, part, p)
		}
		if array != nil {
			fv, _ := lookup(full, array)
			pv, _ := lookup(part, array)
			if jsonKind(fv) != jsonKind(pv) {
				t.Fatalf("%q: fan-out over %s: got %s, want %s", doc, array, jsonKind(pv), jsonKind(fv))
			}
			fa, _ := fv.([]any)
			pa, _ := pv.([]any)
			if len(fa) != len(pa) {
				t.Fatalf("%q: fan-out over %s: got %d items, want %d", doc, array, len(pa), len(fa))
			}
			for k := range fa {
				for _, r := range items {
					sameLookup(t, doc, fa[k], pa[k], r.path)
				}
			}
		}
		if sh != nil { // last: shaping changes the trees
			fs, ferr := sh.apply(full)
			ps, perr := sh.apply(part)
			if (ferr == nil) != (perr == nil) || !reflect.DeepEqual(fs, ps) {
				t.Fatalf("%q: shaped %s/%s: got %#v %v, want %#v %v", doc, sel, allow, ps, perr, fs, ferr)
			}
		}
	})
}

// sameLookup fails unless p finds the same in the partial and full decode.
func sameLookup(t *testing.T, doc string, full, part any, p fieldPath) {
	t.Helper()
	fv, fok := lookup(full, p)
	pv, pok := lookup(part, p)
	if fok != pok || !reflect.DeepEqual(fv, pv) {
		t.Fatalf("%q: lookup %s: got %#v %v, want %#v %v", doc, p, pv, pok, fv, fok)
	}
}

// fuzzFanOut parses "ARRAY;ITEM,ITEM" into a fan-out's array path and item
// references (an empty one is {item}).
func fuzzFanOut(s string) (fieldPath, []*ref) {
	at, rest, ok := strings.Cut(s, ";")
	if !ok {
		return nil, nil
	}
	array, err := parseFieldPath(at)
	if err != nil {
		return nil, nil
	}
	var items []*ref
	for _, q := range strings.Split(rest, ",") {
		r := &ref{ns: nsItem}
		if q != "" {
			if r.path, err = parseFieldPath(q); err != nil {
				continue
			}
		}
		items = append(items, r)
	}
	return array, items
}

// pickPaths returns some of the paths that exist in v, up to three deep:
// members, indices, and names mapped over arrays. Path i is picked when bit
// i%8 of pick is set.
func pickPaths(v any, pick uint8) []fieldPath {
	var all []fieldPath
	var walk func(v any, at fieldPath)
	walk = func(v any, at fieldPath) {
		if len(at) > 0 {
			all = append(all, at)
		}
		if len(at) == 3 || len(all) > 64 {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(x) {
				if checkSegment(k) == nil {
					walk(x[k], append(slices.Clip(at), k))
				}
			}
		case []any:
			for k, e := range x {
				walk(e, append(slices.Clip(at), strconv.Itoa(k)))
				if m, ok := e.(map[string]any); ok && k == 0 {
					for _, name := range sortedKeys(m) {
						if checkSegment(name) == nil {
							all = append(all, append(slices.Clip(at), name))
						}
					}
				}
			}
		}
	}
	walk(v, nil)
	var out []fieldPath
	for i, p := range all {
		if pick&(1<<(i%8)) != 0 {
			out = append(out, p)
		}
	}
	return out
}
