package main

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/portico-gw/portico/internal/gateway/config"
)

// bodyMethods are the methods whose requests carry a body the gateway
// caps and paces.
var bodyMethods = []string{http.MethodPost, http.MethodPut, http.MethodPatch}

// authenticated reports whether the gateway authenticates the route's
// callers.
func (b *builder) authenticated(r *config.Route) bool {
	return b.cfg.Auth != nil && !r.Public
}

// limited reports whether rate limit policies apply to the route.
func (b *builder) limited(r *config.Route) bool {
	rl := b.cfg.RateLimits
	return rl != nil && (len(r.RateLimits) > 0 || (len(rl.DefaultPolicies) > 0 && !r.SkipDefaultRateLimits))
}

// gatewayResponses returns the answers the gateway itself may give an
// operation of the route, by status: the names of its response
// components.
func (b *builder) gatewayResponses(r *config.Route, method string) map[string][]string {
	out := map[string][]string{}
	add := func(status, name string) {
		if !slices.Contains(out[status], name) {
			out[status] = append(out[status], name)
		}
	}
	if b.authenticated(r) {
		add("400", "AmbiguousCredentials")
		add("401", "Unauthenticated")
		add("503", "Unavailable")
		if r.Require != nil {
			add("403", "Forbidden")
		}
		if r.Require != nil && r.Require.Tenant != "" {
			add("404", "NotMember")
		}
	}
	if b.limited(r) {
		add("429", "RateLimited")
		if s := b.cfg.RateLimits.Store; s.Kind == config.RateLimitStoreRedis && s.Redis != nil && s.Redis.OnError == config.OnErrorClosed {
			add("503", "Unavailable")
		}
	}
	add("502", "UpstreamFailed")
	add("503", "Unavailable")
	add("504", "UpstreamTimeout")
	if slices.Contains(bodyMethods, method) {
		add("408", "RequestTimeout")
		add("413", "BodyTooLarge")
	}
	return out
}

// responses returns an operation's responses: the service's (srcResps,
// nil for none) and the gateway's own, plus extra ones (by status, names
// of gateway response components); where both answer a status, the
// response says either. On a rate-limited route every response says the
// rate limit fields. For HEAD, no response has content.
func (b *builder) responses(r *config.Route, method string, src *source, srcResps *yaml.Node, extra map[string][]string, head bool) (*yaml.Node, error) {
	gw := b.gatewayResponses(r, method)
	for status, names := range extra {
		for _, n := range names {
			if !slices.Contains(gw[status], n) {
				gw[status] = append(gw[status], n)
			}
		}
	}
	statuses := slices.Collect(maps.Keys(gw))
	for _, s := range keys(srcResps) {
		if !slices.Contains(statuses, s) {
			statuses = append(statuses, s)
		}
	}
	slices.SortFunc(statuses, statusLess)
	limited := b.limited(r)
	out := mapping()
	for _, status := range statuses {
		var alts []*yaml.Node
		fromService := false
		if n := get(srcResps, status); n != nil {
			c, err := b.copyNode(src, n)
			if err != nil {
				return nil, err
			}
			alts = append(alts, c)
			fromService = true
		}
		for _, name := range gw[status] {
			alts = append(alts, flow(mapping("$ref", "#/components/responses/"+name)))
		}
		resp := alts[0]
		if len(alts) > 1 || limited || head {
			var err error
			if resp, err = b.resolve(resp); err != nil {
				return nil, err
			}
			for i, alt := range alts[1:] {
				a, err := b.resolve(alt)
				if err != nil {
					return nil, err
				}
				label := "Or: "
				if fromService && i == 0 {
					label = "From the gateway: "
				}
				if resp, err = b.mergeResponses(resp, a, label); err != nil {
					return nil, err
				}
			}
		}
		if limited {
			// The gateway sets the fields before it passes a request on,
			// so every answer of the service has them, as has its own 429;
			// its other answers may come before the limits are applied.
			required := (fromService && len(alts) == 1) || status == "429"
			headers := responseHeaders(resp)
			for _, h := range []string{"RateLimit-Policy", "RateLimit"} {
				name := strings.ReplaceAll(h, "-", "")
				if !required {
					name += "Optional"
				}
				set(headers, h, flow(mapping("$ref", "#/components/headers/"+name)))
			}
		}
		if head {
			remove(resp, "content")
		}
		set(out, status, resp)
	}
	return out, nil
}

// responseHeaders returns the headers of a response, added after its
// description when it has none.
func responseHeaders(resp *yaml.Node) *yaml.Node {
	if h := get(resp, "headers"); h != nil {
		return h
	}
	h := mapping()
	at := 0
	if len(resp.Content) >= 2 && resp.Content[0].Value == "description" {
		at = 2
	}
	resp.Content = slices.Insert(resp.Content, at, str("headers"), h)
	return h
}

// mergeResponses returns one response that says either x or y (both
// resolved): their descriptions, y's after label, every header of either
// (required only when both require it), and for each media type either's
// schema.
func (b *builder) mergeResponses(x, y *yaml.Node, label string) (*yaml.Node, error) {
	out := mapping("description", joinText(valueOf(get(x, "description")), label+valueOf(get(y, "description"))))
	headers := mapping()
	xh, yh := get(x, "headers"), get(y, "headers")
	for _, pair := range [][2]*yaml.Node{{xh, yh}, {yh, xh}} {
		for _, name := range keys(pair[0]) {
			if slices.ContainsFunc(keys(headers), func(h string) bool { return strings.EqualFold(h, name) }) {
				continue
			}
			h, err := b.resolve(get(pair[0], name))
			if err != nil {
				return nil, err
			}
			h = clone(h)
			other := ""
			for _, k := range keys(pair[1]) {
				if strings.EqualFold(k, name) {
					other = k
				}
			}
			required := false
			if other != "" {
				oh, err := b.resolve(get(pair[1], other))
				if err != nil {
					return nil, err
				}
				required = valueOf(get(h, "required")) == "true" && valueOf(get(oh, "required")) == "true"
			}
			if required {
				set(h, "required", boolean(true))
			} else {
				remove(h, "required")
			}
			set(headers, name, h)
		}
	}
	if len(headers.Content) > 0 {
		set(out, "headers", headers)
	}
	content := mapping()
	xc, yc := get(x, "content"), get(y, "content")
	for _, mt := range keys(xc) {
		media := clone(get(xc, mt))
		if other := get(yc, mt); other != nil {
			xs, ys := get(media, "schema"), get(other, "schema")
			switch {
			case xs == nil:
			case ys == nil:
				remove(media, "schema")
			case encode(xs) != encode(ys):
				set(media, "schema", mapping("anyOf", sequence(xs, clone(ys))))
			}
		}
		set(content, mt, media)
	}
	for _, mt := range keys(yc) {
		if get(content, mt) == nil {
			set(content, mt, clone(get(yc, mt)))
		}
	}
	if len(content.Content) > 0 {
		set(out, "content", content)
	}
	return out, nil
}
