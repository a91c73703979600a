package aggregate

import (
	"errors"
	"fmt"
	"github.com/portico-gw/portico/internal/platform/jsonstring"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// maxStepName caps the length of a step's name.
const maxStepName = 64

// DeadlineHeader carries, on every step's request, the milliseconds left
// before the gateway gives up on the call: the smaller of the step's
// timeout and the plan's remaining budget. A relative value does not depend
// on the clocks of the gateway and the service agreeing.
const DeadlineHeader = "X-Portico-Timeout-Ms"

// compiler accumulates a plan and the problems found while building it.
type compiler struct {
	spec   PlanSpec
	plan   *Plan
	byName map[string]int
	params map[string]bool
	errs   CompileErrors
	refs   [][]stepRef // per step: the step references of its templates
	items  [][]*ref    // per step: the item references of its templates
}

// stepRef is a reference from one step's field to another step.
type stepRef struct {
	field string
	r     *ref
}

func (c *compiler) fail(step int, field string, err error) {
	fe := &FieldError{Step: step, Field: field, Err: err}
	if step >= 0 {
		fe.StepName = c.spec.Steps[step].Name
	}
	c.errs = append(c.errs, fe)
}

func (c *compiler) failf(step int, field, format string, args ...any) {
	c.fail(step, field, fmt.Errorf(format, args...))
}

// Compile checks spec and builds an immutable plan. It reports every
// problem at once as CompileErrors: names and limits, templates and field
// paths, references to unknown steps, parameters or namespaces, unknown
// services (when spec.KnownServices is set), dependency cycles, a critical
// path longer than the budget, and collisions of response keys that the
// spec determines.
func Compile(spec PlanSpec, opts Options) (*Plan, error) {
	c := &compiler{
		spec:   spec,
		byName: make(map[string]int, len(spec.Steps)),
		params: make(map[string]bool, len(spec.Params)),
		refs:   make([][]stepRef, len(spec.Steps)),
		items:  make([][]*ref, len(spec.Steps)),
	}
	p := &Plan{
		name:         spec.Name,
		budget:       spec.Budget,
		outcomeField: spec.OutcomeField,
		opts:         opts,
		reserved:     make(map[string]struct{}),
	}
	c.plan = p
	for _, n := range spec.Params {
		c.params[n] = true
	}
	if spec.Budget <= 0 {
		c.failf(-1, "budget", "must be positive")
	}
	if len(spec.Steps) == 0 {
		c.failf(-1, "steps", "a plan needs at least one step")
	}
	if spec.MaxBody < 0 {
		c.failf(-1, "max_body", "must not be negative")
	}
	if spec.MaxFanOut < 0 {
		c.failf(-1, "max_fan_out", "must not be negative")
	}
	if spec.OutcomeField != "" {
		p.outcomeKey = append(jsonstring.Append(nil, spec.OutcomeField), ':')
	}
	for i, s := range spec.Steps {
		if err := checkStepName(s.Name); err != nil {
			c.fail(i, "name", err)
			continue
		}
		if j, dup := c.byName[s.Name]; dup {
			c.failf(i, "name", "duplicates the name of step #%d", j+1)
			continue
		}
		c.byName[s.Name] = i
	}
	p.steps = make([]*step, len(spec.Steps))
	for i := range spec.Steps {
		p.steps[i] = c.compileStep(i)
	}
	c.link()
	c.reads()
	if order, ok := c.order(); ok {
		c.criticalPath(order)
	}
	c.collisions()
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	p.runs.New = func() any { return newRun(len(p.steps)) }
	p.results.New = func() any { return &Result{} }
	p.bufs.New = func() any { b := make([]byte, 0, 4096); return &b }
	return p, nil
}

func checkStepName(s string) error {
	if s == "" {
		return errors.New("is required")
	}
	if len(s) > maxStepName {
		return fmt.Errorf("longer than %d characters", maxStepName)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '_' || c == '-')) {
			return fmt.Errorf("%q must start with a letter and hold only letters, digits, '_' and '-'", s)
		}
	}
	return nil
}

// compileStep compiles everything of one step that does not depend on the
// other steps.
func (c *compiler) compileStep(i int) *step {
	s := &c.spec.Steps[i]
	st := &step{
		idx:     i,
		name:    s.Name,
		service: s.Service,
		method:  s.Method,
		timeout: s.Timeout,
		into:    s.Into,
		merge:   s.Merge,
		maxBody: s.MaxBody,
	}
	st.spanName = "aggregate " + s.Name
	if st.method == "" {
		st.method = http.MethodGet
	}
	switch st.method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		c.failf(i, "method", "%q is not one of GET, POST, PUT, PATCH, DELETE", s.Method)
	}
	if s.Service == "" {
		c.failf(i, "service", "is required")
	} else if c.spec.KnownServices != nil && !slices.Contains(c.spec.KnownServices, s.Service) {
		c.failf(i, "service", "unknown service %q", s.Service)
	}
	c.compileRequest(i, s, st)

	if s.ForEach != "" {
		r, err := parseRef(s.ForEach)
		switch {
		case err != nil:
			c.fail(i, "for_each", err)
		case r.hasDef:
			c.failf(i, "for_each", "takes no default")
		case r.ns != nsSteps && r.ns != nsIdentity && r.ns != nsBody:
			c.failf(i, "for_each", "must reference steps, identity or body, not %s", r.ns)
		default:
			st.forEach = r
			c.checkRef(i, "for_each", r, false)
		}
		st.maxItems = s.MaxItems
		if st.maxItems == 0 {
			st.maxItems = cmp(c.spec.MaxFanOut, DefaultMaxFanOut)
		}
		st.concurrency = s.Concurrency
		if st.concurrency == 0 {
			st.concurrency = min(DefaultConcurrency, st.maxItems)
		}
	} else if s.MaxItems != 0 || s.Concurrency != 0 {
		c.failf(i, "for_each", "max_items and concurrency need for_each")
	}
	if s.MaxItems < 0 {
		c.failf(i, "max_items", "must not be negative")
	}
	if s.Concurrency < 0 {
		c.failf(i, "concurrency", "must not be negative")
	}

	if s.Timeout < 0 {
		c.failf(i, "timeout", "must not be negative")
	} else if c.spec.Budget > 0 && s.Timeout > c.spec.Budget {
		c.failf(i, "timeout", "%v exceeds the plan's budget of %v", s.Timeout, c.spec.Budget)
	}
	if s.MaxBody < 0 {
		c.failf(i, "max_body", "must not be negative")
	}
	if st.maxBody == 0 {
		st.maxBody = int64(cmp(int(c.spec.MaxBody), DefaultMaxBody))
	}

	switch s.OnFailure {
	case "", Required:
		st.policy = policyRequired
	case Optional:
		st.policy = policyOptional
	case Fallback:
		st.policy = policyFallback
	default:
		c.failf(i, "on_failure", "%q is not one of required, optional, fallback", s.OnFailure)
	}
	if s.Fallback != nil && st.policy != policyFallback {
		c.failf(i, "fallback", "is set but on_failure is not fallback")
	}
	if st.policy == policyFallback {
		b, err := appendJSON(nil, s.Fallback)
		if err != nil {
			c.fail(i, "fallback", err)
		} else {
			st.fallbackJSON = b
			st.fallbackTree, _ = decodeJSON(b)
		}
		if _, obj := st.fallbackTree.(map[string]any); s.Merge && !obj && err == nil {
			c.failf(i, "fallback", "must be an object, since the step is merged into the root")
		}
	}

	if s.Into != "" && s.Merge {
		c.failf(i, "into", "a step is placed under a key or merged into the root, not both")
	}
	if s.Into != "" {
		st.intoKey = append(jsonstring.Append(nil, s.Into), ':')
	}
	sh, errs := newShaper(s.Select, s.Allow, s.Deny, s.Rename)
	for _, e := range errs {
		c.fail(i, e.Field, e.Err)
	}
	st.shaper = sh
	if sh != nil && s.Into == "" && !s.Merge {
		c.failf(i, "into", "the step has shaping rules but its result is not placed in the response")
	}
	return st
}

// cmp returns v, or def when v is zero.
func cmp(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// compileRequest compiles the path, query, headers and body of step i.
func (c *compiler) compileRequest(i int, s *StepSpec, st *step) {
	fanOut := s.ForEach != ""
	visit := func(field string, r *ref) { c.checkRef(i, field, r, fanOut) }

	if t, err := parseTemplate(s.Path); err != nil {
		c.fail(i, "path", err)
	} else if err := checkPathTemplate(t); err != nil {
		c.fail(i, "path", err)
	} else {
		st.path = t
		for _, p := range t.parts {
			if p.ref != nil {
				visit("path", p.ref)
			}
		}
	}

	for _, k := range sortedKeys(s.Query) {
		field := "query." + k
		if k == "" {
			c.failf(i, "query", "a parameter name is empty")
			continue
		}
		t, err := parseTemplate(s.Query[k])
		if err != nil {
			c.fail(i, field, err)
			continue
		}
		for _, p := range t.parts {
			if p.ref != nil {
				visit(field, p.ref)
			}
		}
		st.query = append(st.query, queryParam{name: string(appendPct(nil, k, true)), val: t})
	}

	for _, k := range sortedKeys(s.Headers) {
		field := "headers." + k
		name := http.CanonicalHeaderKey(k)
		if !httpguts.ValidHeaderFieldName(k) {
			c.failf(i, field, "%q is not a valid header name", k)
			continue
		}
		switch name {
		case "Host", "Content-Length", "Transfer-Encoding", "Connection", "Upgrade", "Te", "Trailer",
			"Keep-Alive", "Content-Type", http.CanonicalHeaderKey(DeadlineHeader):
			c.failf(i, field, "%s is set by the gateway", name)
			continue
		}
		t, err := parseTemplate(s.Headers[k])
		if err != nil {
			c.fail(i, field, err)
			continue
		}
		for _, p := range t.parts {
			if p.ref != nil {
				visit(field, p.ref)
			} else if !httpguts.ValidHeaderFieldValue(p.lit) {
				c.failf(i, field, "the value holds characters a header cannot carry")
			}
		}
		st.headers = append(st.headers, headerParam{name: name, val: t})
	}

	if s.Body != nil {
		switch st.method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
		default:
			c.failf(i, "body", "a %s step cannot send a body", st.method)
		}
		n, err := compileBody(s.Body, "body", 0, visit)
		if err != nil {
			c.fail(i, "body", err)
		}
		st.body = n
	}
}

// checkPathTemplate checks that a path template starts with '/', holds only
// characters a path may hold (with valid percent-escapes), and has no dot
// segments of its own.
func checkPathTemplate(t *template) error {
	if len(t.parts) == 0 || t.parts[0].ref != nil || !strings.HasPrefix(t.parts[0].lit, "/") {
		return errors.New("must start with /")
	}
	var probe strings.Builder
	for _, p := range t.parts {
		if p.ref != nil {
			probe.WriteString("x")
			continue
		}
		lit := p.lit
		for j := 0; j < len(lit); j++ {
			ch := lit[j]
			switch {
			case unreserved(ch) || strings.IndexByte("/!$&'()*+,;=:@", ch) >= 0:
			case ch == '%' && j+2 < len(lit) && isHex(lit[j+1]) && isHex(lit[j+2]):
				j += 2
			default:
				return fmt.Errorf("%q cannot appear in a path as written; percent-encode it", ch)
			}
		}
		probe.WriteString(lit)
	}
	for seg := range strings.SplitSeq(probe.String(), "/") {
		if seg == "." || seg == ".." {
			return errors.New("must not contain . or .. segments")
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// checkRef checks a reference of step i against what Compile knows, and
// records references to other steps for link.
func (c *compiler) checkRef(i int, field string, r *ref, fanOut bool) {
	switch r.ns {
	case nsPath:
		if !c.params[r.name] {
			c.failf(i, field, "{%s}: the route has no path parameter %q", r, r.name)
		}
	case nsItem:
		if !fanOut {
			c.failf(i, field, "{%s}: item is only defined in a step with for_each", r)
		}
		c.items[i] = append(c.items[i], r)
	case nsBody:
		c.plan.usesBody = true
	case nsQuery:
		c.plan.usesQuery = true
	case nsSteps:
		j, ok := c.byName[r.name]
		switch {
		case !ok:
			c.failf(i, field, "{%s}: no step is named %q", r, r.name)
		case j == i:
			c.failf(i, field, "{%s}: a step cannot reference its own result", r)
		default:
			r.step = j
			c.refs[i] = append(c.refs[i], stepRef{field: field, r: r})
		}
	}
}
