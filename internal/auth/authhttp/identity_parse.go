package authhttp

import (
	"fmt"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/httpjson"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// IdempotencyKeyHeader makes a POST safe to retry (see auth.NewIdentity);
// httpjson.IdempotencyKey says what it may hold.
const IdempotencyKeyHeader = httpjson.IdempotencyKeyHeader

// IdempotentReplayedHeader is "true" on an answer repeated for a retried
// request rather than made afresh.
const IdempotentReplayedHeader = httpjson.IdempotentReplayedHeader

// parseIdempotencyKey returns the key of the Idempotency-Key header
// values, "" when there is none; a key outside auth.ValidIdempotencyKey
// is a bad request.
func parseIdempotencyKey(values []string) (string, error) {
	return httpjson.IdempotencyKey(values, auth.ValidIdempotencyKey,
		fmt.Sprintf("1 to %d printable ASCII characters", auth.MaxIdempotencyKeyLen))
}

// newIdentityRequest is the body of POST /v1/identities and of
// POST /internal/v1/identities.
type newIdentityRequest struct {
	Email    string `json:"email"`
	Password string `json:"password,omitempty"`
}

// parseNewIdentity decodes and checks the shape of a request to create an
// identity; the service checks the address and the password policy.
func parseNewIdentity(body []byte) (newIdentityRequest, error) {
	var req newIdentityRequest
	if err := decodeStrict(body, &req); err != nil {
		return newIdentityRequest{}, err
	}
	if req.Email == "" || len(req.Email) > auth.MaxEmailLen {
		return newIdentityRequest{}, problem.BadRequest(fmt.Sprintf("email must be 1 to %d bytes.", auth.MaxEmailLen))
	}
	return req, nil
}

// identityPatch is the body of PATCH /v1/identities/{id}, a JSON merge
// patch of which only status may be set.
type identityPatch struct {
	Status *string `json:"status"`
}

// parseIdentityPatch decodes a PATCH of an identity and returns the status
// it asks for.
func parseIdentityPatch(body []byte) (auth.IdentityStatus, error) {
	var p identityPatch
	if err := decodeStrict(body, &p); err != nil {
		return "", err
	}
	if p.Status == nil || !auth.IdentityStatus(*p.Status).Valid() {
		return "", problem.BadRequest(`status must be "active" or "disabled".`)
	}
	return auth.IdentityStatus(*p.Status), nil
}
