package aggregate

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// refReads returns the read tree of references with the given paths, as
// Compile builds it.
func refReads(tb testing.TB, paths ...string) *readNode {
	tb.Helper()
	var rs []readPath
	for _, s := range paths {
		var p fieldPath
		if s != "" {
			var err error
			if p, err = parseFieldPath(s); err != nil {
				tb.Fatal(err)
			}
		}
		rs = append(rs, readPathOf(p, segLookup, true))
	}
	return buildReads(rs)
}

// wantSameLookups fails unless every path looks up the same in the partial
// decode of doc by n as in its full decode.
func wantSameLookups(tb testing.TB, doc string, n *readNode, paths ...string) {
	tb.Helper()
	full := mustDecode(tb, []byte(doc))
	part, err := (&step{reads: n}).decode([]byte(doc))
	if err != nil {
		tb.Fatalf("decode %s: %v", doc, err)
	}
	for _, s := range paths {
		p, _ := parseFieldPath(s)
		fv, fok := lookup(full, p)
		pv, pok := lookup(part, p)
		if fok != pok || !reflect.DeepEqual(fv, pv) {
			tb.Errorf("lookup %s in %.60s: got %#v %v, want %#v %v", s, doc, pv, pok, fv, fok)
		}
	}
}

func TestDecodePartialReadsOnlyThePaths(t *testing.T) {
	doc := benchDoc(20 << 10)
	n := refReads(t, "plan.tier", "items.3.domain")
	v, err := decodePartial([]byte(doc), n)
	if err != nil {
		t.Fatal(err)
	}
	b, err := appendJSON(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	// Every item stays, for the indices, but only the one read has content.
	want := `{"items":[null,null,null,{"domain":"cdn3.example.com"}` + strings.Repeat(",null", strings.Count(doc, `"secret"`)-4) + `],"plan":{"tier":"enterprise"}}`
	if string(b) != want {
		t.Errorf("got %.200s, want %.200s", b, want)
	}
	wantSameLookups(t, doc, n, "plan.tier", "items.3.domain")
}

func TestDecodePartialMatchesFullDecode(t *testing.T) {
	for _, tc := range []struct {
		name  string
		doc   string
		paths []string
	}{
		{"nested field", `{"a":{"b":{"c":"x"},"d":[1,2]},"e":3}`, []string{"a.b.c", "e"}},
		{"array index", `{"items":[{"id":"a"},{"id":"b"},{"id":"c"}]}`, []string{"items.1.id", "items.2"}},
		{"index past the end", `{"items":[{"id":"a"}]}`, []string{"items.1.id", "items.1"}},
		{"mapping over an array", `{"items":[{"id":1,"x":[0]},{"id":2}]}`, []string{"items.id"}},
		{"mapping with a missing member", `{"items":[{"id":1},{"other":2}]}`, []string{"items.id"}},
		{"mapping through nested arrays", `{"m":[[{"v":1,"w":2}],[{"v":3}],[]]}`, []string{"m.v", "m.0.0.w"}},
		{"index and mapping at once", `{"a":[{"b":1,"c":{"d":2}},{"b":3,"c":{"d":4}}]}`, []string{"a.b", "a.0.c.d", "a.1"}},
		{"index as a member name", `{"x":{"0":"zero","1":"one"}}`, []string{"x.0", "x.1"}},
		{"missing path", `{"a":{"b":1}}`, []string{"a.c", "z", "a.b.c"}},
		{"null versus missing", `{"a":null,"b":{"c":null}}`, []string{"a", "b.c", "b.d", "a.x"}},
		{"scalar where the path goes on", `{"a":"s","b":[1,"t",true,null]}`, []string{"a.b", "b.x", "b.1.x"}},
		{"duplicate members, last wins", `{"a":{"x":1},"b":0,"a":{"y":2},"b":[1]}`, []string{"a.x", "a.y", "b", "b.0"}},
		{"duplicate member read then scalar", `{"a":{"x":1},"a":7}`, []string{"a.x", "a"}},
		{"escaped member name", `{"\u0069d":"esc","i\"d":"quote","\ud83d\ude00":1}`, []string{"id", "i\"d", "😀"}},
		{"escapes and unicode in values", `{"s":"a\/b\n\u00e9\ud800x","t":"é😀","u":"\u2028"}`, []string{"s", "t", "u"}},
		{"invalid UTF-8 is replaced", "{\"s\":\"a\xffb\",\"k\xfe\":1}", []string{"s", "k\ufffd"}},
		{"numbers keep their text", `{"n":[1.50,-0,1e400,12345678901234567890,0.000001e-7]}`, []string{"n", "n.0", "n.3"}},
		{"whole value", `{"a":{"b":[1,{"c":2}]},"z":"y"}`, []string{""}},
		{"whole subtree", `{"a":{"b":[1,{"c":2}]},"z":"y"}`, []string{"a"}},
		{"scalar document", `"just a string"`, []string{"x", "0"}},
		{"array document", `[{"a":1},{"a":2}]`, []string{"a", "1.a", "0"}},
		{"whitespace", " \t\r\n{ \"a\" : [ 1 , { \"b\" : 2 } ] } \n", []string{"a.1.b", "a.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantSameLookups(t, tc.doc, refReads(t, tc.paths...), tc.paths...)
		})
	}
}

func TestDecodePartialRejectsWhatJSONValidRejects(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	n := refReads(t, "a")
	for _, doc := range []string{
		`{"a":1,"b":[1,2,}`, // invalid after the wanted member
		`{"a":1} x`, `{"a":1}}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":1 "b":2}`,
		"", " ", "1 2", "[1,]", "[,1]", "[1 2]", "01", "-", "1.", "1e", "1e+", ".5", "+1", "-01", "1E+5",
		`"\x"`, `"\u12"`, `"\u12G4"`, "\"\x01\"", `"abc`, `"\`, "\xef\xbb\xbf{}", "tru", "nul", "falsey", "[", "{",
		`{"a":tru}`, `{"a":[1,{"b":nul}]}`, "\"\xff\"", "\t\n\r 1 \t", "1\x00", "\v1", "[1]\f",
		deep(maxNesting), deep(maxNesting + 1), `{"a":` + deep(maxNesting) + `}`,
	} {
		want := json.Valid([]byte(doc))
		if _, err := decodePartial([]byte(doc), n); (err == nil) != want {
			t.Errorf("decodePartial %.40q: got error %v, want valid %v", doc, err, want)
		}
		if _, err := decodePartial([]byte(doc), nil); (err == nil) != want {
			t.Errorf("decodePartial %.40q reading nothing: got error %v, want valid %v", doc, err, want)
		}
	}
}

// BenchmarkValidJSON validates a step's answer that nothing reads: a
// document of many short strings, and one long string.
func BenchmarkValidJSON(b *testing.B) {
	for name, doc := range map[string]string{
		"objects": benchDoc(1024),
		"string":  `{"id":"42","name":"` + strings.Repeat("Example Streaming ", 55) + `"}`,
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			buf := []byte(doc)
			for b.Loop() {
				if !validJSON(buf) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

// TestSpecial checks the word-at-a-time scan of strings against plainByte:
// special marks only high bits, marks nothing in a word of plain bytes, and
// its lowest mark is the first byte that is not plain. Every byte value is
// tried in every position of a word of plain bytes, followed by every
// other, and then random words.
func TestSpecial(t *testing.T) {
	check := func(b [8]byte) {
		t.Helper()
		m := special(binary.LittleEndian.Uint64(b[:]))
		first := -1
		for k, c := range b {
			if !plainByte[c] {
				first = k
				break
			}
		}
		got := -1
		if m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if got != first || m&^0x8080808080808080 != 0 {
			t.Fatalf("special(%q) = %#x: lowest mark at %d, first special byte at %d", b[:], m, got, first)
		}
	}
	plain := [8]byte{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}
	for c := range 256 {
		for k := range 8 {
			b := plain
			b[k] = byte(c)
			check(b)
			for c2 := range 256 {
				if k < 7 {
					b[k+1] = byte(c2)
					check(b)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], r.Uint64())
		check(b)
	}
}
