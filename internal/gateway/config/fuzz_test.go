package config

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that every rejection is Errors
// with positions in the file, and that every accepted configuration is
// stable: it validates again, and applying defaults again changes nothing.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data, testEnv)
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("got error %T %v, want Errors", err, err)
			}
			for _, e := range errs {
				if e.Pos.File != "fuzz.yaml" || e.Msg == "" {
					t.Fatalf("got error %q at %v, want a message at a position in fuzz.yaml", e.Msg, e.Pos)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config fails validation again:\n%v", err)
		}
		before, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		applyDefaults(c)
		after, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if string(before) != string(after) {
			t.Fatalf("applying defaults twice changed the config:\n%s\n%s", before, after)
		}
	})
}
