package config

import (
	"io/fs"
	"os"
	"path"
	"strings"
)

// staticRoute checks a route that serves files: its static block, and the
// route keys that only a proxied route gives meaning to.
func (v *validator) staticRoute(p string, r *Route) {
	s := r.Static
	if r.Service != "" || r.Aggregate != nil {
		v.errorf(p+".static", "a route proxies to a service, composes with aggregate or serves files with static; give only one of them")
	}
	for i, m := range r.Methods {
		if m != "GET" && m != "HEAD" {
			v.errorf(joinIndex(p+".methods", i), "a static route serves only GET and HEAD; %s would always be refused", m)
		}
	}
	if r.Rewrite != "" {
		v.errorf(p+".rewrite", "has no meaning for a static route; the path's wildcard names the file")
	}
	if r.StripQuery {
		v.errorf(p+".strip_query", "has no meaning for a static route, which ignores the query")
	}
	if r.Retry != nil {
		v.errorf(p+".retry_attempts", "has no meaning for a static route, which calls no service")
	}
	if r.Timeout != 0 {
		v.errorf(p+".timeout", "has no meaning for a static route, which calls no service")
	}
	if h := r.RequestHeaders; len(h.Set)+len(h.Add)+len(h.Remove) > 0 {
		v.errorf(p+".request_headers", "has no meaning for a static route, which sends no request on; use response_headers")
	}
	sp := p + ".static"
	switch {
	case s.Dir == "" && s.Embedded == "":
		v.errorf(sp, "give dir (a directory on disk) or embedded (a filesystem built into the program)")
	case s.Dir != "" && s.Embedded != "":
		v.errorf(sp+".embedded", "a static route serves one filesystem; give dir or embedded, not both")
	case s.Dir != "":
		v.staticDir(sp+".dir", s.Dir)
	default:
		if !validFSName(s.Embedded) {
			v.errorf(sp+".embedded", "%q is not a filesystem name (1 to 64 letters, digits, '.', '-' and '_', starting with a letter or digit)", s.Embedded)
		}
	}
	if strings.ContainsRune(s.Index, '/') || !validFileName(s.Index) {
		v.errorf(sp+".index", "%q is not a file name such as index.html: no '/', and not hidden (starting with '.')", s.Index)
	}
	if s.Fallback != "" && !validFileName(s.Fallback) {
		v.errorf(sp+".fallback", "%q is not a file of the route's root such as index.html or app/shell.html: "+
			"a relative path without leading '/', '.' or '..' segments, or hidden files", s.Fallback)
	}
	seen := map[string]int{}
	for i, pfx := range s.Immutable {
		ip := joinIndex(sp+".immutable", i)
		if j, dup := seen[pfx]; dup {
			v.errorf(ip, "%s is listed twice (also %s)", pfx, joinIndex(sp+".immutable", j))
			continue
		}
		seen[pfx] = i
		switch {
		case pfx == "/":
			v.errorf(ip, "\"/\" would make every file immutable, index.html included, so that browsers never saw a new version; "+
				"list the directories of content-hashed files, such as /assets/, or set cache_control")
		case !strings.HasPrefix(pfx, "/") || !strings.HasSuffix(pfx, "/"):
			v.errorf(ip, "%q is not a directory of the route's root such as /assets/: it starts and ends with '/'", pfx)
		case !validFileName(pfx[1 : len(pfx)-1]):
			v.errorf(ip, "%q is not a clean directory path: no empty, '.' or '..' segments, and no hidden directories", pfx)
		}
	}
	v.headerValue(sp+".cache_control", s.CacheControl)
	v.headerValue(sp+".content_security_policy", s.ContentSecurityPolicy)
}

// staticDir checks that dir names a directory. Like server.tls's files,
// it is looked at by portico check as well as at start and on reload.
func (v *validator) staticDir(p, dir string) {
	if strings.ContainsRune(dir, 0) {
		v.errorf(p, "must not contain a NUL byte")
		return
	}
	fi, err := os.Stat(dir)
	switch {
	case os.IsNotExist(err):
		v.errorf(p, "%s does not exist; build the files first, or fix the path (relative to the configuration file)", dir)
	case err != nil:
		v.errorf(p, "%s cannot be read: %v", dir, unwrapPathError(err))
	case !fi.IsDir():
		v.errorf(p, "%s is not a directory", dir)
	}
}

// headerValue checks a header value the configuration gives in full.
func (v *validator) headerValue(p, s string) {
	switch {
	case strings.TrimSpace(s) == "":
		v.errorf(p, "must not be blank")
	case !validHeaderValue(s):
		v.errorf(p, "contains control characters")
	}
}

// validFileName reports whether name is a clean, relative slash-separated
// path of the route's root with no hidden (dot) segment: what a static
// route would serve.
func validFileName(name string) bool {
	if !fs.ValidPath(name) || name == "." || path.Clean(name) != name {
		return false
	}
	for seg := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(seg, ".") || strings.ContainsRune(seg, '\\') {
			return false
		}
	}
	return true
}

// validFSName reports whether s can name a registered filesystem.
func validFSName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !ok && (i == 0 || c != '.' && c != '-' && c != '_') {
			return false
		}
	}
	return true
}

// unwrapPathError drops the operation and path of a *fs.PathError, which
// the message names already.
func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
