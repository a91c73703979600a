package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Size units, decimal and binary.
const (
	KB  Size = 1000
	MB  Size = 1000 * KB
	GB  Size = 1000 * MB
	KiB Size = 1 << 10
	MiB Size = 1 << 20
	GiB Size = 1 << 30
)

// sizeUnits lists the units ParseSize accepts; String prefers the first
// that divides a size exactly.
var sizeUnits = [...]struct {
	name string
	mult Size
}{
	{"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB},
	{"GB", GB}, {"MB", MB}, {"KB", KB},
	{"B", 1},
}

// ParseSize parses a byte count: decimal digits with an optional unit
// directly after them (B, KB, KiB, MB, MiB, GB, GiB), as in "512",
// "64KiB" or "10MB". Negative and overflowing sizes are rejected.
func ParseSize(s string) (Size, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	digits, unit := s[:i], s[i:]
	if digits == "" {
		if strings.HasPrefix(s, "-") {
			return 0, fmt.Errorf("negative size %q", s)
		}
		return 0, fmt.Errorf("invalid size %q; write bytes such as 512, 64KiB, 1MiB or 10MB", s)
	}
	mult := Size(0)
	for _, u := range sizeUnits {
		if unit == u.name {
			mult = u.mult
		}
	}
	if unit == "" {
		mult = 1
	}
	if mult == 0 {
		return 0, fmt.Errorf("invalid size unit %q in %q; use B, KB, KiB, MB, MiB, GB or GiB", unit, s)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/int64(mult) {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return Size(n) * mult, nil
}

// UnmarshalYAML decodes a scalar with ParseSize.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a size such as 512, 64KiB or 1MiB, got %s", describe(n))
	}
	if n.Value == "" {
		return errors.New("empty size; write one such as 512, 64KiB or 1MiB")
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// String returns s with the largest unit that divides it exactly, binary
// units first ("64KiB", "10MB"), or as a bare byte count ("1234").
func (s Size) String() string {
	if s > 0 {
		for _, u := range sizeUnits[:len(sizeUnits)-1] {
			if s%u.mult == 0 {
				return strconv.FormatInt(int64(s/u.mult), 10) + u.name
			}
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// MarshalText returns s.String(), so that JSON and YAML output read like
// the configuration file.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
