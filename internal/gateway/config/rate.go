package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Bounds of a Rate.
const (
	// MaxRatePeriod is the longest period a rate may be written over.
	MaxRatePeriod = 24 * time.Hour
	// MaxRatePerSecond caps a rate: the rate limiter keeps time in
	// microseconds, so one request per microsecond is the finest spacing
	// it can tell apart.
	MaxRatePerSecond = 1_000_000
)

// Rate is a number of requests per period, written "100/s", "600/m",
// "5/10s" or "1000/h". The zero value is no rate.
type Rate struct {
	// Count is the number of requests admitted per Period.
	Count int64
	// Period is a whole number of seconds, from 1s to MaxRatePeriod.
	Period time.Duration
}

// rateUnits are the period units ParseRate accepts.
var rateUnits = [...]struct {
	name string
	d    time.Duration
}{{"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}}

// ParseRate parses "COUNT/PERIOD": COUNT a positive decimal integer,
// PERIOD a unit (s, m or h) optionally preceded by a positive decimal
// integer, as in "100/s", "600/m" or "5/10s". The period is at most 24h,
// and the rate at most MaxRatePerSecond per second.
func ParseRate(s string) (Rate, error) {
	count, period, ok := strings.Cut(s, "/")
	if !ok || count == "" || period == "" {
		return Rate{}, fmt.Errorf("invalid rate %q; write requests per period such as 100/s, 600/m or 5/10s", s)
	}
	n, ok := parseDecimal(count)
	if !ok {
		return Rate{}, fmt.Errorf("invalid rate %q: the count must be a positive decimal integer, as in 100/s", s)
	}
	i := 0
	for i < len(period) && '0' <= period[i] && period[i] <= '9' {
		i++
	}
	mult, unit := int64(1), period[i:]
	if i > 0 {
		if mult, ok = parseDecimal(period[:i]); !ok {
			return Rate{}, fmt.Errorf("invalid rate %q: the period must be a positive number of s, m or h, as in 5/10s", s)
		}
	}
	var d time.Duration
	for _, u := range rateUnits {
		if unit == u.name {
			d = u.d
		}
	}
	if d == 0 {
		return Rate{}, fmt.Errorf("invalid rate %q: unknown period unit %q; use s, m or h, as in 100/s or 5/10s", s, unit)
	}
	if mult > int64(MaxRatePeriod/d) {
		return Rate{}, fmt.Errorf("invalid rate %q: the period is longer than %s", s, shortDuration(MaxRatePeriod))
	}
	r := Rate{Count: n, Period: time.Duration(mult) * d}
	if n > MaxRatePerSecond*int64(r.Period/time.Second) {
		return Rate{}, fmt.Errorf("invalid rate %q: more than %d requests per second", s, MaxRatePerSecond)
	}
	return r, nil
}

// parseDecimal parses a positive decimal integer without sign or leading
// zeros, of at most 12 digits.
func parseDecimal(s string) (int64, bool) {
	if s == "" || len(s) > 12 || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// Interval is the time between two requests at the rate: Period / Count,
// the emission interval of the rate limiter's GCRA.
func (r Rate) Interval() time.Duration {
	if r.Count <= 0 {
		return 0
	}
	return r.Period / time.Duration(r.Count)
}

// String returns r as ParseRate reads it, with the largest unit that
// divides the period exactly: "100/s", "600/m", "5/10s".
func (r Rate) String() string {
	if r.Count <= 0 || r.Period <= 0 {
		return "0/s"
	}
	return strconv.FormatInt(r.Count, 10) + "/" + shortDuration(r.Period)
}

// shortDuration writes a whole number of seconds with the largest unit
// that divides it, without a count of one: "s", "10s", "m", "h", "24h".
func shortDuration(d time.Duration) string {
	for i := len(rateUnits) - 1; i >= 0; i-- {
		u := rateUnits[i]
		if d%u.d == 0 {
			if d == u.d {
				return u.name
			}
			return strconv.FormatInt(int64(d/u.d), 10) + u.name
		}
	}
	return d.String()
}

// UnmarshalYAML decodes a scalar with ParseRate.
func (r *Rate) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a rate such as 100/s or 600/m, got %s", describe(n))
	}
	if n.Value == "" {
		return errors.New("empty rate; write one such as 100/s or 600/m")
	}
	v, err := ParseRate(n.Value)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalText returns r.String(), so that JSON and YAML output read like
// the configuration file.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }
