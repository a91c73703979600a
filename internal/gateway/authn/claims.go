package authn

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// claimValues returns c as the JSON values of its token payload, by claim
// name, for composition templates ({identity.sub}, {identity.orgs.0.id},
// {identity.exp}). It is built from the verified claims with the one
// schema's own encoding (identity.Claims.MarshalJSON, which auth signs
// with too), so templates see exactly what services verify and nothing a
// token could carry besides. Numbers stay json.Number, as exact as they
// were signed.
func claimValues(c *identity.Claims) (map[string]any, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode claims: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode claims: %w", err)
	}
	return m, nil
}
