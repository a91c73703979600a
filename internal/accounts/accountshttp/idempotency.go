package accountshttp

import (
	"fmt"
	"strings"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// IdempotencyKeyHeader makes a POST /v1/orgs safe to retry (see
// accounts.NewOrganization). Its value is the key bare (Stripe's form) or
// as a structured-field string in double quotes (the IETF draft's form);
// both name the same key.
const IdempotencyKeyHeader = "Idempotency-Key"

// IdempotentReplayedHeader is "true" on an answer repeated for a retried
// request rather than made afresh.
const IdempotentReplayedHeader = "Idempotent-Replayed"

// parseIdempotencyKey returns the key of the Idempotency-Key header
// values, "" when there is none. Several headers, a malformed quoted string
// or a key outside accounts.ValidIdempotencyKey are a bad request.
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
	if !accounts.ValidIdempotencyKey(key) {
		return "", problem.BadRequest(fmt.Sprintf("%s must be 1 to %d printable ASCII characters.", IdempotencyKeyHeader, accounts.MaxIdempotencyKeyLen))
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
