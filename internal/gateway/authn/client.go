package authn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// authClient calls auth's exchange endpoint and verifies the token it
// answers with.
type authClient struct {
	url      string
	hc       *http.Client
	maxBytes int64
	verifier *identity.Verifier
}

type exchangeRequest struct {
	Credential string     `json:"credential,omitempty"`
	Kind       Kind       `json:"kind"`
	External   *Assertion `json:"external,omitempty"`
}

// kindExternal is the exchange kind of an Assertion: an outside token the
// gateway verified and mapped, which auth does not see.
const kindExternal Kind = "external"

// exchangeResponse is the part of auth's answer the gateway reads. Its
// expires_at, subject and kind repeat the token's claims; the gateway
// takes them from the verified token instead.
type exchangeResponse struct {
	Token           string `json:"token"`
	CacheTTLSeconds int    `json:"cache_ttl_seconds"`
}

// drainMax is how much of an unread body is read to keep its connection.
const drainMax = 4 << 10

// exchange asks auth for c's internal token, verifies it, and returns it
// with how long it may be cached. Error messages name the status or the
// reason the token was refused, never the credential or the token.
func (a *authClient) exchange(ctx context.Context, c Credential) (Result, time.Duration, error) {
	return a.post(ctx, exchangeRequest{Credential: c.Value, Kind: c.Kind})
}

// exchangeExternal asks auth for the internal token of an outside token
// the gateway verified, by its Assertion alone.
func (a *authClient) exchangeExternal(ctx context.Context, as Assertion) (Result, time.Duration, error) {
	return a.post(ctx, exchangeRequest{Kind: kindExternal, External: &as})
}

// post sends one exchange request and verifies the token of the answer.
func (a *authClient) post(ctx context.Context, er exchangeRequest) (Result, time.Duration, error) {
	body, err := json.Marshal(er)
	if err != nil {
		return Result{}, 0, fmt.Errorf("exchange: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		return Result{}, 0, fmt.Errorf("exchange: %w: %w", ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := a.hc.Do(req)
	if err != nil {
		return Result{}, 0, fmt.Errorf("exchange: %w: %w", ErrUnavailable, err)
	}
	defer func() {
		io.CopyN(io.Discard, resp.Body, drainMax)
		resp.Body.Close()
	}()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		if resp.Header.Get("WWW-Authenticate") != "" {
			// A challenge is about the request's own Authorization, the
			// gateway's workload token (RFC 9110, section 11.6.1); the
			// credential, in the body, is refused without one. Either way
			// it is no verdict on the caller.
			return Result{}, 0, fmt.Errorf("exchange: auth refused the gateway's workload token (401): %w", ErrUnavailable)
		}
		return Result{}, 0, fmt.Errorf("exchange: auth answered 401: %w", ErrUnauthenticated)
	case http.StatusBadRequest:
		// The request is checked before it is sent, so the credential is
		// what auth found wrong.
		return Result{}, 0, fmt.Errorf("exchange: auth answered 400: %w", ErrMalformed)
	default:
		return Result{}, 0, fmt.Errorf("exchange: auth answered %d: %w", resp.StatusCode, ErrUnavailable)
	}
	var out exchangeResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, a.maxBytes)).Decode(&out); err != nil {
		return Result{}, 0, fmt.Errorf("exchange: decode answer: %w: %w", ErrUnavailable, err)
	}
	if out.Token == "" {
		return Result{}, 0, fmt.Errorf("exchange: answer without token: %w", ErrUnavailable)
	}
	// Nothing is read from the token, and nothing cached, before its
	// signature, issuer, audience, type and expiry are checked: whoever
	// answers in auth's place must not be able to name the caller.
	claims, err := a.verifier.Verify(ctx, out.Token)
	if err != nil {
		return Result{}, 0, fmt.Errorf("exchange: %w: %w: %w", ErrUnavailable, ErrInvalidToken, err)
	}
	values, err := claimValues(claims)
	if err != nil {
		return Result{}, 0, fmt.Errorf("exchange: %w: %w", ErrUnavailable, err)
	}
	res := Result{
		Token: out.Token, ExpiresAt: claims.Expiry, Subject: claims.Subject, Kind: claims.Kind,
		Claims: claims, ClaimValues: values,
	}
	return res, time.Duration(out.CacheTTLSeconds) * time.Second, nil
}
