package configs

import (
	"errors"
	"strconv"
	"time"
)

// MaxVersionMessageLen bounds the message of a settings version.
const MaxVersionMessageLen = 1000

// SettingsVersion is one immutable version of an integration's delivery
// settings. Versions of an integration are numbered 1, 2, 3... without
// gaps; the highest is the current settings.
type SettingsVersion struct {
	IntegrationID string
	// Version is 1 for the first version and one more for each next.
	Version int
	// Document is the delivery settings document, valid by
	// ValidateSettings, kept byte for byte as written.
	Document []byte
	// Author is the ID of the identity that wrote the version.
	Author string
	// Message says why, as the author wrote it; it may be empty.
	Message   string
	CreatedAt time.Time
}

// ETag returns the strong entity tag of v, `"v<N>"` with N its version
// number. Versions are immutable and numbered per integration, so within
// one integration's settings resource the number alone names the bytes;
// an If-Match holding it is the expectedVersion of
// Store.AppendSettingsVersion.
func (v SettingsVersion) ETag() string { return `"v` + strconv.Itoa(v.Version) + `"` }

// ParseETag returns the version number an ETag made by
// SettingsVersion.ETag names, and false for any other value (a weak tag,
// "*", a list).
func ParseETag(tag string) (int, bool) {
	if len(tag) < 4 || tag[0] != '"' || tag[1] != 'v' || tag[len(tag)-1] != '"' {
		return 0, false
	}
	n := tag[2 : len(tag)-1]
	if !ValidVersionKey(n) {
		return 0, false
	}
	v, _ := strconv.Atoi(n)
	return v, true
}

// Validate returns an *Error of code ErrInvalid naming the first field of
// v that is malformed, or nil. For a document that is not valid, the
// error's Err joins every FieldError of ValidateSettings; callers that
// show them to a client call ValidateSettings themselves first.
func (v SettingsVersion) Validate() error {
	switch {
	case !ValidIntegrationID(v.IntegrationID):
		return invalid("integration id is malformed")
	case v.Version < 1:
		return invalid("version must be 1 or more")
	case !ValidForeignID(v.Author):
		return invalid("author is malformed")
	case len(v.Message) > MaxVersionMessageLen || !printable(v.Message):
		return invalid("message must be at most 1000 bytes of printable text")
	case v.CreatedAt.IsZero():
		return invalid("time must be set")
	}
	if errs := ValidateSettings(v.Document); len(errs) > 0 {
		causes := make([]error, len(errs))
		for i, e := range errs {
			causes[i] = e
		}
		return &Error{Code: ErrInvalid, Message: "settings document is not valid", Err: errors.Join(causes...)}
	}
	return nil
}
