// Package requestid generates, validates and carries request ids. A request
// id arriving from a client is kept only when it is well-formed, so log
// injection through it is impossible.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"net/http"
)

// Header is the header field that carries the request id.
const Header = "X-Request-Id"

// MaxLen is the longest request id accepted from a client.
const MaxLen = 128

type ctxKey struct{}

var enc = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// New returns a fresh random id of 26 characters (128 bits).
func New() string {
	var b [16]byte
	rand.Read(b[:])
	return enc.EncodeToString(b[:])
}

// Valid reports whether s is acceptable as a client-supplied id: 1 to
// MaxLen characters of letters, digits, '-', '_', '.', ':' and '='.
func Valid(s string) bool {
	if len(s) == 0 || len(s) > MaxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '=':
		default:
			return false
		}
	}
	return true
}

// FromRequest returns the request's id if it is valid, or a new one.
func FromRequest(r *http.Request) string {
	if id := r.Header.Get(Header); Valid(id) {
		return id
	}
	return New()
}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From returns the id in ctx, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// Middleware makes sure each request has an id: it takes a valid incoming
// one or generates one, stores it in the context, sets it on the request
// (so it is forwarded) and echoes it in the response.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := FromRequest(r)
		r.Header.Set(Header, id)
		w.Header().Set(Header, id)
		next.ServeHTTP(w, r.WithContext(With(r.Context(), id)))
	})
}
