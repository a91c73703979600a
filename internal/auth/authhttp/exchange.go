package authhttp

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/httpjson"
	"github.com/portico-gw/portico/internal/platform/problem"
)

type exchangeRequest struct {
	Credential string `json:"credential"`
	// Kind is "session", "bearer", "api_key", or empty to detect it; or
	// "external", with External and no Credential.
	Kind string `json:"kind,omitempty"`
	// External is the gateway's assertion about an outside token it
	// verified, for kind "external" only.
	External *externalAssertionJSON `json:"external,omitempty"`
}

// externalAssertionJSON is auth.ExternalAssertion on the wire.
type externalAssertionJSON struct {
	Issuer       string    `json:"issuer"`
	Subject      string    `json:"subject"`
	Organization string    `json:"organization"`
	Scopes       []string  `json:"scopes"`
	ExpiresAt    time.Time `json:"expires_at"`
}

type exchangeResponse struct {
	Token           string    `json:"token"`
	ExpiresAt       time.Time `json:"expires_at"`
	Subject         string    `json:"subject"`
	Kind            string    `json:"kind"`
	CacheTTLSeconds int       `json:"cache_ttl_seconds"`
}

// parseExchange decodes and checks an exchange request body.
func parseExchange(body []byte) (exchangeRequest, error) {
	var req exchangeRequest
	if err := decodeStrict(body, &req); err != nil {
		return exchangeRequest{}, err
	}
	if req.Kind == auth.CredentialExternal {
		switch {
		case req.Credential != "":
			return exchangeRequest{}, problem.BadRequest(`kind "external" carries no credential, only external.`)
		case req.External == nil:
			return exchangeRequest{}, problem.BadRequest(`kind "external" needs external.`)
		}
		return req, nil
	}
	switch {
	case req.External != nil:
		return exchangeRequest{}, problem.BadRequest(`external goes only with kind "external".`)
	case req.Credential == "" || len(req.Credential) > auth.MaxCredentialLen:
		return exchangeRequest{}, problem.BadRequest("credential must be 1 to 4096 bytes.")
	case req.Kind != "" && req.Kind != auth.CredentialSession && req.Kind != auth.CredentialBearer && req.Kind != auth.CredentialAPIKey:
		return exchangeRequest{}, problem.BadRequest(`kind must be "session", "bearer", "api_key", "external" or absent.`)
	}
	return req, nil
}

func (h *Handler) exchange(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r, "application/json")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := parseExchange(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var ex auth.Exchanged
	if e := req.External; e != nil {
		ex, err = h.svc.ExchangeExternal(r.Context(), auth.ExternalAssertion{
			Issuer: e.Issuer, Subject: e.Subject, OrgID: e.Organization, Scopes: e.Scopes, ExpiresAt: e.ExpiresAt,
		})
	} else {
		ex, err = h.svc.Exchange(r.Context(), req.Credential, req.Kind)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, exchangeResponse{Token: ex.Token, ExpiresAt: ex.ExpiresAt, Subject: ex.Subject,
		Kind: string(ex.Kind), CacheTTLSeconds: int(ex.CacheTTL / time.Second)})
}

// readBody reads a body of the given media type, at most MaxBodyBytes.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, mediaType string) ([]byte, error) {
	if !hasMediaType(r, mediaType) {
		return nil, problem.New(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			"The body must be "+mediaType+".")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, problem.BodyTooLarge("The body is too large.")
		}
		return nil, problem.BadRequest("The body could not be read.")
	}
	return body, nil
}
