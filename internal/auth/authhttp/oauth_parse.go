package authhttp

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/portico-gw/portico/internal/auth"
)

// Limits of OAuth request parameters.
const (
	maxFormParams = 16
	maxScopeParam = auth.MaxScopes * (auth.MaxScopeLen + 1)
)

var errBadForm = errors.New("malformed form")

// parseForm decodes an application/x-www-form-urlencoded body into its
// parameters and, apart, the values of the resource parameter, the one
// parameter that may repeat (RFC 8707 §2). Following RFC 6749 §3.1, any
// other parameter given twice is an error, as are parameters without a
// value-bearing "=" that are not empty, invalid UTF-8, and more than
// maxFormParams parameters (resources included).
func parseForm(body []byte) (form map[string]string, resources []string, err error) {
	form = map[string]string{}
	for part := range strings.SplitSeq(string(body), "&") {
		if part == "" {
			continue
		}
		if len(form)+len(resources) == maxFormParams {
			return nil, nil, errBadForm
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || key == "" || !utf8.ValidString(key) || !utf8.ValidString(val) {
			return nil, nil, errBadForm
		}
		if key == "resource" {
			resources = append(resources, val)
			continue
		}
		if _, dup := form[key]; dup {
			return nil, nil, errBadForm
		}
		form[key] = val
	}
	return form, resources, nil
}

// parseBasic decodes an HTTP Basic Authorization header carrying OAuth
// client credentials, which RFC 6749 §2.3.1 form-urlencodes before
// joining. ok is false when the header is absent or not Basic; err is set
// when it is Basic but malformed.
func parseBasic(header string) (id, secret string, ok bool, err error) {
	scheme, rest, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", true, errBadForm
	}
	u, p, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", true, errBadForm
	}
	id, err1 := url.QueryUnescape(u)
	secret, err2 := url.QueryUnescape(p)
	if err1 != nil || err2 != nil || id == "" || !utf8.ValidString(id) || !utf8.ValidString(secret) {
		return "", "", true, errBadForm
	}
	return id, secret, true, nil
}

// oauthRequest is a parsed request to the token, revocation or
// introspection endpoint.
type oauthRequest struct {
	clientID, clientSecret string
	grantType              string
	// scopes is nil when the scope parameter is absent.
	scopes []string
	// audiences are the resource parameters (RFC 8707) and the audience
	// parameter, in that order; empty when there are none.
	audiences    []string
	refreshToken string
	// token and tokenHint are the parameters of revocation and
	// introspection.
	token, tokenHint string
}

// parseOAuthRequest reads the client's credentials (Basic or in the body,
// never both, RFC 6749 §2.3) and the other parameters of a form body.
func parseOAuthRequest(authorization string, body []byte) (oauthRequest, error) {
	form, resources, err := parseForm(body)
	if err != nil {
		return oauthRequest{}, oauthInvalid("the body is not a well-formed form; parameters other than resource must not repeat")
	}
	req, err := clientCredentials(authorization, form)
	if err != nil {
		return oauthRequest{}, err
	}
	req.grantType, req.refreshToken = form["grant_type"], form["refresh_token"]
	req.token, req.tokenHint = form["token"], form["token_type_hint"]
	if s, ok := form["scope"]; ok {
		if len(s) > maxScopeParam {
			return oauthRequest{}, &auth.OAuthError{Code: auth.OAuthInvalidScope, Description: "the scope parameter is too long"}
		}
		req.scopes = strings.Fields(s)
		if req.scopes == nil {
			req.scopes = []string{}
		}
	}
	for _, r := range resources {
		if !validResource(r) {
			return oauthRequest{}, &auth.OAuthError{Code: auth.OAuthInvalidTarget,
				Description: "resource must be an absolute URI without a fragment"}
		}
	}
	req.audiences = resources
	if a, ok := form["audience"]; ok {
		if a == "" {
			return oauthRequest{}, &auth.OAuthError{Code: auth.OAuthInvalidTarget, Description: "audience is empty"}
		}
		req.audiences = append(req.audiences, a)
	}
	return req, nil
}

// validResource reports whether r is a resource indicator as RFC 8707 §2
// has it: an absolute URI without a fragment.
func validResource(r string) bool {
	u, err := url.Parse(r)
	return err == nil && u.IsAbs() && u.Fragment == "" && !strings.Contains(r, "#")
}

// clientCredentials extracts the client ID and secret of a request.
func clientCredentials(authorization string, form map[string]string) (oauthRequest, error) {
	id, secret, basic, err := parseBasic(authorization)
	if err != nil {
		return oauthRequest{}, &auth.OAuthError{Code: auth.OAuthInvalidClient, Description: "the Authorization header is malformed"}
	}
	_, postID := form["client_id"]
	_, postSecret := form["client_secret"]
	switch {
	case basic && postSecret:
		return oauthRequest{}, oauthInvalid("use one client authentication method, not two")
	case basic && postID && form["client_id"] != id:
		return oauthRequest{}, oauthInvalid("client_id differs from the authenticated client")
	case !basic:
		id, secret = form["client_id"], form["client_secret"]
	}
	if id == "" || secret == "" {
		return oauthRequest{}, &auth.OAuthError{Code: auth.OAuthInvalidClient, Description: "client authentication is required"}
	}
	return oauthRequest{clientID: id, clientSecret: secret}, nil
}

func oauthInvalid(description string) error {
	return &auth.OAuthError{Code: auth.OAuthInvalidRequest, Description: description}
}
