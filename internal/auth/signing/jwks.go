package signing

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/portico-gw/portico/internal/platform/problem"
)

// JWKSContentType is the media type of the JWK Set (RFC 7517, section 8.5).
const JWKSContentType = "application/jwk-set+json"

// JWKSHandler serves the public halves of the published keys as a JWK Set,
// at /.well-known/jwks.json: each with kid, alg and use "sig", nothing
// private. Responses carry Cache-Control max-age Options.JWKSMaxAge, far
// shorter than the pre-publication interval, and an ETag answering
// If-None-Match with 304. The set is the one read at the last reload, so a
// key may stay listed up to CheckInterval past its ExpiresAt.
func (m *Manager) JWKSHandler() http.Handler {
	cacheControl := "public, max-age=" + strconv.Itoa(int(m.o.JWKSMaxAge.Seconds()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			problem.Write(w, r, problem.MethodNotAllowed("Only GET and HEAD are allowed."))
			return
		}
		s := m.state.Load()
		serveCached(w, r, s.jwks, s.etag, JWKSContentType, cacheControl)
	})
}

// serveCached writes a cacheable document, or 304 when the request's
// If-None-Match names its ETag.
func serveCached(w http.ResponseWriter, r *http.Request, body []byte, etag, contentType, cacheControl string) {
	h := w.Header()
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// etagMatches reports whether an If-None-Match value names etag, with the
// weak comparison RFC 9110 (section 13.1.2) prescribes for it.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
