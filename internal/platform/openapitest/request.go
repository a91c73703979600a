package openapitest

import (
	"bytes"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Match returns the path template of the document that a request's path
// (as sent, percent-encoded) falls under, and false when none does. A
// template segment "{name}" matches any one non-empty segment; where
// several templates match, the one with a literal segment where the others
// have a parameter, at the first segment they differ, wins, as a router
// that prefers literal segments would choose.
func (d *Doc) Match(path string) (string, bool) {
	segs := splitPath(path)
	var best string
	var bestRank []bool
	paths, _ := d.root["paths"].(map[string]any)
	for tmpl := range paths {
		rank, ok := matchTemplate(tmpl, segs)
		if !ok {
			continue
		}
		if bestRank == nil || moreSpecific(rank, bestRank) || (!moreSpecific(bestRank, rank) && tmpl < best) {
			best, bestRank = tmpl, rank
		}
	}
	return best, bestRank != nil
}

// splitPath returns the segments of an escaped path, each unescaped; a
// segment that does not unescape stays as sent.
func splitPath(path string) []string {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, s := range segs {
		if u, err := url.PathUnescape(s); err == nil {
			segs[i] = u
		}
	}
	return segs
}

// matchTemplate reports whether the segments fall under the template,
// with, for each segment, whether the template has a literal there.
func matchTemplate(tmpl string, segs []string) ([]bool, bool) {
	tsegs := strings.Split(strings.TrimPrefix(tmpl, "/"), "/")
	if len(tsegs) != len(segs) {
		return nil, false
	}
	rank := make([]bool, len(segs))
	for i, t := range tsegs {
		if isParam(t) {
			if segs[i] == "" {
				return nil, false
			}
			continue
		}
		if t != segs[i] {
			return nil, false
		}
		rank[i] = true
	}
	return rank, true
}

func isParam(seg string) bool {
	return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}")
}

// moreSpecific reports whether a has a literal segment where b has a
// parameter, at the first segment where they differ.
func moreSpecific(a, b []bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i]
		}
	}
	return false
}

// CheckRequest fails tb unless the document describes the request a test
// sends: the operation of r's method on pathTemplate (as Match returns it,
// or an http.ServeMux pattern) must exist; every parameter it marks
// required must be present, and every described parameter present (path,
// query, header, cookie) must match its schema, a value that is not a
// valid string being read as the JSON it spells ("5" as an integer), an
// array from a repeated query parameter; a query parameter the document
// does not describe is refused; the request must carry a credential one
// of its security requirements accepts (by the schemes' kinds and names,
// not by checking the credential); and body must be what the request body
// describes: present when required, of a described media type, and, when
// that type is JSON, or a form (application/x-www-form-urlencoded, read
// as an object of strings and arrays of strings), valid against its
// schema.
//
// Tests that mean to send a request the document does not describe (to
// see it refused) do not call it.
func (d *Doc) CheckRequest(tb testing.TB, r *http.Request, pathTemplate string, body []byte) {
	tb.Helper()
	path := Template(pathTemplate)
	name := r.Method + " " + path
	opMethod := strings.ToLower(r.Method)
	op := d.operation(opMethod, path)
	if op == nil && r.Method == http.MethodHead {
		opMethod = "get"
		op = d.operation(opMethod, path)
	}
	if op == nil {
		tb.Errorf("openapi: request %s is not described in %s", name, d.name)
		return
	}
	if id, ok := op["operationId"].(string); ok {
		name += " (" + id + ")"
	}
	opAt := "/paths/" + token(path) + "/" + opMethod
	d.checkParameters(tb, name, path, opAt, op, r)
	d.checkSecurity(tb, name, op, r)
	d.checkRequestBody(tb, name, opAt, op, r.Header.Get("Content-Type"), body)
}

// param is a parameter of an operation, resolved.
type param struct {
	name, in string
	required bool
	// schema is the parameter's schema object, resolved, and at the
	// location of its schema; nil when it has none (a content parameter).
	schema map[string]any
	at     string
}

// parameters returns the operation's parameters: the path item's, with
// the operation's own replacing those of the same name and location.
func (d *Doc) parameters(path, opAt string, op map[string]any) ([]param, error) {
	paths, _ := d.root["paths"].(map[string]any)
	item, _ := paths[path].(map[string]any)
	var out []param
	for _, src := range []struct {
		list []any
		at   string
	}{
		{listOf(item["parameters"]), "/paths/" + token(path) + "/parameters"},
		{listOf(op["parameters"]), opAt + "/parameters"},
	} {
		for i, raw := range src.list {
			p, at, err := d.resolve(raw, src.at+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			pr := param{at: at + "/schema"}
			pr.name, _ = p["name"].(string)
			pr.in, _ = p["in"].(string)
			pr.required, _ = p["required"].(bool)
			if s, ok := p["schema"]; ok {
				if pr.schema, _, err = d.resolve(s, pr.at); err != nil {
					return nil, err
				}
			}
			out = slices.DeleteFunc(out, func(q param) bool {
				return q.in == pr.in && (q.name == pr.name || (pr.in == "header" && strings.EqualFold(q.name, pr.name)))
			})
			out = append(out, pr)
		}
	}
	return out, nil
}

func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}

// checkParameters checks the request's path, query, header and cookie
// parameters against the operation's.
func (d *Doc) checkParameters(tb testing.TB, name, path, opAt string, op map[string]any, r *http.Request) {
	tb.Helper()
	params, err := d.parameters(path, opAt, op)
	if err != nil {
		tb.Errorf("openapi: %s: %v", name, err)
		return
	}
	pathValues := map[string]string{}
	segs := splitPath(r.URL.EscapedPath())
	for i, t := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		if isParam(t) && i < len(segs) {
			pathValues[t[1:len(t)-1]] = segs[i]
		}
	}
	query := r.URL.Query()
	for _, p := range params {
		var values []string
		switch p.in {
		case "path":
			if v, ok := pathValues[p.name]; ok {
				values = []string{v}
			}
		case "query":
			values = query[p.name]
			delete(query, p.name)
		case "header":
			// OpenAPI ignores these three as parameters: the media type and
			// the security requirements say what they hold.
			if strings.EqualFold(p.name, "Accept") || strings.EqualFold(p.name, "Content-Type") || strings.EqualFold(p.name, "Authorization") {
				continue
			}
			values = r.Header.Values(p.name)
		case "cookie":
			if c, err := r.Cookie(p.name); err == nil {
				values = []string{c.Value}
			}
		}
		if len(values) == 0 {
			if p.required {
				tb.Errorf("openapi: %s: required %s parameter %s is missing", name, p.in, p.name)
			}
			continue
		}
		if p.schema == nil {
			continue
		}
		s, err := d.compile(p.at)
		if err != nil {
			tb.Errorf("openapi: %s: %s parameter %s: %v", name, p.in, p.name, err)
			continue
		}
		if isArray(p.schema) {
			if err := validateValues(s, values); err != nil {
				tb.Errorf("openapi: %s: %s parameter %s: %q does not match its schema:\n%s", name, p.in, p.name, values, describe(err))
			}
			continue
		}
		if len(values) > 1 && p.in != "header" {
			tb.Errorf("openapi: %s: %s parameter %s given %d times, but its schema is not an array", name, p.in, p.name, len(values))
		}
		for _, v := range values {
			if err := validateHeader(s, v); err != nil {
				tb.Errorf("openapi: %s: %s parameter %s: %q does not match its schema:\n%s", name, p.in, p.name, v, describe(err))
			}
		}
	}
	for _, q := range slices.Sorted(maps.Keys(query)) {
		tb.Errorf("openapi: %s: query parameter %s is not described in %s", name, q, d.name)
	}
}

// isArray reports whether a schema object says its instance is an array.
func isArray(s map[string]any) bool {
	switch t := s["type"].(type) {
	case string:
		return t == "array"
	case []any:
		return slices.Contains(t, any("array"))
	}
	return false
}

// validateValues validates the values of a repeated parameter as an array
// of strings, or, failing that, of the JSON values they spell.
func validateValues(s *jsonschema.Schema, values []string) error {
	strs := make([]any, len(values))
	for i, v := range values {
		strs[i] = v
	}
	err := s.Validate(strs)
	if err == nil {
		return nil
	}
	spelt := make([]any, len(values))
	for i, v := range values {
		spelt[i] = v
		if j, jerr := jsonschema.UnmarshalJSON(strings.NewReader(v)); jerr == nil {
			spelt[i] = j
		}
	}
	if s.Validate(spelt) == nil {
		return nil
	}
	return err
}

// checkSecurity fails tb unless the request carries what one of the
// operation's security requirements (or the document's) asks for.
func (d *Doc) checkSecurity(tb testing.TB, name string, op map[string]any, r *http.Request) {
	tb.Helper()
	reqs, ok := op["security"].([]any)
	if !ok {
		reqs, _ = d.root["security"].([]any)
	}
	if len(reqs) == 0 {
		return
	}
	var wanted []string
	for _, raw := range reqs {
		req, _ := raw.(map[string]any)
		if len(req) == 0 {
			return // {} makes the credential optional
		}
		satisfied := true
		for _, scheme := range slices.Sorted(maps.Keys(req)) {
			if !d.carries(r, scheme) {
				satisfied = false
				break
			}
		}
		if satisfied {
			return
		}
		wanted = append(wanted, strings.Join(slices.Sorted(maps.Keys(req)), " and "))
	}
	tb.Errorf("openapi: %s: the request carries no credential its security accepts (%s)", name, strings.Join(wanted, ", or "))
}

// carries reports whether the request carries a credential of the named
// security scheme, by the scheme's kind and location.
func (d *Doc) carries(r *http.Request, scheme string) bool {
	comps, _ := d.root["components"].(map[string]any)
	schemes, _ := comps["securitySchemes"].(map[string]any)
	s, _, err := d.resolve(schemes[scheme], "/components/securitySchemes/"+token(scheme))
	if err != nil {
		return false
	}
	auth := r.Header.Get("Authorization")
	hasScheme := func(want string) bool {
		got, _, _ := strings.Cut(auth, " ")
		return strings.EqualFold(got, want)
	}
	switch s["type"] {
	case "apiKey":
		name, _ := s["name"].(string)
		switch s["in"] {
		case "header":
			return r.Header.Get(name) != ""
		case "query":
			return r.URL.Query().Has(name)
		case "cookie":
			_, err := r.Cookie(name)
			return err == nil
		}
	case "http":
		switch strings.ToLower(asString(s["scheme"])) {
		case "bearer":
			return hasScheme("Bearer")
		case "basic":
			return hasScheme("Basic")
		default:
			return auth != ""
		}
	case "oauth2", "openIdConnect":
		return hasScheme("Bearer")
	case "mutualTLS":
		return r.TLS != nil && len(r.TLS.PeerCertificates) > 0
	}
	return false
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

// checkRequestBody fails tb unless body is what the operation's request
// body describes.
func (d *Doc) checkRequestBody(tb testing.TB, name, opAt string, op map[string]any, contentType string, body []byte) {
	tb.Helper()
	raw, ok := op["requestBody"]
	if !ok {
		if len(body) > 0 {
			tb.Errorf("openapi: %s: a request body, but %s describes none: %s", name, d.name, quote(body))
		}
		return
	}
	rb, at, err := d.resolve(raw, opAt+"/requestBody")
	if err != nil {
		tb.Errorf("openapi: %s: %v", name, err)
		return
	}
	if len(body) == 0 {
		if req, _ := rb["required"].(bool); req {
			tb.Errorf("openapi: %s: no request body, but %s requires one", name, d.name)
		}
		return
	}
	content, _ := rb["content"].(map[string]any)
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		tb.Errorf("openapi: %s: a request body with Content-Type %q: %v", name, contentType, err)
		return
	}
	described := mediaKey(content, mt)
	if described == "" {
		tb.Errorf("openapi: %s: request media type %s is not described (%s)", name, mt, strings.Join(slices.Sorted(maps.Keys(content)), ", "))
		return
	}
	media, _ := content[described].(map[string]any)
	if _, ok := media["schema"]; !ok {
		return
	}
	s, err := d.compile(at + "/content/" + token(described) + "/schema")
	if err != nil {
		tb.Errorf("openapi: %s: request body: %v", name, err)
		return
	}
	var v any
	switch {
	case isJSON(mt):
		if v, err = jsonschema.UnmarshalJSON(bytes.NewReader(body)); err != nil {
			tb.Errorf("openapi: %s: request body of type %s is not JSON: %v: %s", name, mt, err, quote(body))
			return
		}
	case mt == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			tb.Errorf("openapi: %s: request body is not a form: %v", name, err)
			return
		}
		obj := map[string]any{}
		for k, vs := range form {
			if len(vs) == 1 {
				obj[k] = vs[0]
				continue
			}
			arr := make([]any, len(vs))
			for i, e := range vs {
				arr[i] = e
			}
			obj[k] = arr
		}
		v = obj
	case strings.HasPrefix(mt, "text/"):
		v = string(body)
	default:
		return
	}
	if err := s.Validate(v); err != nil {
		tb.Errorf("openapi: %s: request body does not match its schema:\n%s\nbody: %s", name, describe(err), quote(body))
	}
}

// compileRequests compiles the schema of every parameter and request body
// of the document, so that a broken $ref is found when the document is
// loaded.
func (d *Doc) compileRequests() error {
	for _, op := range d.Operations() {
		method, p, _ := strings.Cut(op, " ")
		m := strings.ToLower(method)
		o := d.operation(m, p)
		opAt := "/paths/" + token(p) + "/" + m
		params, err := d.parameters(p, opAt, o)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		for _, pr := range params {
			if pr.schema == nil {
				continue
			}
			if _, err := d.compile(pr.at); err != nil {
				return fmt.Errorf("%s: parameter %s: %s", op, pr.name, describe(err))
			}
		}
		raw, ok := o["requestBody"]
		if !ok {
			continue
		}
		rb, at, err := d.resolve(raw, opAt+"/requestBody")
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		content, _ := rb["content"].(map[string]any)
		for _, mt := range slices.Sorted(maps.Keys(content)) {
			if media, _ := content[mt].(map[string]any); media["schema"] == nil {
				continue
			}
			if _, err := d.compile(at + "/content/" + token(mt) + "/schema"); err != nil {
				return fmt.Errorf("%s: request body %s: %s", op, mt, describe(err))
			}
		}
	}
	return nil
}
