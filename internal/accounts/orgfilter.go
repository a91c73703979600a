package accounts

import (
	"strings"
	"unicode/utf8"
)

// MaxOrgQuery bounds OrgFilter.Query, in bytes.
const MaxOrgQuery = 100

// OrgFilter selects organizations: those whose name or slug contains
// Query (ignoring the case of ASCII letters) or whose ID is Query, and
// whose status is Status. Empty fields select everything.
type OrgFilter struct {
	Query  string
	Status OrgStatus
}

// Validate returns ErrInvalid when the query is longer than MaxOrgQuery,
// not UTF-8 or holds control characters, or the status is unknown.
func (f OrgFilter) Validate() error {
	switch {
	case len(f.Query) > MaxOrgQuery:
		return NewError(ErrInvalid, "q may be at most 100 bytes")
	case !utf8.ValidString(f.Query) || strings.ContainsFunc(f.Query, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return NewError(ErrInvalid, "q must be printable text")
	case f.Status != "" && !f.Status.Valid():
		return NewError(ErrInvalid, `status must be "active" or "suspended"`)
	}
	return nil
}

// Selects reports whether f selects o, as the stores do.
func (f OrgFilter) Selects(o Organization) bool {
	if f.Status != "" && o.Status != f.Status {
		return false
	}
	if f.Query == "" {
		return true
	}
	q := asciiLower(f.Query)
	return o.ID == f.Query || strings.Contains(asciiLower(o.Name), q) || strings.Contains(asciiLower(o.Slug), q)
}

// asciiLower lowers ASCII letters only, as SQLite's LOWER does, so that
// every store compares alike.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// LikePattern returns the SQL LIKE pattern (with '\\' as the escape
// character) matching a string that contains s, lowered as asciiLower
// does.
func (f OrgFilter) LikePattern() string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(asciiLower(f.Query)) + "%"
}
