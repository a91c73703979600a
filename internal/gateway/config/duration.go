package config

import (
	"errors"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// ParseDuration parses a duration in Go's syntax ("250ms", "1m30s", "2h")
// or a bare "0". Negative durations are rejected.
func ParseDuration(s string) (Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, errors.New("empty duration; write one such as 250ms, 5s or 1m30s")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q; write one such as 250ms, 5s or 1m30s", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	return Duration(d), nil
}

// UnmarshalYAML decodes a scalar with ParseDuration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration such as 250ms or 1m30s, got %s", describe(n))
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// String returns d in Go's syntax, as in "1m30s" or "0s".
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText returns d.String(), so that JSON and YAML output read like
// the configuration file.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
