package configshttp

import (
	"net/http"
	"strings"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// Idempotency headers, as the auth service names them.
const (
	// IdempotencyKeyHeader makes POST /v1/orgs/{org}/integrations safe to
	// retry. Its value is the key bare or as a structured-field string in
	// double quotes; both name the same key.
	IdempotencyKeyHeader = "Idempotency-Key"
	// IdempotentReplayedHeader is "true" on an answer repeated for a
	// retried request rather than made afresh.
	IdempotentReplayedHeader = "Idempotent-Replayed"
)

// errPreconditionRequired answers a change of settings sent without
// If-Match.
func errPreconditionRequired() error {
	return problem.New(http.StatusPreconditionRequired, "precondition-required", "Precondition required",
		"Send If-Match with the ETag of the settings version the change starts from.")
}

// parseIfMatch returns the settings version the If-Match values name.
// Exactly one strong entity tag made by configs.SettingsVersion.ETag is
// accepted. No header, or "*" (which names no version), is 428; a weak
// tag, which never matches strongly (RFC 9110 §13.1.1), or a strong tag
// of another form, is configs.ErrStale (412): it cannot be the current
// version; a list of several tags or a malformed value is 400.
func parseIfMatch(values []string) (int, error) {
	if len(values) == 0 {
		return 0, errPreconditionRequired()
	}
	if len(values) > 1 {
		return 0, problem.BadRequest("Send one If-Match header with one entity tag.")
	}
	v := strings.TrimSpace(values[0])
	switch {
	case v == "" || v == "*":
		return 0, errPreconditionRequired()
	case strings.Contains(v, ","):
		return 0, problem.BadRequest("Send one If-Match header with one entity tag.")
	case strings.HasPrefix(v, "W/") && validEntityTag(v[2:]):
		return 0, configs.NewError(configs.ErrStale, "a weak entity tag never matches the settings")
	case !validEntityTag(v):
		return 0, problem.BadRequest("If-Match is not an entity tag.")
	}
	n, ok := configs.ParseETag(v)
	if !ok {
		return 0, configs.NewError(configs.ErrStale, "the entity tag is not one of a settings version")
	}
	return n, nil
}

// validEntityTag reports whether s is an RFC 9110 opaque-tag: DQUOTE
// *etagc DQUOTE, where etagc is '!' or '#' to '~' or obs-text.
func validEntityTag(s string) bool {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; c != 0x21 && (c < 0x23 || c == 0x7f) {
			return false
		}
	}
	return true
}

// parseIdempotencyKey returns the key of the Idempotency-Key values, ""
// when there is none.
func parseIdempotencyKey(values []string) (string, error) {
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
	if !configs.ValidIdempotencyKey(key) {
		return "", problem.BadRequest(IdempotencyKeyHeader + " must be 1 to 255 printable ASCII characters.")
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
