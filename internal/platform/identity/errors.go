package identity

import "errors"

// Errors returned by Verify, wrapped with detail; test for them with
// errors.Is. Every one of them means the request is not authenticated;
// ErrKeysUnavailable alone says nothing about the token.
var (
	// ErrTooLarge means the token is longer than the verifier's
	// MaxTokenBytes; it was not parsed.
	ErrTooLarge = errors.New("token too large")
	// ErrMalformed means the token is not a compact JWS with an acceptable
	// header and claims: wrong number of parts, bad base64 or JSON, a
	// forbidden header parameter such as "jwk" or "jku", a missing kid or
	// a missing required claim.
	ErrMalformed = errors.New("malformed token")
	// ErrAlgorithm means the header's "alg" is not allowed ("none" and
	// HMAC never are) or differs from the algorithm of the key it names.
	ErrAlgorithm = errors.New("algorithm not allowed")
	// ErrType means the header's "typ" is not one the verifier accepts.
	ErrType = errors.New("token type not accepted")
	// ErrUnknownKey means the key set has no key with the token's kid.
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrKeysUnavailable means the key set could not be fetched and no
	// usable copy is cached; the token may well be valid.
	ErrKeysUnavailable = errors.New("signing keys unavailable")
	// ErrSignature means the signature does not verify with the named key.
	ErrSignature = errors.New("bad signature")
	// ErrIssuer means the "iss" claim is not the expected issuer.
	ErrIssuer = errors.New("unexpected issuer")
	// ErrAudience means the "aud" claim does not contain the expected
	// audience.
	ErrAudience = errors.New("unexpected audience")
	// ErrExpired means the token's "exp" has passed.
	ErrExpired = errors.New("token expired")
	// ErrLifetime means the token claims a lifetime (exp − iat) longer
	// than the verifier's MaxLifetime: whoever signed it holds the key but
	// did not issue it as the issuer does, so it is refused however valid
	// its signature.
	ErrLifetime = errors.New("token lifetime too long")
	// ErrNotYetValid means the token's "nbf" or "iat" lies in the future.
	ErrNotYetValid = errors.New("token not yet valid")
)
