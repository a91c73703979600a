package config

import "strconv"

// Paths name keys the way errors print them: "server.listen",
// "routes[3].path", "services.auth.targets[0]", and map keys that are not
// plain words quoted, as in `routes[0].request_headers.set["X Bad"]`.

// quote returns s in double quotes with Go escapes.
func quote(s string) string { return strconv.Quote(s) }

// joinField appends a struct field or plain map key to path.
func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// joinKey appends a map key to path, quoting it unless it is a plain word.
func joinKey(path, key string) string {
	if plainKey(key) {
		return joinField(path, key)
	}
	return path + "[" + quote(key) + "]"
}

// joinIndex appends a list index to path.
func joinIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// plainKey reports whether key needs no quoting in a path.
func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c == '_' || c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// parentPath returns path without its last element ("a.b[2]" gives "a.b",
// "a.b" gives "a", "a" gives ""), respecting quoted keys.
func parentPath(path string) string {
	cut := 0
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '.':
			cut = i
		case '[':
			cut = i
			if i+1 < len(path) && path[i+1] == '"' {
				// Skip the quoted key, whose escapes never end it early.
				if n, err := strconv.QuotedPrefix(path[i+1:]); err == nil {
					i += len(n)
				}
			}
		}
	}
	return path[:cut]
}

// positions maps the paths present in a source file to where they are.
type positions map[string]Position

// lookup returns the position of path, or of its nearest ancestor that is
// in the file (a defaulted key has no position of its own), or the zero
// Position when there is none.
func (ps positions) lookup(path string) Position {
	for {
		if p, ok := ps[path]; ok {
			return p
		}
		if path == "" {
			return Position{}
		}
		path = parentPath(path)
	}
}
