// Package page is the keyset pagination every service's lists share: a
// page request, a page, and the opaque cursor between pages. Each service
// wraps its errors (ErrInvalid here) into its own error vocabulary.
package page

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Page sizes of store list methods.
const (
	// DefaultLimit is the page size used when Request.Limit is 0.
	DefaultLimit = 50
	// MaxLimit is the largest page a store returns; HTTP layers may cap
	// lower.
	MaxLimit = 1000
)

// ErrInvalid is wrapped by every error of the package: a limit out of
// range, a cursor that no list of this kind gave. Its Error's Message is
// safe to show clients.
var ErrInvalid = errors.New("invalid page request")

// Error is a refused page request: Message is safe for any client, Err is
// for logs.
type Error struct {
	Message string
	Err     error
}

func (e *Error) Error() string { return e.Message + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(e, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Request asks for one page of a list ordered newest first.
type Request struct {
	// Cursor is the NextCursor of the previous page, or empty for the first.
	Cursor string
	// Limit is the page size, 1 to MaxLimit; 0 means DefaultLimit.
	Limit int
}

// EffectiveLimit returns the page size r asks for, or an *Error if
// r.Limit is out of range.
func (r Request) EffectiveLimit() (int, error) {
	switch {
	case r.Limit == 0:
		return DefaultLimit, nil
	case r.Limit < 0 || r.Limit > MaxLimit:
		return 0, &Error{Message: fmt.Sprintf("limit must be 1 to %d", MaxLimit), Err: fmt.Errorf("page limit %d", r.Limit)}
	}
	return r.Limit, nil
}

// Page is one page of a list.
type Page[T any] struct {
	// Items are newest first.
	Items []T
	// NextCursor fetches the following page; empty on the last page.
	NextCursor string
}

// Cursor is a position in a list ordered by (time, key) descending: the
// next page holds the records strictly before it. The key is the record's
// ID, or whatever orders the list (a version number in decimal, say).
type Cursor struct {
	// At is the time of the last record of the previous page, truncated
	// to microseconds.
	At time.Time
	// Key is that record's key.
	Key string
}

// cursorVersion prefixes encoded cursors so the format can change.
const cursorVersion = "p1"

// maxCursorLen bounds the encoded cursor before it is decoded.
const maxCursorLen = 160

// String encodes c as an opaque, URL-safe string.
func (c Cursor) String() string {
	raw := cursorVersion + "." + strconv.FormatInt(c.At.UnixMicro(), 10) + "." + c.Key
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor decodes a cursor made by Cursor.String for a list whose keys
// validKey accepts. A cursor that is malformed, from another list, or out
// of range yields an *Error.
func ParseCursor(s string, validKey func(string) bool) (Cursor, error) {
	bad := func(what string) (Cursor, error) {
		return Cursor{}, &Error{Message: "cursor is not one this list gave", Err: errors.New("cursor: " + what)}
	}
	if len(s) > maxCursorLen {
		return bad("too long")
	}
	// The decoder skips CR and LF; only the alphabet may pass.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || !base64URL(s) {
		return bad("not base64url")
	}
	parts := strings.SplitN(string(raw), ".", 3)
	if len(parts) != 3 || parts[0] != cursorVersion {
		return bad("unknown format")
	}
	micros, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || micros < 0 || strconv.FormatInt(micros, 10) != parts[1] {
		return bad("bad time")
	}
	if !validKey(parts[2]) {
		return bad("bad key")
	}
	return Cursor{At: time.UnixMicro(micros).UTC(), Key: parts[2]}, nil
}

// base64URL reports whether s holds only the unpadded base64url alphabet.
func base64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
