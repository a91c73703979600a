package problem

import "net/http"

// The constructors below are the shared vocabulary of problems. Each slug is
// a stable identifier documented in docs/problems.md; add new ones here.

// NotFound is returned when no route or resource matches.
func NotFound(detail string) *Problem {
	return New(http.StatusNotFound, "not-found", "Not found", detail)
}

// MethodNotAllowed is returned when a path matches but the method does not.
func MethodNotAllowed(detail string) *Problem {
	return New(http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", detail)
}

// BadRequest is returned for malformed requests.
func BadRequest(detail string) *Problem {
	return New(http.StatusBadRequest, "bad-request", "Bad request", detail)
}

// RequestTimeout is returned when a request body arrives too slowly.
func RequestTimeout(detail string) *Problem {
	return New(http.StatusRequestTimeout, "request-timeout", "Request timeout", detail)
}

// BodyTooLarge is returned when a request body exceeds its cap.
func BodyTooLarge(detail string) *Problem {
	return New(http.StatusRequestEntityTooLarge, "body-too-large", "Request body too large", detail)
}

// HeadersTooLarge is returned when request headers exceed their caps.
func HeadersTooLarge(detail string) *Problem {
	return New(http.StatusRequestHeaderFieldsTooLarge, "headers-too-large", "Request header fields too large", detail)
}

// URITooLong is returned when the request line exceeds its cap.
func URITooLong(detail string) *Problem {
	return New(http.StatusRequestURITooLong, "uri-too-long", "Request URI too long", detail)
}

// BadGateway is returned when an upstream failed or answered malformed.
func BadGateway(detail string) *Problem {
	return New(http.StatusBadGateway, "upstream-failed", "Bad gateway", detail)
}

// GatewayTimeout is returned when an upstream did not answer in time.
func GatewayTimeout(detail string) *Problem {
	return New(http.StatusGatewayTimeout, "upstream-timeout", "Gateway timeout", detail)
}

// Unavailable is returned when no healthy target exists or the breaker is open.
func Unavailable(slug, detail string) *Problem {
	return New(http.StatusServiceUnavailable, slug, "Service unavailable", detail)
}

// Internal is returned for unexpected errors; the detail never carries the
// internal message.
func Internal() *Problem {
	return New(http.StatusInternalServerError, "internal", "Internal error", "The server failed to handle the request; the request id identifies it in the logs.")
}
