package configs

import (
	"bytes"
	"encoding/json"
)

// EffectiveSettings returns the settings a player of property gets: the
// defaults of doc (its top level without "properties") with the named
// property merged over them, as compact JSON with sorted keys, so equal
// settings give equal bytes (and ETags). An empty property means the
// defaults alone. The merge is deep: objects merge key by key, scalars and
// arrays replace. doc is expected to have passed ValidateSettings; an
// undecodable doc is an *Error of code ErrInvalid, an unknown property
// one of code ErrNotFound.
func EffectiveSettings(doc []byte, property string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil || root == nil {
		return nil, &Error{Code: ErrInvalid, Message: "delivery settings are not a JSON object", Err: err}
	}
	props, _ := root["properties"].(map[string]any)
	delete(root, "properties")
	if property != "" {
		p, ok := props[property].(map[string]any)
		if !ok {
			return nil, &Error{Code: ErrNotFound, Message: "no such property in the delivery settings"}
		}
		root = merge(root, p)
	}
	return json.Marshal(root)
}

// merge returns base with over merged into it; it may modify base.
func merge(base, over map[string]any) map[string]any {
	for k, v := range over {
		bo, bok := base[k].(map[string]any)
		oo, ook := v.(map[string]any)
		if bok && ook {
			base[k] = merge(bo, oo)
		} else {
			base[k] = v
		}
	}
	return base
}
