// Package problem writes RFC 9457 problem details. Every error response of
// every Portico component goes through it, so clients see one shape with a
// stable type URI and never an internal message or a stack trace.
package problem

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/portico-gw/portico/internal/platform/jsonstring"
)

// bufPool recycles the buffers problem documents are encoded into.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

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
func (p *Problem) MarshalJSON() ([]byte, error) { return p.appendJSON(nil) }

// appendJSON appends p as a JSON object: the standard members, then the
// extensions in key order. Extensions cannot override standard members.
// Problems are written on every refused request, so the standard members
// are encoded by hand; only extension values go through encoding/json.
func (p *Problem) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"type":`...)
	b = jsonstring.Append(b, p.Type)
	b = append(b, `,"title":`...)
	b = jsonstring.Append(b, p.Title)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(p.Status), 10)
	for _, m := range [...]struct{ key, val string }{
		{`,"detail":`, p.Detail}, {`,"instance":`, p.Instance}, {`,"request_id":`, p.RequestID},
	} {
		if m.val != "" {
			b = append(b, m.key...)
			b = jsonstring.Append(b, m.val)
		}
	}
	if len(p.Extensions) > 0 {
		keys := make([]string, 0, len(p.Extensions))
		for k := range p.Extensions {
			switch k {
			case "type", "title", "status", "detail", "instance", "request_id":
				continue // standard members cannot be overridden
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v, err := json.Marshal(p.Extensions[k])
			if err != nil {
				return nil, fmt.Errorf("problem extension %q: %w", k, err)
			}
			b = append(b, ',')
			b = jsonstring.Append(b, k)
			b = append(b, ':')
			b = append(b, v...)
		}
	}
	return append(b, '}'), nil
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
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	body, err := p.appendJSON((*bp)[:0])
	if err != nil {
		body = append((*bp)[:0], `{"type":"`+TypeBase+`internal","title":"Internal error","status":500}`...)
		p.Status = http.StatusInternalServerError
	}
	*bp = body
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	body = append(body, '\n')
	*bp = body
	h.Del("Content-Encoding")
	h.Del("ETag")
	w.WriteHeader(p.Status)
	w.Write(body)
}
