package aggregate

import (
	"fmt"
	"github.com/portico-gw/portico/internal/platform/jsonstring"
	"slices"
)

// compose shapes the results, settles merge conflicts, and writes the
// response body into res. It returns the index of a required step that
// failed while shaping or merging, or -1.
func (p *Plan) compose(r *run, res *Result) int {
	for i, st := range p.steps {
		s := &r.slots[i]
		if st.shaper == nil || s.out.Use != UseResult {
			continue
		}
		v, err := st.shaper.apply(s.value)
		if err != nil {
			kind := KindShape
			if se, ok := err.(*shapeError); ok {
				kind = se.kind
			}
			if !p.failLate(r, i, kind, err) {
				return i
			}
			continue
		}
		s.value = v
	}
	if p.hasMerge {
		if i := p.settleMerges(r); i >= 0 {
			return i
		}
	}

	buf := p.getBuf()
	b := append(*buf, '{')
	sep := func() {
		if len(b) > 1 {
			b = append(b, ',')
		}
	}
	for i, st := range p.steps {
		s := &r.slots[i]
		if s.out.Use == UseOmitted || (st.into == "" && !st.merge) {
			continue
		}
		if st.into != "" {
			sep()
			b = append(b, st.intoKey...)
			switch {
			case s.out.Use == UseFallback:
				b = append(b, st.fallbackJSON...)
			case st.shaper != nil:
				var err error
				if b, err = appendJSON(b, s.value); err != nil {
					return p.encodeFailure(r, i, buf, err)
				}
			default:
				b = append(b, *s.raw...)
			}
			continue
		}
		m := mergedObject(st, s)
		for _, k := range sortedKeys(m) {
			sep()
			b = jsonstring.Append(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, m[k]); err != nil {
				return p.encodeFailure(r, i, buf, err)
			}
		}
	}
	if p.outcomeKey != nil {
		sep()
		b = append(b, p.outcomeKey...)
		b = appendOutcomeJSON(b, r.outcomes(), !r.partial())
	}
	*buf = append(b, '}')
	res.buf, res.Body = buf, *buf
	return -1
}

// encodeFailure gives up on a body that cannot be encoded; decoded JSON
// always can, so this reports a bug rather than hiding it.
func (p *Plan) encodeFailure(r *run, i int, buf *[]byte, err error) int {
	p.putBuf(buf)
	r.slots[i].out.Kind, r.slots[i].out.Err = KindInternal, fmt.Errorf("encode result: %w", err)
	return i
}

// failLate records a failure found after the step ended (while shaping or
// merging) and applies its policy; it reports false when the route fails.
func (p *Plan) failLate(r *run, i int, kind Kind, err error) bool {
	s := &r.slots[i]
	s.out.Kind, s.out.Err = kind, err
	return p.applyPolicy(r, i)
}

// mergedObject returns what step st merges into the root.
func mergedObject(st *step, s *slot) map[string]any {
	if s.out.Use == UseFallback {
		m, _ := st.fallbackTree.(map[string]any)
		return m
	}
	m, _ := s.value.(map[string]any)
	return m
}

// settleMerges checks the members of merged steps, in spec order, against
// the reserved keys and the members of earlier merged steps. A step whose
// members collide is a conflict and is handled by its policy (a fallback
// that collides too is left out): a member is never silently overwritten.
// It returns a required step that failed, or -1.
func (p *Plan) settleMerges(r *run) int {
	taken := make(map[string]string, 16)
	for i, st := range p.steps {
		s := &r.slots[i]
		if !st.merge || s.out.Use == UseOmitted {
			continue
		}
		if s.out.Use == UseResult {
			m, ok := s.value.(map[string]any)
			var err error
			kind := KindShape
			if !ok {
				err = fmt.Errorf("the result is %s, which cannot be merged into the root", jsonKind(s.value))
			} else if err = p.collision(m, taken); err != nil {
				kind = KindConflict
			}
			if err == nil {
				p.claim(m, taken, st.name)
				continue
			}
			if !p.failLate(r, i, kind, err) {
				return i
			}
		}
		if s.out.Use == UseFallback {
			m := mergedObject(st, s)
			if err := p.collision(m, taken); err != nil {
				s.out.Use = UseOmitted
				s.out.Err = fmt.Errorf("fallback left out: %w (after: %v)", err, s.out.Err)
				continue
			}
			p.claim(m, taken, st.name)
		}
	}
	return -1
}

func (p *Plan) collision(m map[string]any, taken map[string]string) error {
	var keys []string
	for k := range m {
		if _, ok := p.reserved[k]; ok {
			keys = append(keys, k)
		} else if _, ok := taken[k]; ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	k := keys[0]
	owner := "another step's key or the outcome field"
	if o, ok := taken[k]; ok {
		owner = "step " + o
	}
	return fmt.Errorf("member %q (of %d colliding) is already placed by %s", k, len(keys), owner)
}

func (p *Plan) claim(m map[string]any, taken map[string]string, step string) {
	for k := range m {
		taken[k] = step
	}
}

// outcomes returns the steps' outcomes in spec order.
func (r *run) outcomes() []StepOutcome {
	outs := make([]StepOutcome, len(r.slots))
	for i := range r.slots {
		outs[i] = r.slots[i].out
	}
	return outs
}

// partial reports whether some step did not deliver its result.
func (r *run) partial() bool {
	for i := range r.slots {
		if r.slots[i].out.Kind != KindOK {
			return true
		}
	}
	return false
}
