package jsonstring

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestAppend(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", `"plain"`},
		{"quote\" and \\", `"quote\" and \\"`},
		{"\n\r\t\x00\x1f", `"\n\r\t\u0000\u001f"`},
		{"<&>", `"<&>"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
		{"a\xffb", `"a\ufffdb"`},
		{"é漢🙂", `"é漢🙂"`},
	}
	for _, c := range cases {
		if got := string(Append(nil, c.in)); got != c.want {
			t.Errorf("Append(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// FuzzAppend checks the encoder against encoding/json: the output always
// decodes, to the input itself when the input is valid UTF-8.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" and \\", "\x00\x1f\x7f", "<&>", "\u2028\u2029", "\xff\xfe", "é漢字🙂"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := Append(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q encodes to invalid JSON %q: %v", s, b, err)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("%q round-trips to %q", s, got)
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf = Append(buf[:0], "/v1/orgs/o1/integrations/i-42/usage")
	}
}
