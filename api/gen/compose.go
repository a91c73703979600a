package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/portico-gw/portico/internal/gateway/aggregate"
	"github.com/portico-gw/portico/internal/gateway/config"
)

// keptStatuses are the statuses of a required step's refusal that a
// composed route answers with as they are (aggregate's routeStatus).
var keptStatuses = []string{"400", "403", "404", "409", "410", "412", "422"}

// composedOperation returns the operation of a route the gateway answers
// by composing service calls: its answer's schema is built from each
// step's operation in its service's document, shaped as the step says.
func (b *builder) composedOperation(r *config.Route, method, id string) (*yaml.Node, error) {
	a := r.Aggregate
	props := mapping()
	var required []string
	addProp := func(name string, schema *yaml.Node, req bool) error {
		if get(props, name) != nil {
			return fmt.Errorf("the answer's member %q comes from two steps", name)
		}
		set(props, name, schema)
		if req && !slices.Contains(required, name) {
			required = append(required, name)
		}
		return nil
	}
	var tags *yaml.Node
	var summary string
	var parts []string
	var lines []string
	extra := map[string][]string{}
	for _, st := range a.Steps {
		src, err := b.source(st.Service)
		if err != nil {
			return nil, err
		}
		m, ok := src.findPath(st.Path)
		if !ok {
			return nil, fmt.Errorf("step %s calls %s, which %s does not describe", st.Name, st.Path, src.file)
		}
		_, sop := src.operation(st.Method, m.path)
		if sop == nil {
			return nil, fmt.Errorf("step %s: %s does not describe %s %s", st.Name, src.file, st.Method, m.path)
		}
		if tags == nil {
			tags = clone(get(sop, "tags"))
		}
		if st.Merge && summary == "" {
			// The answer is the merged step's, with more.
			summary = valueOf(get(sop, "summary"))
		}
		if st.Into != "" {
			parts = append(parts, st.Into)
		}
		policy := st.OnFailure
		if policy == "" {
			policy = aggregate.Required
		}
		if policy == aggregate.Required {
			for _, status := range keys(get(sop, "responses")) {
				if slices.Contains(keptStatuses, status) {
					extra[status] = []string{"StepRefused"}
				}
			}
		}
		line := fmt.Sprintf("- `%s`: %s %s %s", st.Name, src.service, st.Method, m.path)
		if s := valueOf(get(sop, "summary")); s != "" {
			line += " (" + strings.TrimSuffix(s, ".") + ")"
		}
		if st.ForEach != "" {
			line += ", once for each item of `" + st.ForEach + "`"
		}
		if st.Select != "" {
			line += ", its `" + st.Select + "`"
		}
		if !st.Merge && st.Into == "" {
			lines = append(lines, line+"; feeds the other steps, "+policy+".")
			continue
		}
		schema, err := b.stepSchema(src, sop, st)
		if err != nil {
			return nil, fmt.Errorf("step %s: %w", st.Name, err)
		}
		var fallback any
		hasFallback := policy == aggregate.Fallback && st.Fallback != nil
		if hasFallback {
			fallback = st.Fallback.V
		}
		if st.Merge {
			// Merged, the result's members are the answer's; with a
			// fallback, a member is there for sure only when the fallback
			// has it too, and may be the fallback's value.
			members, req, err := b.members(schema)
			if err != nil {
				return nil, fmt.Errorf("step %s: %w", st.Name, err)
			}
			fb, _ := fallback.(map[string]any)
			for _, name := range keys(members) {
				ms := get(members, name)
				v, inFallback := fb[name]
				if inFallback {
					ms = mapping("anyOf", sequence(ms, flow(mapping("const", valueNode(v)))))
				}
				whole := slices.Contains(req, name) && (policy == aggregate.Required || inFallback)
				if err := addProp(name, ms, whole); err != nil {
					return nil, fmt.Errorf("step %s: %w", st.Name, err)
				}
			}
			line += ", merged into the answer"
		} else {
			if hasFallback {
				schema = mapping("anyOf", sequence(schema, flow(mapping("const", valueNode(fallback)))))
			}
			if err := addProp(st.Into, schema, policy == aggregate.Required || hasFallback); err != nil {
				return nil, fmt.Errorf("step %s: %w", st.Name, err)
			}
			line += ", under `" + st.Into + "`"
		}
		switch policy {
		case aggregate.Required:
			line += "; required."
		case aggregate.Optional:
			line += "; optional: left out when it fails."
		case aggregate.Fallback:
			line += "; with a fallback value when it fails."
		}
		lines = append(lines, line)
	}
	if a.OutcomeField != "" {
		if err := addProp(a.OutcomeField, flow(mapping("$ref", "#/components/schemas/Outcome")), true); err != nil {
			return nil, err
		}
	}
	schema := mapping("type", "object")
	if len(required) > 0 {
		set(schema, "required", stringSeq(required))
	}
	set(schema, "properties", props)

	outcome := "Each step's outcome is in the Portico-Outcome header"
	if a.OutcomeField != "" {
		outcome += " and under `" + a.OutcomeField + "`"
	}
	desc := joinText(
		wrap(fmt.Sprintf("Composed by the gateway from %d calls, made at once unless one needs another's result, within %s:", len(a.Steps), a.Budget.D())),
		wrap(strings.Join(lines, "\n")),
		wrap(outcome+"; an answer missing a failed step's part has Cache-Control: no-store. A required step's failure is "+
			"a problem naming the step: its service's 400, 403, 404, 409, 410, 412 or 422 is kept, its 429 is 503, a "+
			"timeout 504, anything else 502."),
		b.gatewayNote(r, method),
	)
	op := mapping()
	if tags == nil {
		tags = stringSeq([]string{"composed"})
	}
	set(op, "tags", tags)
	if summary == "" {
		summary = "Composed: " + andList(parts)
	}
	set(op, "summary", str(summary))
	set(op, "description", str(desc))
	set(op, "operationId", str(id))
	set(op, "x-portico-route", str(r.Name))
	set(op, "x-portico-composed", boolean(true))
	sec, err := b.security(r, nil, nil)
	if err != nil {
		return nil, err
	}
	set(op, "security", sec)
	params := sequence()
	for _, name := range pathParams(r.Path) {
		params.Content = append(params.Content, stringParam(name, "path", true, ""))
	}
	for _, name := range queryRefs(a) {
		params.Content = append(params.Content, stringParam(name, "query", false, "Passed on to the steps that name it."))
	}
	if len(params.Content) > 0 {
		set(op, "parameters", params)
	}
	if usesBody(a) && slices.Contains(bodyMethods, method) {
		set(op, "requestBody", mapping("required", boolean(true), "content",
			mapping("application/json", mapping("schema", flow(mapping("type", "object"))))))
	}
	ok := mapping("description", "The composed answer.", "headers", mapping(
		"Portico-Outcome", mapping("required", boolean(true), "description",
			"One member per step: its name, the service's status, how it failed (kind), its duration in milliseconds "+
				"(identity;status=200;dur=12, profile;kind=timeout;dur=2000;use=omitted).",
			"schema", flow(mapping("type", "string"))),
		"Server-Timing", mapping("required", boolean(true), "description", "Each step's duration.",
			"schema", flow(mapping("type", "string"))),
		"Cache-Control", mapping("description", "no-store when a step failed.", "schema", flow(mapping("type", "string"))),
	), "content", mapping("application/json", mapping("schema", schema)))
	resps, err := b.responses(r, method, nil, nil, extra, false)
	if err != nil {
		return nil, err
	}
	resps.Content = append([]*yaml.Node{str("200"), ok}, resps.Content...)
	set(op, "responses", resps)
	return op, nil
}

// stepSchema returns the public schema of a step's contribution to the
// answer: its operation's 2xx JSON answer, Select applied, made an array
// for a step called once per item.
func (b *builder) stepSchema(src *source, sop *yaml.Node, st *config.Step) (*yaml.Node, error) {
	var schema *yaml.Node
	for _, status := range keys(get(sop, "responses")) {
		if !strings.HasPrefix(status, "2") {
			continue
		}
		if status == "204" {
			schema = flow(mapping("type", "null"))
			break
		}
		resp, err := src.resolve(get(get(sop, "responses"), status))
		if err != nil {
			return nil, err
		}
		for _, mt := range keys(get(resp, "content")) {
			if mt == "application/json" || strings.HasSuffix(mt, "+json") {
				schema = get(get(get(resp, "content"), mt), "schema")
				break
			}
		}
		if schema != nil {
			break
		}
	}
	if schema == nil {
		return nil, fmt.Errorf("%s describes no JSON answer of %s %s", src.file, st.Method, st.Path)
	}
	schema, err := b.copyNode(src, schema)
	if err != nil {
		return nil, err
	}
	if st.Select != "" {
		if schema, err = b.selectSchema(schema, strings.Split(st.Select, ".")); err != nil {
			return nil, fmt.Errorf("select %q: %w", st.Select, err)
		}
	}
	if len(st.Allow) > 0 || len(st.Deny) > 0 || len(st.Rename) > 0 {
		// Shaping by field paths is not followed into the schema: the
		// answer is described as any value rather than wrongly.
		schema = mapping("description", "The step's answer, shaped by the route's allow, deny and rename rules.")
	}
	if st.ForEach != "" {
		schema = mapping("type", "array", "items", schema)
	}
	return schema, nil
}

// selectSchema returns the schema of the value a field path picks out of
// a value of schema, as the composition engine picks it: a name selects
// an object's member, a decimal index an array's element, and another
// name applied to an array maps the rest of the path over its elements.
func (b *builder) selectSchema(schema *yaml.Node, path []string) (*yaml.Node, error) {
	if len(path) == 0 {
		return schema, nil
	}
	res, err := b.resolve(schema)
	if err != nil {
		return nil, err
	}
	if isArraySchema(res) {
		items := get(res, "items")
		if items == nil {
			items = mapping()
		}
		if _, err := strconv.Atoi(path[0]); err == nil {
			return b.selectSchema(items, path[1:])
		}
		sub, err := b.selectSchema(items, path)
		if err != nil {
			return nil, err
		}
		return mapping("type", "array", "items", sub), nil
	}
	members, _, err := b.members(res)
	if err != nil {
		return nil, err
	}
	m := get(members, path[0])
	if m == nil {
		return nil, fmt.Errorf("the schema has no member %q", path[0])
	}
	return b.selectSchema(m, path[1:])
}

func isArraySchema(s *yaml.Node) bool {
	t := get(s, "type")
	if t == nil {
		return false
	}
	if t.Kind == yaml.SequenceNode {
		return slices.ContainsFunc(t.Content, func(n *yaml.Node) bool { return n.Value == "array" })
	}
	return t.Value == "array"
}

// members returns the properties an object schema names, its own and
// those of its allOf, and the names it requires.
func (b *builder) members(schema *yaml.Node) (*yaml.Node, []string, error) {
	res, err := b.resolve(schema)
	if err != nil {
		return nil, nil, err
	}
	props := mapping()
	var required []string
	if p := get(res, "properties"); p != nil {
		for _, name := range keys(p) {
			set(props, name, clone(get(p, name)))
		}
	}
	if r := get(res, "required"); r != nil {
		for _, n := range r.Content {
			required = append(required, n.Value)
		}
	}
	if all := get(res, "allOf"); all != nil {
		for _, sub := range all.Content {
			p, req, err := b.members(sub)
			if err != nil {
				return nil, nil, err
			}
			for _, name := range keys(p) {
				if get(props, name) == nil {
					set(props, name, get(p, name))
				}
			}
			required = append(required, req...)
		}
	}
	if len(props.Content) == 0 {
		return nil, nil, fmt.Errorf("the schema names no members to merge")
	}
	return props, required, nil
}

// queryRef finds the caller's query parameters a step's templates name.
var queryRef = regexp.MustCompile(`\{query\.([^}|.]+)`)

// queryRefs returns the names of the query parameters the plan's steps
// pass on, sorted.
func queryRefs(a *config.Aggregate) []string {
	var out []string
	for _, t := range templates(a) {
		for _, m := range queryRef.FindAllStringSubmatch(t, -1) {
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
	}
	slices.Sort(out)
	return out
}

// usesBody reports whether a step's template names the caller's body.
func usesBody(a *config.Aggregate) bool {
	return slices.ContainsFunc(templates(a), func(t string) bool { return strings.Contains(t, "{body") })
}

// templates returns every template of the plan's steps.
func templates(a *config.Aggregate) []string {
	var out []string
	for _, st := range a.Steps {
		out = append(out, st.Path)
		for _, v := range st.Query {
			out = append(out, v)
		}
		for _, v := range st.Headers {
			out = append(out, v)
		}
		if st.Body != nil {
			if raw, err := json.Marshal(st.Body.V); err == nil {
				out = append(out, string(raw))
			}
		}
	}
	return out
}

// valueNode returns a JSON value (map[string]any, []any, string,
// json.Number, bool or nil) as a node.
func valueNode(v any) *yaml.Node {
	switch x := v.(type) {
	case map[string]any:
		m := mapping()
		for _, k := range sortedKeys(x) {
			set(m, k, valueNode(x[k]))
		}
		return flow(m)
	case []any:
		s := sequence()
		for _, e := range x {
			s.Content = append(s.Content, valueNode(e))
		}
		return flow(s)
	case string:
		return str(x)
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return scalar("!!int", x.String())
		}
		return scalar("!!float", x.String())
	case bool:
		return boolean(x)
	}
	return scalar("!!null", "null")
}
