package openapitest

import (
	"bytes"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// maxQuoted caps how much of a body a failure quotes.
const maxQuoted = 2048

// CheckResponse fails tb unless the document describes the answer a test
// saw: the operation of method and pathPattern (an http.ServeMux pattern
// or a path template, as the route table registers it) must list status,
// or a range ("4XX") or default that covers it; every header the response
// marks required must be present, and every described header present must
// match its schema; and the body must be what the response describes:
// empty when it describes no content (and always for 204 and 304; the
// body of an answer to HEAD is not checked),
// otherwise of a described media type and, when that type is JSON
// (application/json, or any "+json"), valid against its schema.
//
// A failure names the operation, the status and, for a body, the schema's
// location and the JSON Pointer of each error in the body.
func (d *Doc) CheckResponse(tb testing.TB, method, pathPattern string, status int, header http.Header, body []byte) {
	tb.Helper()
	path := Template(pathPattern)
	name := method + " " + path
	opMethod := strings.ToLower(method)
	op := d.operation(opMethod, path)
	if op == nil && method == http.MethodHead {
		// A GET route answers HEAD too.
		opMethod = "get"
		op = d.operation(opMethod, path)
	}
	if op == nil {
		tb.Errorf("openapi: %s is not described in %s", name, d.name)
		return
	}
	if id, ok := op["operationId"].(string); ok {
		name += " (" + id + ")"
	}
	resps, _ := op["responses"].(map[string]any)
	code := strconv.Itoa(status)
	key := code
	if _, ok := resps[key]; !ok {
		key = code[:1] + "XX"
	}
	if _, ok := resps[key]; !ok {
		key = "default"
	}
	raw, ok := resps[key]
	if !ok {
		tb.Errorf("openapi: %s answered %d, which %s does not describe; body %s", name, status, d.name, quote(body))
		return
	}
	resp, at, err := d.resolve(raw, "/paths/"+token(path)+"/"+opMethod+"/responses/"+token(key))
	if err != nil {
		tb.Errorf("openapi: %s %d: %v", name, status, err)
		return
	}
	d.checkHeaders(tb, name, status, resp, at, header)

	if method == http.MethodHead {
		// net/http drops what a handler writes to HEAD; whether it wrote
		// the GET's body does not matter.
		return
	}
	content, _ := resp["content"].(map[string]any)
	switch {
	case status == http.StatusNoContent || status == http.StatusNotModified || len(content) == 0:
		if len(body) > 0 {
			tb.Errorf("openapi: %s %d: a body, but %s describes none: %s", name, status, d.name, quote(body))
		}
		return
	case len(body) == 0:
		tb.Errorf("openapi: %s %d: no body, but %s describes content", name, status, d.name)
		return
	}
	ct := header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		tb.Errorf("openapi: %s %d: a body with Content-Type %q: %v", name, status, ct, err)
		return
	}
	described := mediaKey(content, mt)
	if described == "" {
		tb.Errorf("openapi: %s %d: media type %s is not described (%s)", name, status, mt, strings.Join(slices.Sorted(maps.Keys(content)), ", "))
		return
	}
	s, ok := d.schemas[at+"/content/"+token(described)+"/schema"]
	if !ok || !isJSON(mt) {
		return
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		tb.Errorf("openapi: %s %d: body of type %s is not JSON: %v: %s", name, status, mt, err, quote(body))
		return
	}
	if err := s.Validate(v); err != nil {
		tb.Errorf("openapi: %s %d: body does not match its schema:\n%s\nbody: %s", name, status, describe(err), quote(body))
	}
}

// checkHeaders fails tb for each required header of resp missing from
// header, and each described header whose value its schema refuses.
func (d *Doc) checkHeaders(tb testing.TB, name string, status int, resp map[string]any, at string, header http.Header) {
	tb.Helper()
	hs, _ := resp["headers"].(map[string]any)
	for _, h := range slices.Sorted(maps.Keys(hs)) {
		// Content-Type is the media type's business, not a header's.
		if strings.EqualFold(h, "Content-Type") {
			continue
		}
		desc, hat, err := d.resolve(hs[h], at+"/headers/"+token(h))
		if err != nil {
			tb.Errorf("openapi: %s %d: %v", name, status, err)
			continue
		}
		values, present := header[http.CanonicalHeaderKey(h)]
		if !present {
			if req, _ := desc["required"].(bool); req {
				tb.Errorf("openapi: %s %d: required header %s is missing", name, status, h)
			}
			continue
		}
		if _, ok := desc["schema"]; !ok {
			continue
		}
		s, err := d.compile(hat + "/schema")
		if err != nil {
			tb.Errorf("openapi: %s %d: header %s: %v", name, status, h, err)
			continue
		}
		for _, val := range values {
			if err := validateHeader(s, val); err != nil {
				tb.Errorf("openapi: %s %d: header %s: %q does not match its schema:\n%s", name, status, h, val, describe(err))
			}
		}
	}
}

// validateHeader validates a header value as a string, or, failing that,
// as the JSON value it spells ("60" as the integer a schema may want).
func validateHeader(s *jsonschema.Schema, val string) error {
	err := s.Validate(val)
	if err == nil {
		return nil
	}
	if v, jerr := jsonschema.UnmarshalJSON(strings.NewReader(val)); jerr == nil {
		if s.Validate(v) == nil {
			return nil
		}
	}
	return err
}

// compile returns the schema at the document's JSON Pointer loc, compiled
// once.
func (d *Doc) compile(loc string) (*jsonschema.Schema, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.schemas[loc]; ok {
		return s, nil
	}
	s, err := d.compiler.Compile(resource + "#" + loc)
	if err != nil {
		return nil, err
	}
	d.schemas[loc] = s
	return s, nil
}

// mediaKey returns the key of content describing the media type mt:
// itself, then "type/*", then "*/*"; "" when none does.
func mediaKey(content map[string]any, mt string) string {
	byType := map[string]string{}
	for k := range content {
		if p, _, err := mime.ParseMediaType(k); err == nil {
			byType[p] = k
		}
	}
	major, _, _ := strings.Cut(mt, "/")
	for _, try := range []string{mt, major + "/*", "*/*"} {
		if k, ok := byType[try]; ok {
			return k
		}
	}
	return ""
}

func isJSON(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// describe is err as jsonschema says it (for a validation error, a tree
// whose lines name the JSON Pointer of each error in the instance), with
// schema locations relative to the document.
func describe(err error) string {
	return strings.ReplaceAll(err.Error(), resource, "")
}

func quote(body []byte) string {
	if len(body) > maxQuoted {
		return string(body[:maxQuoted]) + "…"
	}
	return string(body)
}
