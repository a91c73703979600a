package authn

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// Claims is what the gateway needs to know of an exchanged token's
// holder: organizations with roles, scopes and the staff flag for
// authorization, and the whole claim set for composition templates
// ({identity.sub}, {identity.orgs.0.id}, ...). They are read once, when
// the exchange fills the cache, from the token auth just issued over the
// internal connection; services verify the token's signature themselves.
type Claims struct {
	// Orgs are the caller's organizations with its role in each.
	Orgs []OrgRole
	// Scopes are the scopes granted to a machine caller.
	Scopes []string
	// Staff reports the operator's own staff.
	Staff bool
	// All is the token's claim set as JSON values.
	All map[string]any
}

// OrgRole is one organization of the caller and its role there.
type OrgRole struct {
	ID   string `json:"id"`
	Role string `json:"role"`
}

// Role returns the caller's role in org, and whether it belongs to org.
func (c *Claims) Role(org string) (string, bool) {
	for _, o := range c.Orgs {
		if o.ID == org {
			return o.Role, true
		}
	}
	return "", false
}

// HasScopes reports whether every one of want was granted.
func (c *Claims) HasScopes(want []string) bool {
	for _, s := range want {
		if !slices.Contains(c.Scopes, s) {
			return false
		}
	}
	return true
}

var errBadToken = errors.New("internal token is not a JWT with a JSON claim set")

// parseClaims reads the claim set of a JWT without checking its signature.
func parseClaims(token string) (*Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errBadToken
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errBadToken
	}
	var typed struct {
		Orgs  []OrgRole `json:"orgs"`
		Scope string    `json:"scope"`
		Staff bool      `json:"staff"`
	}
	if err := json.Unmarshal(payload, &typed); err != nil {
		return nil, errBadToken
	}
	c := &Claims{Orgs: typed.Orgs, Staff: typed.Staff, Scopes: strings.Fields(typed.Scope)}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&c.All); err != nil {
		return nil, errBadToken
	}
	return c, nil
}
