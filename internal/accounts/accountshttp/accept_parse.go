package accountshttp

import (
	"github.com/portico-gw/portico/internal/accounts"
)

// maxPasswordBytes bounds the password of an acceptance before it reaches
// the auth service, whose policy (at most 128 characters) decides; 4 bytes
// a character.
const maxPasswordBytes = 512

// acceptRequest is the body of POST /v1/invitations/accept.
type acceptRequest struct {
	Token       string `json:"token"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
}

// parseAccept decodes and checks the shape of an acceptance without an
// account. The body comes from anyone on the internet; every field that
// is wrong is named. The password's policy is the auth service's to
// check.
func parseAccept(body []byte) (acceptRequest, error) {
	var req acceptRequest
	if err := decodeStrict(body, &req); err != nil {
		return acceptRequest{}, err
	}
	var fe fieldErrors
	checkToken(&fe, req.Token)
	if req.Password == "" || len(req.Password) > maxPasswordBytes {
		fe.add("/password", "is required, at most 512 bytes")
	}
	if len(req.DisplayName) > accounts.MaxDisplayNameLen || !accounts.ValidDisplayName(req.DisplayName) {
		fe.add("/display_name", "must be at most 200 bytes of printable text")
	}
	if err := fe.err(); err != nil {
		return acceptRequest{}, err
	}
	return req, nil
}

// acceptSignedInRequest is the body of
// POST /v1/invitations/accept-signed-in.
type acceptSignedInRequest struct {
	Token string `json:"token"`
}

// parseAcceptSignedIn decodes and checks an acceptance by a signed-in
// person.
func parseAcceptSignedIn(body []byte) (acceptSignedInRequest, error) {
	var req acceptSignedInRequest
	if err := decodeStrict(body, &req); err != nil {
		return acceptSignedInRequest{}, err
	}
	var fe fieldErrors
	checkToken(&fe, req.Token)
	if err := fe.err(); err != nil {
		return acceptSignedInRequest{}, err
	}
	return req, nil
}

func checkToken(fe *fieldErrors, token string) {
	if _, err := accounts.ParseInvitationToken(token); err != nil {
		fe.add("/token", "is not an invitation token")
	}
}
