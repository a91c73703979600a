package identity

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// keyFilter says which keys of a set are kept.
type keyFilter struct {
	// algs are the algorithms whose keys are kept.
	algs []string
	// withoutAlg also keeps keys that name no algorithm, as some
	// providers publish them, when their type fits one of algs.
	withoutAlg bool
}

// internalKeys is the filter of auth's key set: keys of the supported
// algorithms, each naming its algorithm.
func internalKeys() keyFilter { return keyFilter{algs: SupportedAlgorithms()} }

// parseKeySet decodes a JWK Set document into its signature keys by kid,
// keeping the keys of internal tokens' algorithms (parseKeySetFor with
// internalKeys).
func parseKeySet(body []byte, maxKeys int) (map[string]jose.JSONWebKey, error) {
	return parseKeySetFor(body, maxKeys, internalKeys())
}

// parseKeySetFor decodes a JWK Set document into the signature keys f
// keeps, by kid.
//
// Keys whose "use" is not "sig", whose "alg" is not one of f's, or that
// name no "alg" (unless f keeps those, and then only when their type fits
// one of f's algorithms) are skipped, so a set may carry keys for other
// purposes. A document that is not a key set, holds more than maxKeys
// keys, publishes private or symmetric key material, repeats a kid, or
// has a key that does not fit the algorithm it names is rejected whole:
// that is a publisher's mistake, and trusting part of it would hide it.
func parseKeySetFor(body []byte, maxKeys int, f keyFilter) (map[string]jose.JSONWebKey, error) {
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
		switch {
		case meta.Use != "" && meta.Use != "sig":
			continue
		case meta.Alg == "" && !f.withoutAlg:
			continue
		case meta.Alg != "" && !slices.Contains(f.algs, meta.Alg):
			continue
		}
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if meta.Alg == "" {
			if err := checkUntypedJWK(k); err != nil {
				return nil, fmt.Errorf("key %d: %w", i, err)
			}
			if !fitsAny(k, f.algs) {
				continue
			}
		} else if err := checkJWK(k); err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if _, dup := keys[k.KeyID]; dup {
			return nil, fmt.Errorf("kid %q appears twice", truncate(k.KeyID))
		}
		keys[k.KeyID] = k
	}
	return keys, nil
}

// fitsAny reports whether k, a key that names no algorithm, can serve
// one of algs.
func fitsAny(k jose.JSONWebKey, algs []string) bool {
	for _, a := range algs {
		if CheckKey(a, k.Key) == nil {
			return true
		}
	}
	return false
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
