// Package authclient is the accounts service's client of the auth
// service: it creates the identities of people who accept an invitation
// without an account (accounts.IdentityProvisioner), by
// POST /internal/v1/identities. It speaks the auth service's HTTP API as
// api/auth.yaml describes it and imports nothing of the auth service, so
// that each can change without the other's code changing.
//
// The *http.Client it is given authenticates the calls: its transport
// adds the accounts service's workload token (workload.Transport), which
// the auth service admits on that endpoint and nowhere else.
package authclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/portico-gw/portico/internal/accounts"
)

// maxResponseBytes bounds how much of an answer is read: an identity or a
// problem document is far smaller.
const maxResponseBytes = 64 << 10

// maxDetailLen bounds a problem detail passed on to clients.
const maxDetailLen = 300

// Client creates identities in the auth service. It is safe for
// concurrent use.
type Client struct {
	endpoint string
	http     *http.Client
}

// New returns a Client of the auth service at baseURL (such as
// "http://auth.portico.internal:8080", without a trailing path) calling
// through client, whose transport must add the accounts service's
// workload token; nil means http.DefaultClient, which adds none (for
// tests). Timeouts are the caller's: the client's own, or the context's.
func New(baseURL string, client *http.Client) *Client {
	if client == nil {
		client = http.DefaultClient
	}
	return &Client{endpoint: strings.TrimRight(baseURL, "/") + "/internal/v1/identities", http: client}
}

type newIdentityJSON struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// CreateIdentity implements accounts.IdentityProvisioner. The auth
// service's answers map to the accounts error codes:
//
//   - 201 (or 200): the identity's "id".
//   - 409: ErrConflict, the address has an account; and 422
//     idempotency-key-reused, which means an identity was created for
//     this key (this invitation) by a request with another password, is
//     the same conflict: that person has an account now.
//   - 400 or another 422: ErrInvalid with the auth service's problem
//     detail, which it writes to be safe to show (a password too short).
//   - 401 or 403: the auth service refuses this service's workload token;
//     accounts is misconfigured. ErrUnavailable to the client, and the
//     cause, for the log, says so.
//   - 429, 5xx, a network error, an answer that is not what the API
//     describes: ErrUnavailable.
func (c *Client) CreateIdentity(ctx context.Context, email, password, idempotencyKey string) (string, error) {
	body, err := json.Marshal(newIdentityJSON{Email: email, Password: password})
	if err != nil {
		return "", fmt.Errorf("create identity: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("create identity: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("Idempotency-Key", idempotencyKey)
	res, err := c.http.Do(req)
	if err != nil {
		return "", unavailable(fmt.Errorf("create identity: %w", err))
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes+1))
	if err != nil {
		return "", unavailable(fmt.Errorf("create identity: read answer: %w", err))
	}
	if len(raw) > maxResponseBytes {
		return "", unavailable(fmt.Errorf("create identity: answer of status %d longer than %d bytes", res.StatusCode, maxResponseBytes))
	}
	return parseAnswer(res.StatusCode, res.Header.Get("Content-Type"), raw)
}

// parseAnswer maps one answer of POST /internal/v1/identities (see
// CreateIdentity).
func parseAnswer(status int, contentType string, body []byte) (string, error) {
	switch {
	case status == http.StatusCreated || status == http.StatusOK:
		var created struct {
			ID string `json:"id"`
		}
		if !isJSON(contentType, "application/json") || json.Unmarshal(body, &created) != nil || !accounts.ValidIdentityID(created.ID) {
			return "", unavailable(fmt.Errorf("create identity: status %d without an identity id", status))
		}
		return created.ID, nil
	case status == http.StatusConflict:
		return "", &accounts.Error{Code: accounts.ErrConflict, Message: "an account with this address exists",
			Err: errors.New("auth service: address in use")}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "", unavailable(fmt.Errorf("auth service refused the accounts service's workload token (status %d): "+
			"accounts is misconfigured (workload token source, audience, or the auth service's trust)", status))
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		p := parseProblem(contentType, body)
		if strings.HasSuffix(p.Type, "/idempotency-key-reused") {
			return "", &accounts.Error{Code: accounts.ErrConflict, Message: "an account with this address exists",
				Err: errors.New("auth service: an identity was created for this invitation with another password")}
		}
		msg := "the address or password was refused"
		if d := safeDetail(p.Detail); d != "" {
			msg = d
		}
		return "", &accounts.Error{Code: accounts.ErrInvalid, Message: msg,
			Err: fmt.Errorf("auth service: status %d, problem type %q", status, p.Type)}
	}
	return "", unavailable(fmt.Errorf("create identity: auth service answered status %d", status))
}

// unavailable classifies err as ErrUnavailable.
func unavailable(err error) error {
	return &accounts.Error{Code: accounts.ErrUnavailable, Message: "the identity service is unavailable; try again shortly", Err: err}
}

type problemJSON struct {
	Type   string `json:"type"`
	Detail string `json:"detail"`
}

// parseProblem reads an RFC 9457 problem document; anything else is an
// empty one.
func parseProblem(contentType string, body []byte) problemJSON {
	var p problemJSON
	if !isJSON(contentType, "application/problem+json") || json.Unmarshal(body, &p) != nil {
		return problemJSON{}
	}
	return p
}

// safeDetail returns a problem detail fit to be an accounts.Error's
// Message (a lower-case fragment without the final period), or "" when
// it is empty, too long or not plain printable text.
func safeDetail(d string) string {
	d = strings.TrimSuffix(strings.TrimSpace(d), ".")
	if d == "" || len(d) > maxDetailLen {
		return ""
	}
	for _, r := range d {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return ""
		}
	}
	return d
}

// isJSON reports whether contentType is want or application/json.
func isJSON(contentType, want string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == want || mt == "application/json")
}

var _ accounts.IdentityProvisioner = (*Client)(nil)
