package authhttp

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/httpjson"
	"github.com/portico-gw/portico/internal/platform/requestid"
)

type oauthErrorJSON struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// oauthFail answers err in the RFC 6749 §5.2 shape.
func (h *Handler) oauthFail(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	var out oauthErrorJSON
	status := http.StatusBadRequest
	oe, isOAuth := errors.AsType[*auth.OAuthError](err)
	switch {
	case isOAuth && oe.Code == auth.OAuthInvalidClient, errors.Is(err, auth.ErrUnauthenticated):
		w.Header().Set("WWW-Authenticate", `Basic realm="portico", charset="UTF-8"`)
		status, out = http.StatusUnauthorized, oauthErrorJSON{auth.OAuthInvalidClient, "client authentication failed"}
		if isOAuth {
			out.Description = oe.Description
		}
	case isOAuth:
		out = oauthErrorJSON{oe.Code, oe.Description}
	case errors.Is(err, auth.ErrForbidden):
		status, out = http.StatusForbidden, oauthErrorJSON{"insufficient_scope", "the client may not use this endpoint"}
	default:
		h.o.Logger.ErrorContext(r.Context(), "oauth request failed", "request_id", requestid.From(r.Context()),
			"path", r.URL.Path, "error", err)
		status, out = http.StatusInternalServerError, oauthErrorJSON{"server_error", "the server failed; the request id identifies it in the logs"}
	}
	httpjson.Write(w, status, out)
}

// oauthRequest reads a form body and authenticates its client.
func (h *Handler) oauthRequest(w http.ResponseWriter, r *http.Request) (auth.Client, oauthRequest, error) {
	body, err := h.readBody(w, r, "application/x-www-form-urlencoded")
	if err != nil {
		return auth.Client{}, oauthRequest{}, oauthInvalid("the body must be a form of at most the allowed size")
	}
	req, err := parseOAuthRequest(r.Header.Get("Authorization"), body)
	if err != nil {
		return auth.Client{}, oauthRequest{}, err
	}
	c, err := h.svc.AuthenticateClient(r.Context(), req.clientID, req.clientSecret)
	if err != nil {
		return auth.Client{}, oauthRequest{}, err
	}
	return c, req, nil
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// token serves the token endpoint (RFC 6749 §3.2) for the
// client_credentials and refresh_token grants.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	c, req, err := h.oauthRequest(w, r)
	if err != nil {
		h.oauthFail(w, r, err)
		return
	}
	var resp auth.TokenResponse
	switch req.grantType {
	case "client_credentials":
		resp, err = h.svc.ClientCredentials(r.Context(), c, req.scopes, req.audiences)
	case "refresh_token":
		if req.refreshToken == "" {
			err = oauthInvalid("refresh_token is required")
			break
		}
		resp, err = h.svc.Refresh(r.Context(), c, req.refreshToken, req.scopes, req.audiences)
	case "":
		err = oauthInvalid("grant_type is required")
	default:
		err = &auth.OAuthError{Code: auth.OAuthUnsupportedGrantType, Description: "supported: client_credentials, refresh_token"}
	}
	if err != nil {
		h.oauthFail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	httpjson.Write(w, http.StatusOK, tokenResponse{AccessToken: resp.AccessToken, TokenType: "Bearer",
		ExpiresIn: int(resp.ExpiresIn / time.Second), RefreshToken: resp.RefreshToken, Scope: strings.Join(resp.Scopes, " ")})
}

// revoke serves RFC 7009 revocation: 200 with an empty body, also for
// unknown tokens.
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	c, req, err := h.oauthRequest(w, r)
	if err != nil {
		h.oauthFail(w, r, err)
		return
	}
	if req.token == "" {
		h.oauthFail(w, r, oauthInvalid("token is required"))
		return
	}
	if err := h.svc.Revoke(r.Context(), c, req.token, req.tokenHint); err != nil {
		h.oauthFail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

type introspectionJSON struct {
	Active    bool   `json:"active"`
	TokenType string `json:"token_type,omitempty"`
	Subject   string `json:"sub,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	OrgID     string `json:"org_id,omitempty"`
	Scope     string `json:"scope,omitempty"`
	IssuedAt  int64  `json:"iat,omitempty"`
	ExpiresAt int64  `json:"exp,omitempty"`
}

// introspect serves RFC 7662 introspection.
func (h *Handler) introspect(w http.ResponseWriter, r *http.Request) {
	c, req, err := h.oauthRequest(w, r)
	if err != nil {
		h.oauthFail(w, r, err)
		return
	}
	if req.token == "" {
		h.oauthFail(w, r, oauthInvalid("token is required"))
		return
	}
	in, err := h.svc.Introspect(r.Context(), c, req.token, req.tokenHint)
	if err != nil {
		h.oauthFail(w, r, err)
		return
	}
	out := introspectionJSON{Active: in.Active}
	if in.Active {
		out = introspectionJSON{Active: true, TokenType: in.TokenType, Subject: in.Subject, ClientID: in.ClientID,
			OrgID: in.OrgID, Scope: strings.Join(in.Scopes, " "), IssuedAt: unix(in.IssuedAt), ExpiresAt: unix(in.ExpiresAt)}
	}
	w.Header().Set("Cache-Control", "no-store")
	httpjson.Write(w, http.StatusOK, out)
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
