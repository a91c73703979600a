package configs

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Page sizes for the Store's list methods.
const (
	// DefaultPageLimit is the page size used when PageRequest.Limit is 0.
	DefaultPageLimit = 50
	// MaxPageLimit is the largest page a store returns; the HTTP layer
	// may cap lower.
	MaxPageLimit = 1000
)

// PageRequest asks for one page of a list ordered newest first.
type PageRequest struct {
	// Cursor is the NextCursor of the previous page, or empty for the first.
	Cursor string
	// Limit is the page size, 1 to MaxPageLimit; 0 means DefaultPageLimit.
	Limit int
}

// EffectiveLimit returns the page size r asks for, or an error wrapping
// ErrInvalid if r.Limit is out of range.
func (r PageRequest) EffectiveLimit() (int, error) {
	switch {
	case r.Limit == 0:
		return DefaultPageLimit, nil
	case r.Limit < 0 || r.Limit > MaxPageLimit:
		return 0, &Error{Code: ErrInvalid, Message: fmt.Sprintf("limit must be 1 to %d", MaxPageLimit),
			Err: fmt.Errorf("page limit %d", r.Limit)}
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

// Cursor is a position in a list ordered newest first: the next page
// holds the records strictly before it. For integrations the order is
// (creation time, ID); for settings versions it is the version number,
// held in Key, and At is informative only.
type Cursor struct {
	// At is the creation time of the last record of the previous page,
	// truncated to microseconds.
	At time.Time
	// Key is that record's ID, or its version number in decimal.
	Key string
}

// cursorVersion prefixes encoded cursors so the format can change.
const cursorVersion = "c1"

// maxCursorLen bounds the encoded cursor before it is decoded.
const maxCursorLen = 160

// base64URL is the alphabet of unpadded base64url.
const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// String encodes c as an opaque, URL-safe string.
func (c Cursor) String() string {
	raw := cursorVersion + "." + strconv.FormatInt(c.At.UnixMicro(), 10) + "." + c.Key
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor decodes a cursor made by Cursor.String for a list whose keys
// validKey accepts. A cursor that is malformed, from another list, or out
// of range yields an error wrapping ErrInvalid.
func ParseCursor(s string, validKey func(string) bool) (Cursor, error) {
	bad := func(what string) (Cursor, error) {
		return Cursor{}, &Error{Code: ErrInvalid, Message: "cursor is not one this list gave",
			Err: fmt.Errorf("cursor: %s", what)}
	}
	if len(s) > maxCursorLen {
		return bad("too long")
	}
	// The decoder skips CR and LF; only the alphabet may pass.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || !isToken(s, base64URL) {
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

// ValidVersionKey reports whether key is a settings version number as a
// cursor holds it: a positive decimal without leading zeros. It is the key
// validator of version lists.
func ValidVersionKey(key string) bool {
	n, err := strconv.Atoi(key)
	return err == nil && n >= 1 && strconv.Itoa(n) == key
}
