package config

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	cases := []struct {
		in      string
		want    Rate
		wantErr string
	}{
		{"100/s", Rate{100, time.Second}, ""},
		{"600/m", Rate{600, time.Minute}, ""},
		{"5/10s", Rate{5, 10 * time.Second}, ""},
		{"1000/h", Rate{1000, time.Hour}, ""},
		{"1/24h", Rate{1, 24 * time.Hour}, ""},
		{"1000000/s", Rate{1000000, time.Second}, ""},
		{"1/25h", Rate{}, "longer than 24h"},
		{"1000001/s", Rate{}, "more than 1000000 requests per second"},
		{"0/s", Rate{}, "count must be a positive"},
		{"-1/s", Rate{}, "count must be a positive"},
		{"010/s", Rate{}, "count must be a positive"},
		{"1.5/s", Rate{}, "count must be a positive"},
		{"10/0s", Rate{}, "period must be a positive"},
		{"10/ms", Rate{}, "unknown period unit"},
		{"10/d", Rate{}, "unknown period unit"},
		{"10/1m30s", Rate{}, "unknown period unit"},
		{"10 / s", Rate{}, "positive"},
		{"10", Rate{}, "invalid rate"},
		{"/s", Rate{}, "invalid rate"},
		{"10/", Rate{}, "invalid rate"},
		{"", Rate{}, "invalid rate"},
		{"9999999999999/s", Rate{}, "count must be a positive"},
		{"1/9999999999999h", Rate{}, "period must be a positive"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRate(tc.in)
			checkParse(t, got, err, tc.want, tc.wantErr)
			if err == nil {
				back, err := ParseRate(got.String())
				if err != nil || back != got {
					t.Errorf("round trip of %s: got %v, %v", got, back, err)
				}
			}
		})
	}
}

func TestRateString(t *testing.T) {
	for in, want := range map[string]string{
		"100/s": "100/s", "100/1s": "100/s", "600/60s": "600/m", "5/90s": "5/90s", "10/60m": "10/h", "1/24h": "1/24h",
	} {
		r, err := ParseRate(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := r.String(); got != want {
			t.Errorf("%s: got %q, want %q", in, got, want)
		}
	}
	if got := (Rate{Count: 3, Period: time.Second}).Interval(); got != 333333333*time.Nanosecond {
		t.Errorf("3/s interval: got %v, want 333.333333ms", got)
	}
}

// FuzzParseRate checks ParseRate against the rules it documents: an
// accepted rate has a positive count, a whole number of seconds from 1s to
// 24h as its period, at most MaxRatePerSecond per second, and reads back
// from its String unchanged; and the parser accepts exactly the inputs a
// plain reading of the grammar accepts.
func FuzzParseRate(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if want := slowRateOK(s); (err == nil) != want {
			t.Fatalf("ParseRate(%q): got error %v, want accepted %v", s, err, want)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseRate(%q): empty error", s)
			}
			return
		}
		if r.Count <= 0 || r.Period < time.Second || r.Period > MaxRatePeriod || r.Period%time.Second != 0 {
			t.Fatalf("ParseRate(%q) = %+v, outside the documented bounds", s, r)
		}
		if r.Count > MaxRatePerSecond*int64(r.Period/time.Second) || r.Interval() < time.Microsecond {
			t.Fatalf("ParseRate(%q) = %+v, faster than %d per second", s, r, MaxRatePerSecond)
		}
		back, err := ParseRate(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseRate(%q) = %+v; its String %q reads back as %+v, %v", s, r, r.String(), back, err)
		}
	})
}

// slowRateOK is the grammar of ParseRate written plainly: COUNT "/"
// [MULT] UNIT, without leading zeros, within the bounds.
func slowRateOK(s string) bool {
	parts := strings.Split(s, "/")
	if len(parts) != 2 {
		return false
	}
	count, ok := slowDecimal(parts[0])
	if !ok {
		return false
	}
	period := parts[1]
	unit := period[len(period)-min(1, len(period)):]
	secs := map[string]int64{"s": 1, "m": 60, "h": 3600}[unit]
	if secs == 0 {
		return false
	}
	mult := int64(1)
	if m := period[:len(period)-1]; m != "" {
		if mult, ok = slowDecimal(m); !ok {
			return false
		}
	}
	if mult > 24*3600/secs {
		return false
	}
	return count <= MaxRatePerSecond*mult*secs
}

func slowDecimal(s string) (int64, bool) {
	if s == "" || len(s) > 12 || s[0] == '0' || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
