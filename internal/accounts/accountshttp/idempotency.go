package accountshttp

import (
	"fmt"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/httpjson"
)

// IdempotencyKeyHeader makes a POST /v1/orgs safe to retry (see
// accounts.NewOrganization); httpjson.IdempotencyKey says what it may
// hold.
const IdempotencyKeyHeader = httpjson.IdempotencyKeyHeader

// IdempotentReplayedHeader is "true" on an answer repeated for a retried
// request rather than made afresh.
const IdempotentReplayedHeader = httpjson.IdempotentReplayedHeader

// parseIdempotencyKey returns the key of the Idempotency-Key header
// values, "" when there is none; a key outside
// accounts.ValidIdempotencyKey is a bad request.
func parseIdempotencyKey(values []string) (string, error) {
	return httpjson.IdempotencyKey(values, accounts.ValidIdempotencyKey,
		fmt.Sprintf("1 to %d printable ASCII characters", accounts.MaxIdempotencyKeyLen))
}
