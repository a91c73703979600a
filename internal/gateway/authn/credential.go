package authn

import (
	"fmt"
	"log/slog"
)

// Kind is the kind of an outside credential, as the auth service's
// exchange endpoint names it.
type Kind string

// Kinds of credential.
const (
	// KindSession is a browser session token, from the session cookie.
	KindSession Kind = "session"
	// KindBearer is an OAuth access token, from Authorization: Bearer.
	KindBearer Kind = "bearer"
	// KindAPIKey is an API key, from Authorization: Bearer or X-API-Key.
	KindAPIKey Kind = "api_key"
)

// MaxCredentialLen bounds a credential; auth refuses longer ones, so they
// are refused here without a call.
const MaxCredentialLen = 4096

// APIKeyPrefix starts every API key; a bearer credential with it is an
// API key, any other an access token.
const APIKeyPrefix = "ptc_"

// Credential is an outside credential and its kind. The zero value is no
// credential. It formats and logs itself as its kind only, so that a
// stray %v or slog attribute cannot leak the secret.
type Credential struct {
	Kind  Kind
	Value string
}

// valid reports whether c is a kind auth knows with a value auth accepts.
func (c Credential) valid() bool {
	switch c.Kind {
	case KindSession, KindBearer, KindAPIKey:
		return len(c.Value) > 0 && len(c.Value) <= MaxCredentialLen
	}
	return false
}

// String returns the credential's kind, never its value.
func (c Credential) String() string { return string(c.Kind) + " credential (redacted)" }

// GoString returns the same as String, for %#v.
func (c Credential) GoString() string { return c.String() }

// Format writes String for every verb, so that no verb prints the value.
func (c Credential) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// LogValue implements slog.LogValuer: only the kind is logged.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kind", string(c.Kind)), slog.String("value", "REDACTED"))
}

var (
	_ fmt.Formatter  = Credential{}
	_ slog.LogValuer = Credential{}
)
