package config

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in      string
		want    Duration
		wantErr string
	}{
		{"0", 0, ""},
		{"0s", 0, ""},
		{"250ms", Duration(250 * time.Millisecond), ""},
		{"1m30s", Duration(90 * time.Second), ""},
		{"1.5h", Duration(90 * time.Minute), ""},
		{"", 0, "empty duration"},
		{"5", 0, "invalid duration"},
		{"-1s", 0, "negative duration"},
		{"1 minute", 0, "invalid duration"},
		{"9999999999h", 0, "invalid duration"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			checkParse(t, got, err, tc.want, tc.wantErr)
			if err == nil {
				back, err := ParseDuration(got.String())
				if err != nil || back != got {
					t.Errorf("round trip of %s: got %v, %v", got, back, err)
				}
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	cases := []struct {
		in      string
		want    Size
		wantErr string
	}{
		{"0", 0, ""},
		{"512", 512, ""},
		{"512B", 512, ""},
		{"64KiB", 64 << 10, ""},
		{"1MiB", 1 << 20, ""},
		{"10MB", 10_000_000, ""},
		{"1GiB", 1 << 30, ""},
		{"3KB", 3000, ""},
		{"2GB", 2_000_000_000, ""},
		{"9223372036854775807", 1<<63 - 1, ""},
		{"9223372036854775808", 0, "too large"},
		{"8589934592GiB", 0, "too large"},
		{"-1", 0, "negative size"},
		{"", 0, "invalid size"},
		{"KiB", 0, "invalid size"},
		{"1kb", 0, "invalid size unit"},
		{"1 KiB", 0, "invalid size unit"},
		{"1.5MiB", 0, "invalid size unit"},
		{"1TiB", 0, "invalid size unit"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSize(tc.in)
			checkParse(t, got, err, tc.want, tc.wantErr)
			if err == nil {
				back, err := ParseSize(got.String())
				if err != nil || back != got {
					t.Errorf("round trip of %s: got %v, %v", got, back, err)
				}
			}
		})
	}
}

func checkParse[T comparable](tb testing.TB, got T, err error, want T, wantErr string) {
	tb.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			tb.Errorf("got %v, %v; want an error containing %q", got, err, wantErr)
		}
		return
	}
	if err != nil || got != want {
		tb.Errorf("got %v, %v; want %v", got, err, want)
	}
}

func TestSizeString(t *testing.T) {
	cases := map[Size]string{0: "0", 1: "1", 1000: "1KB", 1024: "1KiB", 1500: "1500", 1 << 20: "1MiB", 5 * GB: "5GB", 3 * GiB: "3GiB", 1536: "1536", -5: "-5"}
	for in, want := range cases {
		if got := in.String(); got != want {
			t.Errorf("Size(%d).String(): got %q, want %q", int64(in), got, want)
		}
		text, err := in.MarshalText()
		if err != nil || string(text) != want {
			t.Errorf("Size(%d).MarshalText(): got %q, %v, want %q", int64(in), text, err, want)
		}
	}
}

func TestDurationMarshalText(t *testing.T) {
	text, err := Duration(90 * time.Second).MarshalText()
	if err != nil || string(text) != "1m30s" {
		t.Errorf("got %q, %v, want 1m30s", text, err)
	}
}

// TestUnmarshalYAML checks that Duration and Size decode with the ordinary
// YAML decoder too.
func TestUnmarshalYAML(t *testing.T) {
	var v struct {
		D Duration `yaml:"d"`
		S Size     `yaml:"s"`
	}
	if err := yaml.Unmarshal([]byte("d: 1m\ns: 2KiB\n"), &v); err != nil {
		t.Fatalf("got %v, want no error", err)
	}
	if v.D != Duration(time.Minute) || v.S != 2*KiB {
		t.Errorf("got %v and %v, want 1m0s and 2KiB", v.D, v.S)
	}
	for _, doc := range []string{"d: [1s]\n", "s: {a: 1}\n", "s: ''\n", "d: -5s\n"} {
		if err := yaml.Unmarshal([]byte(doc), &v); err == nil {
			t.Errorf("%q: got no error, want one", doc)
		}
	}
}
