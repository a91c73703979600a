package main

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/portico-gw/portico/internal/gateway/config"
)

// proxiedOperation returns the operation of method on a route that
// proxies to a service: the service's operation for the path the route
// sends (its rewrite, or its own path), seen through the gateway.
func (b *builder) proxiedOperation(r *config.Route, method, id string) (*yaml.Node, error) {
	src, err := b.source(r.Service)
	if err != nil {
		return nil, err
	}
	upstream := r.Path
	if r.Rewrite != "" {
		upstream = r.Rewrite
	}
	m, ok := src.findPath(upstream)
	if !ok {
		return nil, fmt.Errorf("it sends %s, which %s does not describe", upstream, src.file)
	}
	if strings.HasPrefix(m.path, "/internal/") {
		return nil, fmt.Errorf("it reaches %s %s, an internal path", src.service, m.path)
	}
	item, sop := src.operation(method, m.path)
	head := false
	if sop == nil && method == http.MethodHead {
		// A GET handler answers HEAD; the operation is the GET's, without
		// bodies.
		_, sop = src.operation(http.MethodGet, m.path)
		head = true
	}
	if sop == nil {
		return nil, fmt.Errorf("%s does not describe %s %s", src.file, method, m.path)
	}

	op := mapping()
	if t := get(sop, "tags"); t != nil {
		set(op, "tags", clone(t))
	} else {
		set(op, "tags", stringSeq([]string{src.service}))
	}
	if s := get(sop, "summary"); s != nil {
		summary := s.Value
		if head {
			summary += " (the headers of GET)"
		}
		set(op, "summary", str(summary))
	}
	set(op, "description", str(joinText(valueOf(get(sop, "description")), b.gatewayNote(r, method))))
	set(op, "operationId", str(id))
	set(op, "x-portico-route", str(r.Name))
	via := src.service + " " + method + " " + m.path
	if head {
		via = src.service + " GET " + m.path
	}
	set(op, "x-portico-upstream", str(via))
	sec, err := b.security(r, src, sop)
	if err != nil {
		return nil, err
	}
	set(op, "security", sec)
	params, err := b.parameters(r, src, item, sop, m)
	if err != nil {
		return nil, err
	}
	if len(params.Content) > 0 {
		set(op, "parameters", params)
	}
	if rb := get(sop, "requestBody"); rb != nil && !head {
		c, err := b.copyNode(src, rb)
		if err != nil {
			return nil, err
		}
		set(op, "requestBody", c)
	}
	resps, err := b.responses(r, method, src, get(sop, "responses"), nil, head)
	if err != nil {
		return nil, err
	}
	set(op, "responses", resps)
	// What else the service's operation says (deprecated, externalDocs,
	// extensions) holds through the gateway too.
	for _, k := range keys(sop) {
		switch k {
		case "tags", "summary", "description", "operationId", "security", "servers", "parameters", "requestBody", "responses", "callbacks":
			continue
		}
		c, err := b.copyNode(src, get(sop, k))
		if err != nil {
			return nil, err
		}
		set(op, k, c)
	}
	return op, nil
}

func valueOf(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

// joinText joins paragraphs, leaving out empty ones.
func joinText(paras ...string) string {
	var out []string
	for _, p := range paras {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	s := strings.Join(out, "\n\n")
	if strings.Contains(s, "\n") {
		s += "\n"
	}
	return s
}

// parameters returns the public parameters of a service's operation: its
// path item's and its own, path parameters renamed to the route's (and
// those the route fixes left out), query parameters left out when the
// route strips the query, and headers the route removes or sets left out,
// since what a client sends there never arrives. A route's path parameter
// the service's operation does not name is added as a string.
func (b *builder) parameters(r *config.Route, src *source, item, sop *yaml.Node, m match) (*yaml.Node, error) {
	type param struct {
		node     *yaml.Node // as written: a $ref or an object
		name, in string
	}
	var all []param
	for _, list := range []*yaml.Node{get(item, "parameters"), get(sop, "parameters")} {
		if list == nil {
			continue
		}
		for _, n := range list.Content {
			res, err := src.resolve(n)
			if err != nil {
				return nil, err
			}
			p := param{node: n, name: valueOf(get(res, "name")), in: valueOf(get(res, "in"))}
			all = slices.DeleteFunc(all, func(q param) bool { return q.in == p.in && strings.EqualFold(q.name, p.name) })
			all = append(all, p)
		}
	}
	dropped := func(header string) bool {
		match := func(h string) bool { return strings.EqualFold(h, header) }
		return slices.ContainsFunc(r.RequestHeaders.Remove, match) ||
			slices.ContainsFunc(slices.Collect(maps.Keys(r.RequestHeaders.Set)), match)
	}
	out := sequence()
	named := map[string]bool{}
	for _, p := range all {
		switch p.in {
		case "path":
			to, ok := m.rename[p.name]
			if !ok {
				continue
			}
			named[to] = true
			if to != p.name {
				res, _ := src.resolve(p.node)
				c, err := b.copyNode(src, res)
				if err != nil {
					return nil, err
				}
				set(c, "name", str(to))
				out.Content = append(out.Content, c)
				continue
			}
		case "query":
			if r.StripQuery {
				continue
			}
		case "header":
			if dropped(p.name) {
				continue
			}
		}
		c, err := b.copyNode(src, p.node)
		if err != nil {
			return nil, err
		}
		out.Content = append(out.Content, c)
	}
	for _, name := range pathParams(r.Path) {
		if !named[name] {
			out.Content = append(out.Content, stringParam(name, "path", true, "Used by the gateway; the service receives it as part of another path."))
		}
	}
	return out, nil
}

// pathParams returns the names of a route path's parameters, in order.
func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if name, ok := paramName(seg); ok {
			out = append(out, strings.TrimSuffix(name, "..."))
		}
	}
	return out
}

// stringParam returns a parameter whose schema is a string.
func stringParam(name, in string, required bool, description string) *yaml.Node {
	p := mapping("name", name, "in", in)
	if required {
		set(p, "required", boolean(true))
	}
	if description != "" {
		set(p, "description", str(description))
	}
	set(p, "schema", flow(mapping("type", "string")))
	return p
}
