package identity

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// parseKeySet decodes a JWK Set document into its signature keys by kid.
//
// Keys whose "use" is not "sig" or whose "alg" is missing or not
// supported are skipped, so a set may carry keys for other purposes. A
// document that is not a key set, holds more than maxKeys keys, publishes
// private or symmetric key material, repeats a kid, or has a key that does
// not fit its algorithm is rejected whole: that is a publisher's mistake,
// and trusting part of it would hide it.
func parseKeySet(body []byte, maxKeys int) (map[string]jose.JSONWebKey, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("key set is not JSON: %w", err)
	}
	if doc.Keys == nil {
		return nil, fmt.Errorf("key set has no keys member")
	}
	if len(doc.Keys) > maxKeys {
		return nil, fmt.Errorf("key set has %d keys, limit %d", len(doc.Keys), maxKeys)
	}
	keys := make(map[string]jose.JSONWebKey, len(doc.Keys))
	for i, raw := range doc.Keys {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil || members == nil {
			return nil, fmt.Errorf("key %d is not a JSON object", i)
		}
		// Members carrying private or symmetric key material (RFC 7518,
		// section 6); a published key set must hold none.
		for _, m := range [...]string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
			if _, ok := members[m]; ok {
				return nil, fmt.Errorf("key %d publishes private member %q", i, m)
			}
		}
		var meta struct {
			Use string `json:"use"`
			Alg string `json:"alg"`
		}
		if err := json.Unmarshal(raw, &meta); err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if (meta.Use != "" && meta.Use != "sig") || !supportedAlgorithm(meta.Alg) {
			continue
		}
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if err := checkJWK(k); err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if _, dup := keys[k.KeyID]; dup {
			return nil, fmt.Errorf("kid %q appears twice", truncate(k.KeyID))
		}
		keys[k.KeyID] = k
	}
	return keys, nil
}

// cacheTTL returns how long a response with the given Cache-Control
// header values may be used: its max-age bounded by minTTL and maxTTL, or
// def (bounded too) when it has none, or minTTL when it says no-store or
// no-cache.
func cacheTTL(values []string, minTTL, maxTTL, def time.Duration) time.Duration {
	ttl := def
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return minTTL
			case "max-age":
				secs, err := strconv.ParseInt(strings.Trim(arg, `"`), 10, 64)
				if err != nil || secs < 0 {
					continue
				}
				if secs > int64(maxTTL/time.Second) {
					ttl = maxTTL
				} else {
					ttl = time.Duration(secs) * time.Second
				}
			}
		}
	}
	return min(max(ttl, minTTL), maxTTL)
}
