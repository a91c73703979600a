package aggregate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// link resolves every step's dependencies (DependsOn and references),
// their reverse, and which results must be decoded.
func (c *compiler) link() {
	for i, st := range c.plan.steps {
		s := &c.spec.Steps[i]
		for _, name := range s.DependsOn {
			j, ok := c.byName[name]
			switch {
			case !ok:
				c.failf(i, "depends_on", "no step is named %q", name)
			case j == i:
				c.failf(i, "depends_on", "a step cannot depend on itself")
			default:
				st.deps = append(st.deps, j)
			}
		}
		for _, sr := range c.refs[i] {
			st.deps = append(st.deps, sr.r.step)
			c.plan.steps[sr.r.step].needTree = true
		}
		slices.Sort(st.deps)
		st.deps = slices.Compact(st.deps)
		if st.shaper != nil || st.merge {
			st.needTree = true
		}
	}
	for i, st := range c.plan.steps {
		for _, d := range st.deps {
			dep := c.plan.steps[d]
			if dep.timeout == 0 {
				c.failf(d, "timeout", "is required: step %q waits for this step, and a step without a timeout may use the whole remaining budget", st.name)
			}
			dep.dependents = append(dep.dependents, i)
			if st.policy == policyRequired && dep.policy == policyOptional {
				c.failf(i, "depends_on", "the step is required but depends on optional step %q, which may leave it nothing to run with; make %q required or give it a fallback", dep.name, dep.name)
			}
		}
	}
}

// order returns the steps in a dependency order, or reports the cycles.
func (c *compiler) order() ([]int, bool) {
	steps := c.plan.steps
	pending := make([]int, len(steps))
	var ready, order []int
	for i, st := range steps {
		pending[i] = len(st.deps)
		if pending[i] == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		order = append(order, i)
		for _, d := range steps[i].dependents {
			if pending[d]--; pending[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
	if len(order) == len(steps) {
		return order, true
	}
	// Every step left has a pending dependency that is left too; walking
	// those from any of them must come back to a step already seen.
	reported := make([]bool, len(steps))
	for start := range steps {
		if pending[start] == 0 || reported[start] {
			continue
		}
		seen := map[int]int{}
		var path []int
		for i := start; ; {
			if at, ok := seen[i]; ok {
				cycle := path[at:]
				names := make([]string, 0, len(cycle)+1)
				for _, j := range cycle {
					names = append(names, steps[j].name)
					reported[j] = true
				}
				names = append(names, steps[cycle[0]].name)
				c.failf(cycle[0], "depends_on", "dependency cycle: %s", strings.Join(names, " -> "))
				break
			}
			if reported[i] {
				break
			}
			seen[i] = len(path)
			path = append(path, i)
			for _, d := range steps[i].deps {
				if pending[d] > 0 {
					i = d
					break
				}
			}
		}
		reported[start] = true
	}
	return nil, false
}

// criticalPath computes the longest chain of timeouts and checks it
// against the budget. A step without a timeout takes whatever its chain
// leaves, so it adds nothing, and Compile rejects it having dependents.
func (c *compiler) criticalPath(order []int) {
	p := c.plan
	dist := make([]time.Duration, len(p.steps))
	prev := make([]int, len(p.steps))
	end := -1
	for _, i := range order {
		st := p.steps[i]
		w := st.timeout
		prev[i] = -1
		for _, d := range st.deps {
			if dist[d] > dist[i] {
				dist[i], prev[i] = dist[d], d
			}
		}
		dist[i] += w
		if end < 0 || dist[i] > dist[end] {
			end = i
		}
	}
	if end < 0 {
		return
	}
	var path []string
	for i := end; i >= 0; i = prev[i] {
		path = append(path, p.steps[i].name)
	}
	slices.Reverse(path)
	p.critical, p.criticalPath = dist[end], path
	if p.budget > 0 && p.critical > p.budget {
		var parts []string
		for i := end; i >= 0; i = prev[i] {
			st := p.steps[i]
			if st.timeout > 0 {
				parts = append(parts, fmt.Sprintf("%s (%v)", st.name, st.timeout))
			} else {
				parts = append(parts, st.name+" (rest of budget)")
			}
		}
		slices.Reverse(parts)
		c.failf(-1, "budget", "the critical path %s takes up to %v, more than the budget of %v", strings.Join(parts, " -> "), p.critical, p.budget)
	}
}

// collisions reports root keys that two steps (or a step and the outcome
// field) would both write, as far as the spec determines them: Into keys,
// the keys an allow-list leaves to a merged step, and the keys of a merged
// step's fallback.
func (c *compiler) collisions() {
	p := c.plan
	owner := make(map[string]string)
	if p.outcomeField != "" {
		owner[p.outcomeField] = "the outcome field"
		p.reserved[p.outcomeField] = struct{}{}
	}
	claim := func(i int, field, key, what string) {
		if o, ok := owner[key]; ok && o != what {
			c.failf(i, field, "root key %q collides with %s", key, o)
			return
		}
		owner[key] = what
	}
	for i, st := range p.steps {
		what := "step " + strconv.Quote(st.name)
		if st.into != "" {
			claim(i, "into", st.into, what)
			p.reserved[st.into] = struct{}{}
		}
		if !st.merge {
			continue
		}
		p.hasMerge = true
		if keys, ok := st.shaper.staticKeys(); ok {
			for _, k := range keys {
				claim(i, "allow", k, what)
			}
		}
		if fb, ok := st.fallbackTree.(map[string]any); ok {
			for _, k := range sortedKeys(fb) {
				claim(i, "fallback", k, what)
			}
		}
	}
}
