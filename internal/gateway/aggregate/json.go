package aggregate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/portico-gw/portico/internal/platform/jsonstring"
	"math"
	"slices"
	"strconv"
)

// maxEncodeDepth bounds the nesting appendJSON follows; decoded JSON cannot
// be deeper than encoding/json's own limit, so only foreign values (identity
// claims) can reach it.
const maxEncodeDepth = 10000

// appendJSON appends v, a decoded JSON tree, as compact JSON. Object
// members are sorted by name, as encoding/json does. Values of other Go
// types go through json.Marshal.
func appendJSON(dst []byte, v any) ([]byte, error) {
	return appendJSONDepth(dst, v, 0)
}

func appendJSONDepth(dst []byte, v any, depth int) ([]byte, error) {
	if depth > maxEncodeDepth {
		return dst, errors.New("json value nested too deeply")
	}
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return jsonstring.Append(dst, x), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case json.Number:
		if !validNumber(string(x)) {
			return dst, fmt.Errorf("invalid json number %q", string(x))
		}
		return append(dst, x...), nil
	case float64:
		n := appendFloat(dst, x)
		if n == nil {
			return dst, fmt.Errorf("unsupported number %v", x)
		}
		return n, nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case map[string]any:
		var arr [16]string
		keys := arr[:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonstring.Append(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSONDepth(dst, x[k], depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSONDepth(dst, e, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case json.RawMessage:
		if !json.Valid(x) {
			return dst, errors.New("invalid raw json")
		}
		return append(dst, x...), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, fmt.Errorf("encode %T: %w", v, err)
	}
	return append(dst, b...), nil
}

// appendFloat formats f as encoding/json does; it returns nil for NaN and
// infinities, which JSON cannot carry.
func appendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if m := len(dst) - n; m >= 4 && dst[len(dst)-4] == 'e' && dst[len(dst)-3] == '-' && dst[len(dst)-2] == '0' {
			dst[len(dst)-2] = dst[len(dst)-1]
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}

// validNumber reports whether s is a JSON number.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// decodeJSON decodes one JSON value, keeping numbers as json.Number so that
// they pass through exactly.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	for _, ch := range b[dec.InputOffset():] {
		switch ch {
		case ' ', '\t', '\r', '\n':
		default:
			return nil, errors.New("data after the JSON value")
		}
	}
	return v, nil
}
