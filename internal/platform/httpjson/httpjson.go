// Package httpjson holds the conventions every service's JSON API shares,
// so that each answers them alike: how a JSON answer is written, how a
// list is paged (?cursor= and ?limit=, answered as {"items",
// "next_cursor"}), and how an Idempotency-Key header is read.
package httpjson

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/portico-gw/portico/internal/platform/page"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// Write writes v as JSON with status, a Content-Length and a final
// newline. A value that cannot be encoded (a bug) is written as {}.
func Write(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		body = []byte(`{}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// PageParams reads ?cursor= and ?limit= (1 to maxLimit; maxLimit when
// absent). A bad limit is a 400 invalid-argument problem.
func PageParams(r *http.Request, maxLimit int) (cursor string, limit int, err error) {
	q := r.URL.Query()
	limit = maxLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return "", 0, problem.New(http.StatusBadRequest, "invalid-argument", "Invalid argument",
				fmt.Sprintf("limit must be 1 to %d.", maxLimit))
		}
		limit = n
	}
	return q.Get("cursor"), limit, nil
}

// Page is one page of a list as every API answers it.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ToPage converts a page of records into a Page of their JSON forms.
func ToPage[T, J any](p page.Page[T], conv func(T) J) Page[J] {
	out := Page[J]{Items: make([]J, len(p.Items)), NextCursor: p.NextCursor}
	for i, it := range p.Items {
		out.Items[i] = conv(it)
	}
	return out
}

// IdempotencyKeyHeader makes a creating POST safe to retry. Its value is
// the key bare (Stripe's form) or as a structured-field string in double
// quotes (the IETF draft's form); both name the same key.
const IdempotencyKeyHeader = "Idempotency-Key"

// IdempotentReplayedHeader is "true" on an answer repeated for a retried
// request rather than made afresh.
const IdempotentReplayedHeader = "Idempotent-Replayed"

// IdempotencyKey returns the key of the Idempotency-Key header values, ""
// when there is none. Several headers, a malformed quoted string, or a key
// valid refuses are a 400 bad-request problem; rule says what valid wants,
// as in "1 to 255 printable ASCII characters".
func IdempotencyKey(values []string, valid func(string) bool, rule string) (string, error) {
	switch len(values) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", problem.BadRequest("Send at most one " + IdempotencyKeyHeader + " header.")
	}
	key := values[0]
	if strings.HasPrefix(key, `"`) {
		var ok bool
		if key, ok = unquoteSFString(key); !ok {
			return "", problem.BadRequest(IdempotencyKeyHeader + " is not a valid quoted string.")
		}
	}
	if !valid(key) {
		return "", problem.BadRequest(IdempotencyKeyHeader + " must be " + rule + ".")
	}
	return key, nil
}

// unquoteSFString decodes an RFC 8941 string: printable ASCII in double
// quotes, where only \" and \\ are escapes.
func unquoteSFString(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
			if i == len(s)-1 || (s[i] != '"' && s[i] != '\\') {
				return "", false
			}
			b.WriteByte(s[i])
		case c == '"' || c < 0x20 || c > 0x7e:
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}
