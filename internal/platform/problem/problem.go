// Package problem writes RFC 9457 problem details. Every error response of
// every Portico component goes through it, so clients see one shape with a
// stable type URI and never an internal message or a stack trace.
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// TypeBase prefixes every problem type URI. The URIs are identifiers; the
// documentation of each lives in docs/problems.md.
const TypeBase = "https://portico.dev/problems/"

// ContentType is the media type of problem documents.
const ContentType = "application/problem+json"

// Problem is an RFC 9457 problem document. The zero value is not useful; use
// New or one of the predefined constructors.
type Problem struct {
	// Type is a URI identifying the kind of problem; stable across releases.
	Type string `json:"type"`
	// Title is a short summary of the kind, the same for every occurrence.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence; it must be safe to show a client.
	Detail string `json:"detail,omitempty"`
	// Instance identifies this occurrence; Portico uses the request path.
	Instance string `json:"instance,omitempty"`
	// RequestID correlates the response with logs.
	RequestID string `json:"request_id,omitempty"`
	// Extensions are extra members merged into the top-level object.
	Extensions map[string]any `json:"-"`
}

// New returns a problem whose type is TypeBase+slug.
func New(status int, slug, title, detail string) *Problem {
	return &Problem{Type: TypeBase + slug, Title: title, Status: status, Detail: detail}
}

// With returns p with the extension member key set to v.
func (p *Problem) With(key string, v any) *Problem {
	if p.Extensions == nil {
		p.Extensions = make(map[string]any, 1)
	}
	p.Extensions[key] = v
	return p
}

// Error implements error so a problem can travel as one.
func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// MarshalJSON encodes the standard members followed by the extensions.
func (p *Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	b, err := json.Marshal((*plain)(p))
	if err != nil || len(p.Extensions) == 0 {
		return b, err
	}
	ext := make(map[string]any, len(p.Extensions))
	for k, v := range p.Extensions {
		switch k {
		case "type", "title", "status", "detail", "instance", "request_id":
			continue // standard members cannot be overridden
		}
		ext[k] = v
	}
	if len(ext) == 0 {
		return b, nil
	}
	e, err := json.Marshal(ext)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b)+len(e))
	out = append(out, b[:len(b)-1]...)
	out = append(out, ',')
	out = append(out, e[1:]...)
	return out, nil
}

// Write sends p as the response. It fills Instance from the request path
// and RequestID from the response's X-Request-Id header when they are empty,
// and marks the response uncacheable.
func Write(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	if p.RequestID == "" {
		p.RequestID = w.Header().Get("X-Request-Id")
	}
	body, err := json.Marshal(p)
	if err != nil {
		body = []byte(`{"type":"` + TypeBase + `internal","title":"Internal error","status":500}`)
		p.Status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	h.Del("Content-Encoding")
	h.Del("ETag")
	w.WriteHeader(p.Status)
	w.Write(append(body, '\n'))
}
