package configshttp

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/httpjson"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// Idempotency headers, as every service names them.
const (
	// IdempotencyKeyHeader makes POST /v1/orgs/{org}/integrations safe to
	// retry; httpjson.IdempotencyKey says what it may hold.
	IdempotencyKeyHeader = httpjson.IdempotencyKeyHeader
	// IdempotentReplayedHeader is "true" on an answer repeated for a
	// retried request rather than made afresh.
	IdempotentReplayedHeader = httpjson.IdempotentReplayedHeader
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
// when there is none; a key outside configs.ValidIdempotencyKey is a bad
// request.
func parseIdempotencyKey(values []string) (string, error) {
	return httpjson.IdempotencyKey(values, configs.ValidIdempotencyKey,
		fmt.Sprintf("1 to %d printable ASCII characters", configs.MaxIdempotencyKeyLen))
}
