package config

import (
	"fmt"
	"strings"
)

// expand replaces ${NAME} and ${NAME:-default} in s with values from env,
// and $${ with a literal ${. A variable that is unset, or set to the empty
// string, takes the default when one is given; an unset variable without a
// default is an error. It reports whether s contained any of these forms.
// The result is never parsed again, so a value holding ": " or a newline
// stays one string.
func expand(s string, env func(string) (string, bool)) (string, bool, error) {
	if !strings.Contains(s, "${") {
		return s, false, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), true, nil
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", true, fmt.Errorf("unterminated %q; close it with }, or write $${ for a literal ${", s[i:])
		}
		ref := s[i+2 : i+end]
		v, err := lookupVar(ref, env)
		if err != nil {
			return "", true, err
		}
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

// lookupVar resolves the inside of one ${...}.
func lookupVar(ref string, env func(string) (string, bool)) (string, error) {
	name, def, hasDef := strings.Cut(ref, ":-")
	if !validVarName(name) {
		return "", fmt.Errorf("invalid variable reference ${%s}; write ${NAME} or ${NAME:-default} with NAME matching [A-Za-z_][A-Za-z0-9_]*", ref)
	}
	if strings.Contains(def, "${") {
		return "", fmt.Errorf("nested variable reference in ${%s} is not supported", ref)
	}
	v, ok := "", false
	if env != nil {
		v, ok = env(name)
	}
	if hasDef && v == "" {
		return def, nil
	}
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set; set it or give a default with ${%s:-default}", name, name)
	}
	return v, nil
}

// validVarName reports whether s matches [A-Za-z_][A-Za-z0-9_]*.
func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
