package configs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// defaultSettings is the document of the first settings version of every
// new integration: peer-to-peer on for every viewer, downloads on every
// network, uploads only on Wi-Fi and Ethernet (cellular data is the
// viewer's to pay), the content id from the media URL without its query,
// which usually holds per-viewer tokens. TestDefaultSettingsValid keeps it
// valid.
var defaultSettings = []byte(`{"activation_ratio":1,"activation_threshold":0,` +
	`"content_id":{"source":"url_without_query"},` +
	`"p2p":{"cellular":{"download":true,"upload":false},"wifi_ethernet":{"download":true,"upload":true}}}`)

// DefaultSettings returns the settings document a new integration starts
// with. The caller may modify it.
func DefaultSettings() []byte { return bytes.Clone(defaultSettings) }

// bypassOverride is what BypassSettings merges over a player's settings:
// every boolean of every transfer under "p2p" false. It is read from the
// embedded schema rather than written here, so that a network type or a
// direction added to the schema is turned off by a bypass too.
var bypassOverride = sync.OnceValues(func() (map[string]any, error) {
	var schema struct {
		Defs map[string]struct {
			Type       any                        `json:"type"`
			Ref        string                     `json:"$ref"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(settingsSchemaJSON, &schema); err != nil {
		return nil, fmt.Errorf("decode settings schema: %w", err)
	}
	var settings struct {
		Properties map[string]struct {
			Properties map[string]struct {
				Ref string `json:"$ref"`
			} `json:"properties"`
		} `json:"properties"`
	}
	if raw, err := json.Marshal(schema.Defs["settings"]); err != nil {
		return nil, err
	} else if err := json.Unmarshal(raw, &settings); err != nil {
		return nil, err
	}
	p2p := map[string]any{}
	for network, n := range settings.Properties["p2p"].Properties {
		def, ok := strings.CutPrefix(n.Ref, "#/$defs/")
		if !ok {
			return nil, fmt.Errorf("p2p.%s: no $ref to a definition", network)
		}
		off := map[string]any{}
		for dir, raw := range schema.Defs[def].Properties {
			var prop struct {
				Type string `json:"type"`
			}
			if err := json.Unmarshal(raw, &prop); err == nil && prop.Type == "boolean" {
				off[dir] = false
			}
		}
		if len(off) == 0 {
			return nil, fmt.Errorf("p2p.%s: no boolean to turn off", network)
		}
		p2p[network] = off
	}
	if len(p2p) == 0 {
		return nil, fmt.Errorf("no p2p network in the settings schema")
	}
	return map[string]any{"p2p": p2p}, nil
})

// BypassSettings returns effective settings (as EffectiveSettings gives
// them) with peer-to-peer turned off: every download and upload flag of
// every network under "p2p" false, whatever they were. It is what a player
// of a bypassed integration gets: the CDN alone. Other settings stay, so
// that the player still reports its content ids the same way.
func BypassSettings(effective []byte) ([]byte, error) {
	override, err := bypassOverride()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(effective))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil || root == nil {
		return nil, &Error{Code: ErrInvalid, Message: "delivery settings are not a JSON object", Err: err}
	}
	return json.Marshal(merge(root, deepCopy(override)))
}

// deepCopy copies the maps of v, so that merging into the result leaves v
// alone.
func deepCopy(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, x := range v {
		if m, ok := x.(map[string]any); ok {
			x = deepCopy(m)
		}
		out[k] = x
	}
	return out
}
