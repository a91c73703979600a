package config

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/gateway/aggregate"
	"github.com/portico-gw/portico/internal/gateway/router"
)

// PlanSpec returns the composition engine's form of the route's plan.
// params are the route's path parameters; services, when not nil, are the
// service names a step may call.
func (a *Aggregate) PlanSpec(route string, params, services []string) aggregate.PlanSpec {
	ps := aggregate.PlanSpec{
		Name:          route,
		Budget:        a.Budget.D(),
		OutcomeField:  a.OutcomeField,
		MaxBody:       int64(a.MaxStepBody),
		MaxFanOut:     a.MaxFanOut,
		Params:        params,
		KnownServices: services,
	}
	for _, s := range a.Steps {
		if s == nil {
			continue
		}
		st := aggregate.StepSpec{
			Name:        s.Name,
			Service:     s.Service,
			Method:      s.Method,
			Path:        s.Path,
			Query:       s.Query,
			Headers:     s.Headers,
			DependsOn:   s.DependsOn,
			ForEach:     s.ForEach,
			MaxItems:    s.MaxItems,
			Concurrency: s.Concurrency,
			Timeout:     s.Timeout.D(),
			OnFailure:   s.OnFailure,
			Into:        s.Into,
			Merge:       s.Merge,
			Select:      s.Select,
			Allow:       s.Allow,
			Deny:        s.Deny,
			Rename:      s.Rename,
			MaxBody:     int64(s.MaxBody),
		}
		if s.Body != nil {
			st.Body = s.Body.V
		}
		if s.Fallback != nil {
			st.Fallback = s.Fallback.V
		}
		ps.Steps = append(ps.Steps, st)
	}
	return ps
}

// aggregateDefaults fills a plan's defaults. An aggregate route's timeout
// is its budget.
func aggregateDefaults(r *Route) {
	a := r.Aggregate
	setDuration(&a.Budget, DefaultAggregateBudget)
	setSize(&a.MaxStepBody, DefaultAggregateMaxStepBody)
	setInt(&a.MaxFanOut, DefaultAggregateMaxFanOut)
	for _, s := range a.Steps {
		if s == nil {
			continue
		}
		setString(&s.Method, "GET")
		s.Method = strings.ToUpper(s.Method)
		setString(&s.OnFailure, aggregate.Required)
	}
	if r.Timeout == 0 {
		r.Timeout = a.Budget
	}
}

// aggregateRoute checks a route that composes: its own keys, then the plan
// through the engine's compiler, whose messages name the step and field.
func (v *validator) aggregateRoute(path string, r *Route, t *router.Template) {
	a := r.Aggregate
	if r.Service != "" {
		v.errorf(path+".service", "a route either proxies to a service or composes with aggregate, not both")
	}
	if r.Rewrite != "" {
		v.errorf(path+".rewrite", "has no meaning for an aggregate route; each step names its own path")
	}
	if r.StripQuery {
		v.errorf(path+".strip_query", "has no meaning for an aggregate route; steps pass on only the query values they name")
	}
	if r.Retry != nil {
		v.errorf(path+".retry_attempts", "has no meaning for an aggregate route; retries follow each step's service")
	}
	if r.Timeout != a.Budget {
		v.errorf(path+".timeout", "an aggregate route is bounded by aggregate.budget; set that instead")
	}
	apath := path + ".aggregate"
	if len(a.Steps) == 0 {
		v.errorf(apath+".steps", "no steps; a plan needs at least one")
		return
	}
	for i, s := range a.Steps {
		if s == nil {
			v.errorf(joinIndex(apath+".steps", i), "missing step definition")
		}
	}
	var params []string
	if t != nil {
		params = t.Params()
	}
	services := slices.Sorted(maps.Keys(v.c.Services))
	_, err := aggregate.Compile(a.PlanSpec(r.Name, params, services), aggregate.Options{})
	var ces aggregate.CompileErrors
	if errors.As(err, &ces) {
		for _, fe := range ces {
			p := apath
			if fe.Step >= 0 {
				p = joinIndex(apath+".steps", fe.Step)
			}
			field := fe.Field
			if fe.Step < 0 && field == "max_body" {
				field = "max_step_body"
			}
			if field != "" {
				p += "." + field
			}
			v.errorf(p, "%v", fe.Err)
		}
	} else if err != nil {
		v.errorf(apath, "%v", err)
	}
}

// The defaults of aggregation plans.
const (
	DefaultAggregateBudget      = Duration(10 * time.Second)
	DefaultAggregateMaxStepBody = 1 * MiB
	DefaultAggregateMaxFanOut   = aggregate.DefaultMaxFanOut
)
