package aggregate

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Plan is a compiled, immutable aggregation plan, safe for concurrent use
// by any number of Execute calls.
type Plan struct {
	name         string
	steps        []*step
	budget       time.Duration
	outcomeField string
	outcomeKey   []byte              // the encoded `"field":` prefix
	reserved     map[string]struct{} // root keys of Into steps and the outcome field
	hasMerge     bool
	usesBody     bool
	usesQuery    bool
	critical     time.Duration
	criticalPath []string
	opts         Options

	runs    sync.Pool // *run
	results sync.Pool // *Result
	bufs    sync.Pool // *[]byte
}

// policy is a step's failure policy.
type policy uint8

const (
	policyRequired policy = iota
	policyOptional
	policyFallback
)

func (p policy) String() string {
	switch p {
	case policyOptional:
		return Optional
	case policyFallback:
		return Fallback
	}
	return Required
}

// step is a compiled StepSpec.
type step struct {
	idx          int
	name         string
	service      string
	method       string
	path         *template
	query        []queryParam // sorted by name
	headers      []headerParam
	body         *bodyNode
	deps         []int // sorted indices of the steps this one waits for
	dependents   []int
	forEach      *ref
	maxItems     int
	concurrency  int
	timeout      time.Duration // 0: whatever remains of the budget
	policy       policy
	fallbackJSON []byte
	fallbackTree any
	into         string
	intoKey      []byte // the encoded `"into":` prefix
	merge        bool
	shaper       *shaper
	maxBody      int64
	needTree     bool      // decode the result: it is referenced, shaped or merged
	reads        *readNode // what of the result is decoded; nil: all of it
	spanName     string
}

// queryParam is one query parameter; name is already escaped.
type queryParam struct {
	name string
	val  *template
}

// headerParam is one header; name is canonical.
type headerParam struct {
	name string
	val  *template
}

// Name returns the plan's name.
func (p *Plan) Name() string { return p.name }

// Budget returns the plan's deadline.
func (p *Plan) Budget() time.Duration { return p.budget }

// UsesBody reports whether some template references the caller's body, so
// the caller must read it into Input.Body.
func (p *Plan) UsesBody() bool { return p.usesBody }

// UsesQuery reports whether some template references the caller's query,
// so the caller must parse it into Input.Query.
func (p *Plan) UsesQuery() bool { return p.usesQuery }

// Steps returns the steps' names in spec order.
func (p *Plan) Steps() []string {
	names := make([]string, len(p.steps))
	for i, st := range p.steps {
		names[i] = st.name
	}
	return names
}

// CriticalPath returns the longest chain of dependent steps, weighted by
// their timeouts (a step without one adds nothing: it takes what is left),
// and its total, which Compile has checked fits the budget.
func (p *Plan) CriticalPath() (total time.Duration, steps []string) {
	return p.critical, slices.Clone(p.criticalPath)
}

// Describe returns the plan as text for humans: the budget, the critical
// path, and one line per step with its call, dependencies, fan-out, timeout,
// policy and placement.
func (p *Plan) Describe() string {
	var b strings.Builder
	name := p.name
	if name == "" {
		name = "(unnamed)"
	}
	fmt.Fprintf(&b, "plan %s: %d steps, budget %v, critical path %v (%s)\n",
		name, len(p.steps), p.budget, p.critical, strings.Join(p.criticalPath, " -> "))
	width := 0
	for _, st := range p.steps {
		width = max(width, len(st.name))
	}
	for _, st := range p.steps {
		fmt.Fprintf(&b, "  %-*s  %s %s %s", width, st.name, st.method, st.service, st.path.String())
		if len(st.query) > 0 {
			b.WriteString("?")
			for i, q := range st.query {
				if i > 0 {
					b.WriteByte('&')
				}
				b.WriteString(q.name + "=" + q.val.String())
			}
		}
		b.WriteByte('\n')
		var attrs []string
		if len(st.deps) > 0 {
			names := make([]string, len(st.deps))
			for i, d := range st.deps {
				names[i] = p.steps[d].name
			}
			attrs = append(attrs, "after "+strings.Join(names, ", "))
		}
		if st.forEach != nil {
			attrs = append(attrs, fmt.Sprintf("for each of %s (at most %d, %d at a time)", st.forEach.String(), st.maxItems, st.concurrency))
		}
		if st.timeout > 0 {
			attrs = append(attrs, "timeout "+st.timeout.String())
		} else {
			attrs = append(attrs, "timeout: rest of budget")
		}
		attrs = append(attrs, st.policy.String())
		switch {
		case st.into != "":
			attrs = append(attrs, fmt.Sprintf("into %q", st.into))
		case st.merge:
			attrs = append(attrs, "merged into root")
		default:
			attrs = append(attrs, "not in response")
		}
		if st.shaper != nil {
			attrs = append(attrs, "shaped")
		}
		if st.body != nil {
			attrs = append(attrs, "with body")
		}
		fmt.Fprintf(&b, "  %-*s  %s\n", width, "", strings.Join(attrs, "; "))
	}
	return b.String()
}
