package gateway

import (
	"fmt"
	"strings"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/gateway/router"
)

// explainStatic describes how a static route would answer: where its files
// come from and which file the request names, with its caching. It does
// not look at the files, so it says what would be tried.
func explainStatic(b *strings.Builder, rc *config.Route, method, path string, params *router.Params) {
	s := rc.Static
	src := "dir " + s.Dir
	if s.Embedded != "" {
		src = fmt.Sprintf("embedded filesystem %q (registered by the program; checked at start)", s.Embedded)
	}
	fmt.Fprintf(b, "static    %s; index %s", src, s.Index)
	if s.Fallback != "" {
		fmt.Fprintf(b, "; fallback %s for client-side routes", s.Fallback)
	}
	b.WriteByte('\n')
	if method != "GET" && method != "HEAD" {
		b.WriteString("result    405 method-not-allowed (Allow: GET, HEAD): a static route serves only GET and HEAD\n")
		return
	}
	rest := path
	if t, err := router.ParseTemplate(rc.Path); err == nil && t.HasWildcard() {
		rest = params.Get(t.WildcardName())
	}
	name, dir, ok := staticName(rest)
	if !ok {
		b.WriteString("result    404 not-found: the name is hidden (a dot segment) or malformed, and never served\n")
		return
	}
	h := &staticHandler{index: s.Index, cacheControl: []string{s.CacheControl}}
	for _, p := range s.Immutable {
		h.immutable = append(h.immutable, strings.TrimPrefix(p, "/"))
	}
	file := name
	if dir {
		file = joinName(name, s.Index)
	}
	fmt.Fprintf(b, "file      %s (Cache-Control: %s), or its .br or .gz beside it when the client accepts one\n",
		file, h.cacheControlOf(file)[0])
	switch {
	case s.Fallback != "" && (dir || !hasExtension(name)):
		fmt.Fprintf(b, "missing   %s (200) when the request's Accept admits text/html, else 404 not-found\n", s.Fallback)
	default:
		b.WriteString("missing   404 not-found\n")
	}
}
