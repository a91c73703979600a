package accounts

import (
	"encoding/json"
	"fmt"
	"time"
	// The IANA time zone database is embedded so that time zones validate
	// the same on a machine without one (a scratch container image).
	_ "time/tzdata"

	"golang.org/x/text/language"
)

// Limits on a profile.
const (
	// MaxDisplayNameLen bounds a display name, in bytes.
	MaxDisplayNameLen = 200
	// MaxLocaleLen bounds a locale tag.
	MaxLocaleLen = 35
	// MaxPreferencesLen bounds the preferences encoded as JSON, in bytes.
	MaxPreferencesLen = 16 << 10
)

// Profile is what a person says about themselves, whatever organizations
// they belong to.
type Profile struct {
	// IdentityID is the auth service's ID of the person (see
	// ValidIdentityID).
	IdentityID string
	// DisplayName is shown to other people; empty means none. At most
	// MaxDisplayNameLen bytes of printable text.
	DisplayName string
	// Timezone is an IANA time zone name such as "Europe/Paris"; empty
	// means unset (the dashboard's default applies).
	Timezone string
	// Locale is a BCP 47 language tag such as "en-US"; empty means unset.
	// Stores keep it in canonical form (see CanonicalLocale).
	Locale string
	// Preferences are the dashboard's settings for the person: any JSON
	// object of at most MaxPreferencesLen bytes. Stores return numbers as
	// float64, as encoding/json decodes them; nil is stored as an empty
	// object.
	Preferences map[string]any
	// UpdatedAt is kept in UTC, to the microsecond.
	UpdatedAt time.Time
}

// Validate returns an *Error of code ErrInvalid naming the first field of p
// that is malformed, or nil.
func (p Profile) Validate() error {
	switch {
	case !ValidIdentityID(p.IdentityID):
		return NewError(ErrInvalid, "identity id is malformed")
	case len(p.DisplayName) > MaxDisplayNameLen || !printable(p.DisplayName):
		return NewError(ErrInvalid, "display name must be at most %d bytes of printable text", MaxDisplayNameLen)
	case !validTimezone(p.Timezone):
		return NewError(ErrInvalid, "timezone must be an IANA time zone name such as Europe/Paris")
	case p.UpdatedAt.IsZero():
		return NewError(ErrInvalid, "time must be set")
	}
	if _, err := CanonicalLocale(p.Locale); err != nil {
		return err
	}
	if _, err := EncodePreferences(p.Preferences); err != nil {
		return err
	}
	return nil
}

// ValidDisplayName reports whether name can be a profile's display name:
// at most MaxDisplayNameLen bytes of printable text.
func ValidDisplayName(name string) bool { return len(name) <= MaxDisplayNameLen && printable(name) }

// validTimezone reports whether tz is empty or a zone time.LoadLocation
// knows. "Local", which LoadLocation accepts, names the server's zone, not
// a person's.
func validTimezone(tz string) bool {
	if tz == "" {
		return true
	}
	if tz == "Local" || len(tz) > 64 {
		return false
	}
	_, err := time.LoadLocation(tz)
	return err == nil
}

// CanonicalLocale returns tag in canonical BCP 47 form ("en-us" becomes
// "en-US"), "" for "", or an *Error of code ErrInvalid when it is not a
// well-formed tag.
func CanonicalLocale(tag string) (string, error) {
	if tag == "" {
		return "", nil
	}
	if len(tag) > MaxLocaleLen {
		return "", NewError(ErrInvalid, "locale must be a BCP 47 tag of at most %d characters", MaxLocaleLen)
	}
	t, err := language.Parse(tag)
	if err != nil {
		return "", &Error{Code: ErrInvalid, Message: "locale must be a BCP 47 tag such as en-US", Err: err}
	}
	return t.String(), nil
}

// EncodePreferences returns prefs as a JSON object ("{}" for nil), or an
// *Error of code ErrInvalid when it cannot be encoded or is longer than
// MaxPreferencesLen.
func EncodePreferences(prefs map[string]any) ([]byte, error) {
	if prefs == nil {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(prefs)
	if err != nil {
		return nil, &Error{Code: ErrInvalid, Message: "preferences must be a JSON object", Err: err}
	}
	if len(b) > MaxPreferencesLen {
		return nil, &Error{Code: ErrInvalid, Message: fmt.Sprintf("preferences must be at most %d bytes of JSON", MaxPreferencesLen)}
	}
	return b, nil
}
