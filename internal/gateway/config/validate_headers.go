package config

import "slices"

// forbiddenHeaders frame messages or manage connections; the proxy owns
// them and configuration may neither set nor remove them.
var forbiddenHeaders = []string{
	"Connection", "Content-Length", "Host", "Keep-Alive", "Proxy-Connection",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// headers checks header rules.
func (v *validator) headers(path string, h *HeaderRules) {
	touched := map[string]string{} // canonical name → path of its first rule
	name := func(p, n string, verb string) bool {
		switch {
		case !validToken(n):
			v.errorf(p, "%q is not a valid header name", n)
			return false
		case slices.Contains(forbiddenHeaders, canonicalHeader(n)):
			v.errorf(p, "%s is managed by the proxy (message framing and connections) and cannot be %s by configuration", n, verb)
			return false
		}
		return true
	}
	for _, kind := range []struct {
		key string
		m   map[string]string
	}{{"set", h.Set}, {"add", h.Add}} {
		seen := map[string]string{}
		for _, n := range sortedKeys(kind.m) {
			p := joinKey(path+"."+kind.key, n)
			if !name(p, n, "set") {
				continue
			}
			c := canonicalHeader(n)
			if first, dup := seen[c]; dup {
				v.errorf(p, "%s is listed twice (header names ignore case; also %s)", n, first)
				continue
			}
			seen[c] = p
			if _, ok := touched[c]; !ok {
				touched[c] = p
			}
			if !validHeaderValue(kind.m[n]) {
				v.errorf(p, "the value of %s contains control characters", n)
			}
		}
	}
	removed := map[string]string{}
	for i, n := range h.Remove {
		p := joinIndex(path+".remove", i)
		if !name(p, n, "removed") {
			continue
		}
		c := canonicalHeader(n)
		if first, dup := removed[c]; dup {
			v.errorf(p, "%s is listed twice (header names ignore case; also %s)", n, first)
			continue
		}
		removed[c] = p
		if first, ok := touched[c]; ok {
			v.errorf(p, "%s is both removed and set (%s); keep one", n, first)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
