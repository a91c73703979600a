package configs

import (
	"encoding/json"
	"fmt"

	"github.com/wI2L/jsondiff"
)

// Diff returns the RFC 6902 JSON Patch that turns the JSON document from
// into to, "[]" when they are equal as JSON. Applying the patch to from
// gives a document equal to to (TestDiffApplies).
func Diff(from, to []byte) (json.RawMessage, error) {
	patch, err := jsondiff.CompareJSON(from, to)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	if len(patch) == 0 {
		return json.RawMessage(`[]`), nil
	}
	b, err := json.Marshal(patch)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	return b, nil
}
