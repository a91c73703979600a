package router

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

const bad = "\x00ERR" // marks an expected error in tables

var normalizeCases = []struct {
	in, want string
}{
	// Already canonical.
	{"/", "/"},
	{"/a", "/a"},
	{"/a/", "/a/"},
	{"/a/b/c", "/a/b/c"},
	{"/v1/orgs/acme/members", "/v1/orgs/acme/members"},
	{"/a-b_c.d~e", "/a-b_c.d~e"},
	{"/caf%C3%A9", "/caf%C3%A9"},
	{"/a%20b", "/a%20b"},
	{"/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;="},
	// Semicolons and commas are kept, raw or encoded.
	{"/a;b=c/d", "/a;b=c/d"},
	{"/a%3bb", "/a%3Bb"},
	{"/..;/admin", "/..;/admin"},
	{"/a/..;x", "/a/..;x"},
	// Trailing dots that are not dot segments.
	{"/a.", "/a."},
	{"/a..", "/a.."},
	{"/...", "/..."},
	{"/a/...", "/a/..."},
	{"/.a", "/.a"},
	{"/..a/b", "/..a/b"},
	// Repeated slashes.
	{"//", "/"},
	{"///", "/"},
	{"//a", "/a"},
	{"/a//b", "/a/b"},
	{"/a///b//", "/a/b/"},
	// Dot segments (RFC 3986 §5.2.4).
	{"/.", "/"},
	{"/./", "/"},
	{"/./a", "/a"},
	{"/a/.", "/a/"},
	{"/a/./b", "/a/b"},
	{"/a/..", "/"},
	{"/a/../", "/"},
	{"/a/b/..", "/a/"},
	{"/a/b/../c", "/a/c"},
	{"/a/b/../../c", "/c"},
	{"/a/./b/./../c/.", "/a/c/"},
	{"/a//..", "/"},
	{"/a/b//../c", "/a/c"},
	{"/a/.//b", "/a/b"},
	// Encoded dot segments.
	{"/%2e", "/"},
	{"/a/%2e%2e", "/"},
	{"/a/%2E%2E/b", "/b"},
	{"/a/.%2e/b", "/b"},
	{"/a/%2e./b", "/b"},
	{"/a/b/%2e%2E/", "/a/"},
	{"/%2e/a", "/a"},
	// Double encoding stays literal (decoded once only).
	{"/%252e%252e/etc", "/%252e%252e/etc"},
	{"/a/%252F", "/a/%252F"},
	{"/%25", "/%25"},
	// Unreserved characters are decoded, others upper-cased.
	{"/%61%62c", "/abc"},
	{"/%7E%2D%5F%2e", "/~-_."},
	{"/%41", "/A"},
	{"/caf%c3%a9", "/caf%C3%A9"},
	{"/a%3ab", "/a%3Ab"},
	{"/%40", "/%40"},
	// Raw bytes that need escaping are escaped.
	{"/a b", "/a%20b"},
	{"/café", "/caf%C3%A9"},
	{"/日本", "/%E6%97%A5%E6%9C%AC"},
	{"/a\"b<c>", "/a%22b%3Cc%3E"},
	{"/{x}|^`", "/%7Bx%7D%7C%5E%60"},
	{"/[::1]", "/%5B::1%5D"},
	{"/a?b#c", "/a%3Fb%23c"},
	// Errors.
	{"", bad},
	{"a/b", bad},
	{"*", bad},
	{"/a%2Fb", bad},
	{"/a%2fb", bad},
	{"/a%5Cb", bad},
	{"/a%5cb", bad},
	{"/a\\b", bad},
	{"/..\\", bad},
	{"/a\x00", bad},
	{"/a%00", bad},
	{"/a\tb", bad},
	{"/a%0a", bad},
	{"/a%0D%0A", bad},
	{"/a\x7f", bad},
	{"/a%7F", bad},
	{"/a%", bad},
	{"/a%2", bad},
	{"/a%zz", bad},
	{"/a%g0", bad},
	{"/%%32%65", bad},
	{"/..", bad},
	{"/../", bad},
	{"/../a", bad},
	{"/a/../..", bad},
	{"/a/../../b", bad},
	{"/%2e%2e", bad},
	{"/%2e%2e/etc/passwd", bad},
	{"/a/b/../../../etc", bad},
	{"//..", bad},
	{"/./..", bad},
}

func TestNormalize(t *testing.T) {
	if len(normalizeCases) < 40 {
		t.Fatalf("only %d cases", len(normalizeCases))
	}
	for _, c := range normalizeCases {
		got, err := Normalize(c.in)
		if c.want == bad {
			if err == nil {
				t.Errorf("Normalize(%q) = %q, want error", c.in, got)
			} else if !errors.Is(err, ErrBadPath) {
				t.Errorf("Normalize(%q) error %v does not wrap ErrBadPath", c.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Normalize(%q) error %v, want %q", c.in, err, c.want)
			continue
		}
		if got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
		checkCanonical(t, c.in, got)
	}
}

// checkCanonical asserts the properties every Normalize output has.
func checkCanonical(t *testing.T, in, out string) {
	t.Helper()
	if out == "" || out[0] != '/' {
		t.Fatalf("Normalize(%q) = %q: no leading slash", in, out)
	}
	for _, bad := range []string{"//", "/./", "/../", "%2F", "%2f", "%5C", "%5c", "\\"} {
		if strings.Contains(out, bad) {
			t.Fatalf("Normalize(%q) = %q contains %q", in, out, bad)
		}
	}
	if strings.HasSuffix(out, "/.") || strings.HasSuffix(out, "/..") {
		t.Fatalf("Normalize(%q) = %q ends in a dot segment", in, out)
	}
	for i := 0; i < len(out); i++ {
		c := out[i]
		if c == '%' {
			if i+2 >= len(out) || !isUpperHex(out[i+1]) || !isUpperHex(out[i+2]) {
				t.Fatalf("Normalize(%q) = %q: bad escape at %d", in, out, i)
			}
			v := unhex(out[i+1])<<4 | unhex(out[i+2])
			if class[v]&clsUnreserved != 0 {
				t.Fatalf("Normalize(%q) = %q: escaped unreserved %q", in, out, v)
			}
			i += 2
			continue
		}
		if c != '/' && class[c]&clsPchar == 0 {
			t.Fatalf("Normalize(%q) = %q: raw byte %q", in, out, c)
		}
	}
	again, err := Normalize(out)
	if err != nil || again != out {
		t.Fatalf("Normalize not idempotent: %q -> %q -> %q, %v", in, out, again, err)
	}
	// The canonical path names the same resource: decoding both gives the
	// same bytes once dot segments and slashes are resolved the same way.
	if _, err := url.PathUnescape(out); err != nil {
		t.Fatalf("Normalize(%q) = %q does not unescape: %v", in, out, err)
	}
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func TestNormalizeCanonicalNoAlloc(t *testing.T) {
	for _, in := range []string{"/", "/a/b/c", "/v1/orgs/acme/members/123/", "/caf%C3%A9/x;y=1", "/a/."} {
		var out string
		n := testing.AllocsPerRun(100, func() { out, _ = Normalize(in) })
		if n != 0 {
			t.Errorf("Normalize(%q) allocates %v times", in, n)
		}
		if in != "/a/." && out != in {
			t.Errorf("Normalize(%q) = %q, want input", in, out)
		}
	}
}

func TestNormalizeErrorDetail(t *testing.T) {
	_, err := Normalize("/a/%2Fb")
	var pe *PathError
	if !errors.As(err, &pe) || pe.Offset != 3 || pe.Reason != "encoded slash" {
		t.Fatalf("got %#v", err)
	}
}

// FuzzNormalize checks that Normalize never panics and that its output is
// canonical: idempotent, with no "//", "/./", "/../", trailing "/." or
// "/..", and no encoded slash.
func FuzzNormalize(f *testing.F) {
	for _, c := range normalizeCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Normalize(in)
		if err != nil {
			if !errors.Is(err, ErrBadPath) {
				t.Fatalf("error %v does not wrap ErrBadPath", err)
			}
			return
		}
		checkCanonical(t, in, out)
		// Normalize agrees with a straightforward reference implementation.
		if ref, ok := refNormalize(in); !ok || ref != out {
			t.Fatalf("Normalize(%q) = %q, reference %q (ok %v)", in, out, ref, ok)
		}
	})
}

// refNormalize is a slow, obviously-correct reference: decode and classify
// each segment, then resolve dot segments on a stack.
func refNormalize(in string) (string, bool) {
	if !strings.HasPrefix(in, "/") {
		return "", false
	}
	pieces := strings.Split(in[1:], "/")
	var stack []string
	for k, p := range pieces {
		last := k == len(pieces)-1
		var seg strings.Builder
		for i := 0; i < len(p); i++ {
			c := p[i]
			switch {
			case c == '%':
				if i+2 >= len(p) || class[p[i+1]]&clsHex == 0 || class[p[i+2]]&clsHex == 0 {
					return "", false
				}
				v := unhex(p[i+1])<<4 | unhex(p[i+2])
				if v == '/' || v == '\\' || v < 0x20 || v == 0x7f {
					return "", false
				}
				if class[v]&clsUnreserved != 0 {
					seg.WriteByte(v)
				} else {
					seg.WriteString("%" + string(upperHex[v>>4]) + string(upperHex[v&15]))
				}
				i += 2
			case c < 0x20 || c == 0x7f || c == '\\':
				return "", false
			case class[c]&clsPchar != 0:
				seg.WriteByte(c)
			default:
				seg.WriteString("%" + string(upperHex[c>>4]) + string(upperHex[c&15]))
			}
		}
		s := seg.String()
		switch s {
		case "":
			if last {
				stack = append(stack, "")
			}
		case ".":
			if last {
				stack = append(stack, "")
			}
		case "..":
			// Drop the trailing empty marker never happens mid-path; pop one.
			if len(stack) == 0 {
				return "", false
			}
			stack = stack[:len(stack)-1]
			if last {
				stack = append(stack, "")
			}
		default:
			stack = append(stack, s)
		}
	}
	out := "/" + strings.Join(stack, "/")
	return out, true
}

func TestRawRequestPath(t *testing.T) {
	for in, want := range map[string]string{
		`/a%2Fb"`:        bad, // EscapedPath would give "/a/b%22"
		"/a%2Fb\xc3\xa9": bad,
		"/a/b":           "/a/b",
		"/a%20b/%7e":     "/a%20b/~",
		"/caf%c3%a9":     "/caf%C3%A9",
		"/a/../b":        "/b",
		"/%2e%2e/x":      bad,
		"/x?q=1":         "/x",
	} {
		u, err := url.ParseRequestURI(in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Normalize(RawRequestPath(u))
		if want == bad {
			if err == nil {
				t.Errorf("%q: got %q, want error", in, got)
			}
		} else if err != nil || got != want {
			t.Errorf("%q: got %q %v, want %q", in, got, err, want)
		}
	}
	u, _ := url.ParseRequestURI("/plain/path")
	if n := testing.AllocsPerRun(100, func() { _ = RawRequestPath(u) }); n != 0 {
		t.Errorf("RawRequestPath allocates %v", n)
	}
}
