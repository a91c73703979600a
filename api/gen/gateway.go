package main

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/portico-gw/portico/internal/gateway/aggregate"
	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/config"
)

// gatewayNote says what the gateway does with a route's requests, for the
// end of its operations' descriptions.
func (b *builder) gatewayNote(r *config.Route, method string) string {
	var s []string
	if !b.authenticated(r) {
		s = append(s, "Through the gateway: public; the gateway authenticates nobody here.")
	} else {
		who := "a person signed in (the session cookie)"
		if scopes, ok := machineScopes(r.Require); ok {
			scope := "scope "
			if len(scopes) > 1 {
				scope = "scopes "
			}
			who += ", or an OAuth 2.0 client or API key with the " + scope + andList(quoted(scopes))
		}
		line := "Through the gateway: authenticated: " + who + "."
		if req := r.Require; req != nil {
			if req.Staff {
				line += " Staff only."
			}
			if req.Tenant != "" {
				line += " The caller must belong to the organization `{" + req.Tenant + "}`"
				if len(req.Roles) > 0 {
					line += " with the role " + orList(quoted(req.Roles))
				}
				line += "; staff always pass."
			}
			if req.Audience != nil {
				line += " An OAuth 2.0 client's access token must be minted for `" + *req.Audience + "`."
			}
		}
		s = append(s, line)
	}
	if b.limited(r) {
		var ps []string
		for _, name := range b.policies(r) {
			p := b.cfg.RateLimits.Policies[name]
			if p == nil {
				continue
			}
			var parts []string
			for _, k := range p.Key {
				parts = append(parts, keyPart(k))
			}
			ps = append(ps, fmt.Sprintf("`%s`, %s with bursts of %d, per %s", name, p.Rate, p.Burst, strings.Join(parts, " and ")))
		}
		s = append(s, "Rate limited: "+strings.Join(ps, "; ")+".")
	}
	if r.MaxBody > 0 && slices.Contains(bodyMethods, method) {
		s = append(s, "Request bodies up to "+r.MaxBody.String()+".")
	}
	return wrap(strings.Join(s, " "))
}

// policies returns the names of the rate limit policies of a route.
func (b *builder) policies(r *config.Route) []string {
	names := slices.Clone(r.RateLimits)
	if !r.SkipDefaultRateLimits {
		for _, d := range b.cfg.RateLimits.DefaultPolicies {
			if !slices.Contains(names, d) {
				names = append(names, d)
			}
		}
	}
	return names
}

// keyPart names a part of a rate limit key in words.
func keyPart(k string) string {
	switch {
	case k == config.KeyClientAddress:
		return "client address"
	case k == config.KeySubject:
		return "caller"
	case k == config.KeyAPIKey:
		return "API key"
	case k == config.KeyOrganization:
		return "organization"
	case k == config.KeyRoute:
		return "route"
	case strings.HasPrefix(k, config.KeyHeaderPrefix):
		return "header " + strings.TrimPrefix(k, config.KeyHeaderPrefix)
	case strings.HasPrefix(k, config.KeyClaimPrefix):
		return "claim " + strings.TrimPrefix(k, config.KeyClaimPrefix)
	}
	return k
}

func quoted(items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = "`" + s + "`"
	}
	return out
}

// andList joins items as "a, b and c".
func andList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// orList joins items as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// infoDescription is the document's description: what the gateway adds
// to every operation.
func (b *builder) infoDescription() string {
	cookie := authn.DefaultCookieName
	if b.cfg.Auth != nil && b.cfg.Auth.CookieName != "" {
		cookie = b.cfg.Auth.CookieName
	}
	external := ""
	if b.cfg.Auth != nil && len(b.cfg.Auth.Issuers) > 0 {
		external = ", as are the access tokens of the outside identity providers it trusts (`externalToken`)"
	}
	var docs []string
	for _, name := range sortedKeys(b.sources) {
		docs = append(docs, b.sources[name].file)
	}
	var policies []string
	if rl := b.cfg.RateLimits; rl != nil {
		for _, name := range sortedKeys(rl.Policies) {
			p := rl.Policies[name]
			var parts []string
			for _, k := range p.Key {
				parts = append(parts, keyPart(k))
			}
			policies = append(policies, fmt.Sprintf("`%s` (%s, bursts of %d, per %s)", name, p.Rate, p.Burst, strings.Join(parts, " and ")))
		}
	}
	return wrap(strings.Join([]string{
		"The public API of Portico as its gateway serves it: every route of the gateway configuration `portico all` " +
			"runs (cmd/portico/all-gateway.yaml), each operation described by the document of the service the route " +
			"reaches (" + strings.Join(docs, ", ") + ") and by what the gateway " +
			"adds: authentication, authorization, rate limits, composed answers and its own errors. `/internal/` " +
			"paths are not routed. Each operation's `operationId` is the name of its route (`x-portico-route`); " +
			"`x-portico-upstream` names the service's operation it reaches.",
		"Authentication. An operation with security needs one credential: the session cookie `" + cookie + "` that " +
			"POST /v1/login sets (`session`; HttpOnly, Secure, SameSite=Lax), an OAuth 2.0 access token from " +
			"/oauth2/token (`oauth2`, client credentials), or an API key (`apiKey`, `" + authn.APIKeyPrefix + "...`), the last two in " +
			"`Authorization: Bearer`" + external + ". The gateway exchanges it at the auth service for a short-lived internal token, " +
			"which is all the services see. No credential, or one refused, is 401 `unauthenticated` with " +
			"`WWW-Authenticate: Bearer realm=\"portico\"`; two different credentials are 400; when the auth service " +
			"cannot be asked, 503 `auth-unavailable`, never 401. People sign in with sessions; machine callers (OAuth " +
			"clients and API keys) act in their one organization with their scopes, and reach only the operations " +
			"whose security lists them. Organization routes bind `{org}` to the caller's organizations and roles; " +
			"staff pass every organization and role check, not scope checks. A caller outside the organization gets 404 " +
			"`not-found`, as for an organization that does not exist; another requirement that fails is 403 " +
			"`forbidden`; the services check again and may refuse more (each operation's description says who may).",
		"Cross-site requests. Every unsafe request (not GET, HEAD or OPTIONS) signed in with the session cookie " +
			"needs the header `Portico-CSRF` (any non-empty value) and, when it has an `Origin`, a trusted one (the " +
			"gateway's own URL by default): the gateway refuses it otherwise with 403 `csrf-check-failed`, before " +
			"asking auth. The auth service checks its own unsafe /v1 operations again, sign-in included (whose " +
			"parameters list the header). Requests with a bearer token or an API key are not checked: a browser " +
			"never adds those by itself.",
		"Rate limits. Policies: " + orNone(strings.Join(policies, "; ")) + ". Every answer of a limited operation " +
			"carries `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers); a refusal is 429 " +
			"`rate-limited` with `Retry-After`.",
		"Composed answers. An operation marked `x-portico-composed` is answered by the gateway from several " +
			"services' answers, as its description says; `Portico-Outcome` and `Server-Timing` report each step, " +
			"and an answer missing an optional step's part has `Cache-Control: no-store`.",
		"Errors. RFC 9457 problem documents (`application/problem+json`, types in docs/problems.md) with the " +
			"`X-Request-Id` of the answer. Every GET operation answers HEAD too, with its headers alone. Besides each operation's own answers, any request may get the gateway's " +
			"400 (a malformed request line, path or host), 404 (no route), 405 (a route for the path but not the " +
			"method, with `Allow`), 414 and 431 (limits of the request line and header).",
	}, "\n\n")) + "\n"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// sessionScheme is the security scheme of the session cookie.
func sessionScheme(a *config.Auth) *yaml.Node {
	name := a.CookieName
	if name == "" {
		name = authn.DefaultCookieName
	}
	return mapping("type", "apiKey", "in", "cookie", "name", name, "description",
		"A person's browser session, which POST /v1/login (and /v1/login/second-factor) sets and POST /v1/logout ends. "+
			"HttpOnly, Secure, Path=/, SameSite=Lax.")
}

// apiKeyScheme is the security scheme of API keys in Authorization.
func apiKeyScheme(a *config.Auth) *yaml.Node {
	return mapping("type", "http", "scheme", "bearer", "bearerFormat", authn.APIKeyPrefix+"...", "description",
		"An organization's API key, from POST /v1/orgs/{org}/api-keys, in `Authorization: Bearer "+authn.APIKeyPrefix+"...`. "+
			"It acts in its organization with its scopes.")
}

// apiKeyHeaderScheme is the security scheme of API keys in the header
// the configuration names besides Authorization.
func apiKeyHeaderScheme(a *config.Auth) *yaml.Node {
	return mapping("type", "apiKey", "in", "header", "name", a.APIKeyHeader, "description",
		"An organization's API key, in this header instead of Authorization.")
}

// externalTokenScheme is the security scheme of the access tokens of the
// outside identity providers the configuration trusts (auth.issuers).
func externalTokenScheme(a *config.Auth) *yaml.Node {
	var issuers []string
	for _, e := range a.Issuers {
		if e != nil {
			issuers = append(issuers, "`"+e.Issuer+"`")
		}
	}
	return mapping("type", "http", "scheme", "bearer", "bearerFormat", "JWT", "description",
		"An access token of an identity provider the gateway trusts ("+andList(issuers)+"), in `Authorization: Bearer`. "+
			"The gateway verifies it and it acts in the organization its issuer is bound to, with the scopes it "+
			"carries that the configuration allows.")
}

// oauth2Scheme is the security scheme of OAuth 2.0 clients, with the
// scopes the routes name.
func oauth2Scheme(scopes []string) *yaml.Node {
	sc := mapping()
	for _, s := range scopes {
		set(sc, s, str("A scope of an organization's OAuth 2.0 clients and API keys."))
	}
	return mapping("type", "oauth2", "description",
		"An organization's machine client (POST /v1/orgs/{org}/clients) gets an access token from /oauth2/token with "+
			"its client_id and client_secret, and sends it in `Authorization: Bearer`. It acts in its organization "+
			"with the scopes it was granted.",
		"flows", mapping("clientCredentials", mapping("tokenUrl", "/oauth2/token", "refreshUrl", "/oauth2/token", "scopes", sc)))
}

// rateLimitHeaders are the fields of a rate-limited route's answers, by
// the names of their components: required on the answers the gateway
// gave after applying the limits, optional on those it may give before.
func rateLimitHeaders() map[string]*yaml.Node {
	h := func(desc string, required bool) *yaml.Node {
		n := mapping("description", desc)
		if required {
			set(n, "required", boolean(true))
		}
		set(n, "schema", flow(mapping("type", "string")))
		return n
	}
	const policy = `The route's policies, one member each: name, quota and window in seconds ("credentials";q=10;w=60).`
	const state = `Each policy's state: requests left and seconds until the quota is whole ("credentials";r=4;t=6).`
	return map[string]*yaml.Node{
		"RateLimitPolicy":         h(policy, true),
		"RateLimit":               h(state, true),
		"RateLimitPolicyOptional": h(policy+" Present once the gateway applied the limits.", false),
		"RateLimitOptional":       h(state+" Present once the gateway applied the limits.", false),
	}
}

// gatewayComponents are the gateway's own components, by kind and name.
func gatewayComponents() map[string]map[string]*yaml.Node {
	problem := func(desc string, headers *yaml.Node) *yaml.Node {
		return mapping("description", desc, "headers", headers,
			"content", mapping("application/problem+json", mapping("schema", flow(mapping("$ref", "#/components/schemas/Problem")))))
	}
	retryAfter := func(required bool) *yaml.Node {
		n := mapping("description", "Seconds to wait before trying again.")
		if required {
			set(n, "required", boolean(true))
		}
		set(n, "schema", flow(mapping("type", "integer", "minimum", scalar("!!int", "0"))))
		return n
	}
	limited := mapping("Retry-After", retryAfter(true),
		"RateLimit-Policy", flow(mapping("$ref", "#/components/headers/RateLimitPolicy")),
		"RateLimit", flow(mapping("$ref", "#/components/headers/RateLimit")))
	kinds := sequence()
	for _, k := range []aggregate.Kind{aggregate.KindOK, aggregate.KindTimeout, aggregate.KindConnect, aggregate.KindTransport,
		aggregate.KindUnavailable, aggregate.KindCanceled, aggregate.KindStatus3xx, aggregate.KindStatus4xx, aggregate.KindStatus5xx,
		aggregate.KindNotJSON, aggregate.KindTooLarge, aggregate.KindBadReference, aggregate.KindTooManyItems, aggregate.KindShape,
		aggregate.KindConflict, aggregate.KindSkipped, aggregate.KindInternal} {
		kinds.Content = append(kinds.Content, str(string(k)))
	}
	uses := stringSeq([]string{string(aggregate.UseResult), string(aggregate.UseFallback), string(aggregate.UseOmitted)})
	typ := func(t string) *yaml.Node { return flow(mapping("type", t)) }
	return map[string]map[string]*yaml.Node{
		"headers": rateLimitHeaders(),
		"schemas": {
			"Problem": mapping(
				"type", "object",
				"description", "A problem document of the gateway (RFC 9457); docs/problems.md lists the types.",
				"required", stringSeq([]string{"type", "title", "status"}),
				"properties", mapping(
					"type", flow(mapping("type", "string", "format", "uri")),
					"title", typ("string"),
					"status", typ("integer"),
					"detail", typ("string"),
					"instance", typ("string"),
					"request_id", typ("string"),
					"service", flow(mapping("type", "string", "description", "The service that failed or was unavailable.")),
					"step", flow(mapping("type", "string", "description", "The step of a composed route that failed.")),
					"kind", flow(mapping("type", "string", "description", "How that step failed.")),
					"violated_policies", mapping("description", "With rate-limited: the policies that refused.", "type", "array", "items", typ("string")),
					"retry_after_seconds", flow(mapping("type", "integer", "description", "With rate-limited: the Retry-After value.")),
				),
			),
			"Outcome": mapping(
				"type", "object",
				"description", "How each step of a composed answer went, as in its Portico-Outcome header.",
				"required", stringSeq([]string{"complete", "steps"}),
				"properties", mapping(
					"complete", flow(mapping("type", "boolean", "description", "Every step gave its result.")),
					"steps", mapping(
						"type", "array",
						"items", mapping(
							"type", "object",
							"required", stringSeq([]string{"step", "kind", "status", "duration_ms", "use"}),
							"properties", mapping(
								"step", typ("string"),
								"kind", mapping("description", "ok, or why the step failed.", "enum", flow(kinds)),
								"status", flow(mapping("type", "integer", "description", "The service's status; 0 when it gave none.")),
								"duration_ms", typ("number"),
								"items", flow(mapping("type", "integer", "description", "The calls of a step made once per item.")),
								"reason", typ("string"),
								"use", mapping("description", "What the answer holds in the step's place.", "enum", uses),
							),
						),
					),
				),
			),
		},
		"responses": {
			"AmbiguousCredentials": problem("`bad-request`: the request carries two different credentials (a session cookie and a bearer token, say); send one.", nil),
			"Unauthenticated": problem("`unauthenticated`: the gateway found no credential, or the auth service refused it (wrong, expired or revoked).",
				mapping("WWW-Authenticate", mapping("required", boolean(true), "description", `Bearer realm="portico"`,
					"schema", flow(mapping("type", "string", "pattern", "^Bearer"))))),
			"Forbidden": problem("`forbidden`: the route's requirement (organization, role, scopes, staff) does not admit the caller.", nil),
			"NotMember": problem("`not-found`: the caller is not a member of the organization the path names, or there is no such "+
				"organization; the two are not told apart, so that organization ids cannot be probed.", nil),
			"RateLimited": problem("`rate-limited`: a rate limit policy of the route refused the request, which counted "+
				"against none; Retry-After says when every refusing policy admits it again.", limited),
			"RequestTimeout": problem("`request-timeout`: the request body stalled, or came too slowly; the connection is closed.", nil),
			"BodyTooLarge":   problem("`body-too-large`: the request body exceeds the route's limit.", nil),
			"UpstreamFailed": problem("`upstream-failed`: the service refused the connection, broke it or answered what is "+
				"not HTTP; or a required step of a composed route failed otherwise (`step`, `kind` and `service` say which).", nil),
			"Unavailable": problem("`circuit-open` (the service's circuit breaker is open) or `no-healthy-target`; on an "+
				"authenticated route also `auth-unavailable` (the credential could not be checked); on a route whose limits "+
				"are kept in Redis and fail closed `rate-limit-unavailable`; on a composed route `upstream-unavailable` "+
				"(a required step's service answered 429 or was unavailable).",
				mapping("Retry-After", retryAfter(false))),
			"UpstreamTimeout": problem("`upstream-timeout`: the service did not answer in time, or a required step of a composed route timed out.", nil),
			"StepRefused": problem("`step-refused` (`not-found` for 404): a required step's service refused the request with "+
				"this status; `step`, `kind` and `service` name it.", nil),
		},
	}
}

// allScopes returns every scope a route grants machine callers, sorted.
func allScopes(routes []*config.Route) []string {
	var out []string
	for _, r := range routes {
		scopes, _ := machineScopes(r.Require)
		for _, s := range scopes {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return out
}

// wrapWidth is the width text written here is wrapped at.
const wrapWidth = 100

// wrap wraps each paragraph of s at wrapWidth; a line that starts a list
// item ("- ") starts a line.
func wrap(s string) string {
	var paras []string
	for _, para := range strings.Split(s, "\n\n") {
		var lines []string
		for _, item := range strings.Split(para, "\n") {
			line := ""
			for _, w := range strings.Fields(item) {
				switch {
				case line == "":
					line = w
				case len(line)+1+len(w) > wrapWidth:
					lines = append(lines, line)
					line = "  " + w
					if !strings.HasPrefix(item, "- ") {
						line = w
					}
				default:
					line += " " + w
				}
			}
			lines = append(lines, line)
		}
		paras = append(paras, strings.Join(lines, "\n"))
	}
	return strings.Join(paras, "\n\n")
}
