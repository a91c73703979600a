package authn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// authClient calls auth's exchange endpoint.
type authClient struct {
	url      string
	hc       *http.Client
	maxBytes int64
}

type exchangeRequest struct {
	Credential string `json:"credential"`
	Kind       Kind   `json:"kind"`
}

type exchangeResponse struct {
	Token           string    `json:"token"`
	ExpiresAt       time.Time `json:"expires_at"`
	Subject         string    `json:"subject"`
	Kind            string    `json:"kind"`
	CacheTTLSeconds int       `json:"cache_ttl_seconds"`
}

// drainMax is how much of an unread body is read to keep its connection.
const drainMax = 4 << 10

// exchange asks auth for c's internal token and how long it may be
// cached. Error messages name the status, never the credential.
func (a *authClient) exchange(ctx context.Context, c Credential) (Result, time.Duration, error) {
	body, err := json.Marshal(exchangeRequest{Credential: c.Value, Kind: c.Kind})
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
	if out.Token == "" || out.Subject == "" || out.ExpiresAt.IsZero() {
		return Result{}, 0, fmt.Errorf("exchange: answer without token, subject or expiry: %w", ErrUnavailable)
	}
	claims, err := parseClaims(out.Token)
	if err != nil {
		return Result{}, 0, fmt.Errorf("exchange: %w: %w", err, ErrUnavailable)
	}
	res := Result{Token: out.Token, ExpiresAt: out.ExpiresAt, Subject: out.Subject, Kind: out.Kind, Claims: claims}
	return res, time.Duration(out.CacheTTLSeconds) * time.Second, nil
}
