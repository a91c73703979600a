package gateway

import (
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// slowChooseEncoding is chooseEncoding written the obvious way, to fuzz
// the allocation-free one against.
func slowChooseEncoding(fields []string, hasBr, hasGzip bool) string {
	q := map[string]int{}
	for _, e := range slowElements(fields) {
		c := e.value
		switch {
		case strings.EqualFold(c, "br"):
			c = "br"
		case strings.EqualFold(c, "gzip"), strings.EqualFold(c, "x-gzip"):
			c = "gzip"
		case c != "*":
			continue
		}
		if old, ok := q[c]; !ok || e.q > old {
			q[c] = e.q
		}
	}
	best, bestQ := "", 0
	for _, c := range []string{"br", "gzip"} { // Brotli first: it wins ties
		if c == "br" && !hasBr || c == "gzip" && !hasGzip {
			continue
		}
		v, ok := q[c]
		if !ok {
			v, ok = q["*"]
		}
		if ok && v > bestQ {
			best, bestQ = c, v
		}
	}
	return best
}

// slowAcceptsHTML is acceptsHTML written the obvious way.
func slowAcceptsHTML(fields []string) bool {
	best := -1
	for _, e := range slowElements(fields) {
		if strings.EqualFold(e.value, "text/html") && e.q > best {
			best = e.q
		}
	}
	return best > 0
}

type slowElement struct {
	value string
	q     int
}

var qvalue = regexp.MustCompile(`^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$`)

func slowElements(fields []string) []slowElement {
	var out []slowElement
	for _, f := range fields {
		for _, elem := range strings.Split(f, ",") {
			parts := strings.Split(elem, ";")
			e := slowElement{value: strings.TrimSpace(parts[0]), q: 1000}
			ok := e.value != ""
			for _, p := range parts[1:] {
				name, v, _ := strings.Cut(p, "=")
				if !strings.EqualFold(strings.TrimSpace(name), "q") {
					continue
				}
				v = strings.TrimSpace(v)
				if !qvalue.MatchString(v) {
					ok = false
					break
				}
				fl, _ := strconv.ParseFloat(strings.TrimSuffix(v, "."), 64)
				e.q = int(fl*1000 + 0.5)
			}
			if ok {
				out = append(out, e)
			}
		}
	}
	return out
}

// FuzzAcceptEncoding holds the Accept-Encoding and Accept parsers, which
// read untrusted fields on every file request, to the plain ones above.
func FuzzAcceptEncoding(f *testing.F) {
	for _, s := range []string{
		"", "br", "gzip, deflate, br, zstd", "br;q=0, gzip", "*;q=0", "gzip;q=0, *", "br;q=1.000",
		"br;q=1.001", "br;q=0.", "br ; Q = 0.5 , gzip;q=0.4", "x-gzip", ",,,;;;", "br;q=0.5;q=0", "text/html;level=1;q=0",
	} {
		f.Add(s, "", true, true)
	}
	f.Add("gzip", "br", false, true)
	f.Add("text/html,application/xhtml+xml,*/*;q=0.8", "TEXT/*;q=0", true, false)
	f.Fuzz(func(t *testing.T, a, b string, hasBr, hasGzip bool) {
		fields := []string{a}
		if b != "" {
			fields = append(fields, b)
		}
		got, want := chooseEncoding(fields, hasBr, hasGzip), slowChooseEncoding(fields, hasBr, hasGzip)
		if got != want {
			t.Fatalf("chooseEncoding(%q, br %v, gzip %v) = %q, the plain parser says %q", fields, hasBr, hasGzip, got, want)
		}
		if got == "br" && !hasBr || got == "gzip" && !hasGzip {
			t.Fatalf("chose %q, which does not exist", got)
		}
		if g, w := acceptsHTML(fields), slowAcceptsHTML(fields); g != w {
			t.Fatalf("acceptsHTML(%q) = %v, the plain parser says %v", fields, g, w)
		}
	})
}

// FuzzStaticName checks that no request path names anything but a clean
// file or directory under the root: no "..", no hidden segment, no
// absolute name, whatever the escaping.
func FuzzStaticName(f *testing.F) {
	for _, s := range []string{
		"", "/", "index.html", "assets/app.js", "docs/", "/robots.txt", "a%20b.js", "%2e%2e/x", "..%2fx",
		".env", "a/.git/config", "a//b", "a/./b", "%252e%252e", "a%5Cb", "a%00b", "%zz", "a/b/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		name, dir, ok := staticName(rest)
		if !ok {
			if name != "" {
				t.Fatalf("staticName(%q) refused but named %q", rest, name)
			}
			return
		}
		if name == "" {
			if !dir {
				t.Fatalf("staticName(%q) names the root as a file", rest)
			}
			return
		}
		if !fs.ValidPath(name) || path.Clean(name) != name || strings.ContainsAny(name, "\\\x00") {
			t.Fatalf("staticName(%q) = %q, not a clean relative name", rest, name)
		}
		for _, seg := range strings.Split(name, "/") {
			if strings.HasPrefix(seg, ".") {
				t.Fatalf("staticName(%q) = %q, which has the hidden or dot segment %q", rest, name, seg)
			}
		}
		if dir != strings.HasSuffix(rest, "/") {
			t.Fatalf("staticName(%q): dir = %v", rest, dir)
		}
	})
}

func TestHasExtension(t *testing.T) {
	for name, want := range map[string]bool{
		"app.js": true, "assets/app.1a2b.js": true, "settings": false, "orgs/o1": false,
		"v1.2/settings": false, "a/.b": false, "": false, "a/b.": true,
	} {
		if got := hasExtension(name); got != want {
			t.Errorf("hasExtension(%q) = %v, want %v", name, got, want)
		}
	}
}
