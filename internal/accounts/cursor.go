package accounts

import (
	"errors"

	"github.com/portico-gw/portico/internal/platform/page"
)

// Page sizes of the Store's list methods: those of platform/page.
const (
	DefaultPageLimit = page.DefaultLimit
	MaxPageLimit     = page.MaxLimit
)

// PageRequest asks for one page of a list ordered newest first; see
// page.Request.
type PageRequest struct {
	// Cursor is the NextCursor of the previous page, or empty for the first.
	Cursor string
	// Limit is the page size, 1 to MaxPageLimit; 0 means DefaultPageLimit.
	Limit int
}

// EffectiveLimit returns the page size r asks for, or an *Error of
// ErrInvalid if r.Limit is out of range.
func (r PageRequest) EffectiveLimit() (int, error) {
	n, err := page.Request(r).EffectiveLimit()
	return n, pageError(err)
}

// Page is one page of a list, newest first.
type Page[T any] = page.Page[T]

// Cursor is a position in a list; see page.Cursor.
type Cursor = page.Cursor

// ParseCursor decodes a cursor made by Cursor.String for a list whose keys
// validKey accepts; a cursor that is malformed, from another list, or out
// of range yields an *Error of ErrInvalid.
func ParseCursor(s string, validKey func(string) bool) (Cursor, error) {
	c, err := page.ParseCursor(s, validKey)
	return c, pageError(err)
}

// pageError turns a refusal of platform/page into the package's own
// vocabulary, keeping its safe message.
func pageError(err error) error {
	if pe, ok := errors.AsType[*page.Error](err); ok {
		return &Error{Code: ErrInvalid, Message: pe.Message, Err: err}
	}
	return err
}

// ValidOrgID reports whether id is an organization ID; it is the key
// validator of organization lists.
func ValidOrgID(id string) bool { return ValidID(OrgIDPrefix, id) }
