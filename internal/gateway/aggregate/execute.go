package aggregate

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico-gw/portico/internal/platform/deadline"
)

// StatusClientClosedRequest is the status of a Result whose client went
// away; nothing is written for it, and logs record it.
const StatusClientClosedRequest = 499

// Execute runs the plan for one request and composes the response. Steps
// start as soon as the steps they depend on have settled, each in its own
// goroutine, within the plan's budget (counted from now) and ctx. A
// required step's failure, or ctx's cancellation, cancels every step still
// running at once; no step outlives Execute. The Result must be
// released once written.
func (p *Plan) Execute(ctx context.Context, in *Input, d Doer) *Result {
	if in == nil {
		in = &Input{}
	}
	r := p.getRun()
	defer p.putRun(r)
	res := p.getResult()

	r.env = env{in: in, results: r.results} // the steps' env: see runStep
	if p.usesBody && len(in.Body) > 0 {
		v, err := decodeJSON(in.Body)
		if err != nil {
			res.badBody()
			return res
		}
		r.env.body = v
	}

	r.began = time.Now()
	runCtx := deadline.Timeout(ctx, r.began.Add(p.budget))
	defer runCtx.Cancel()

	r.cancel = runCtx

	// Of the steps that can start together, the last runs on this
	// goroutine, which would otherwise only wait: a chain of steps runs
	// here whole, without a hand-off to a worker and back.
	running, here := 0, -1
	for i, st := range p.steps {
		r.slots[i].pending = len(st.deps)
		if len(st.deps) == 0 {
			here = p.launch(runCtx, r, here, i, d, r.began)
			running++
		}
	}
	failed := -1 // the first required step that failed: the route's answer
	for running > 0 {
		if here >= 0 {
			p.runStep(runCtx, r, here, d)
			here = -1
		}
		i := <-r.done
		running--
		r.queue = append(r.queue[:0], i)
		var now time.Time // the start of the steps launched now
		for len(r.queue) > 0 {
			j := r.queue[len(r.queue)-1]
			r.queue = r.queue[:len(r.queue)-1]
			if !p.settle(r, j) && failed < 0 {
				failed = j
				runCtx.Cancel()
			}
			if failed >= 0 {
				continue
			}
			for _, k := range p.steps[j].dependents {
				s := &r.slots[k]
				if s.pending--; s.pending > 0 {
					continue
				}
				if p.depsHaveResults(r, k) {
					if now.IsZero() {
						now = time.Now()
					}
					here = p.launch(runCtx, r, here, k, d, now)
					running++
					continue
				}
				s.state = slotDone
				s.out = StepOutcome{Step: p.steps[k].name, Kind: KindSkipped}
				r.queue = append(r.queue, k)
			}
		}
	}
	for i := range r.slots {
		if s := &r.slots[i]; s.state == slotWaiting {
			s.state = slotDone
			s.out = StepOutcome{Step: p.steps[i].name, Kind: KindCanceled, Use: UseOmitted}
		}
	}

	switch {
	case ctx.Err() == context.Canceled:
		p.finish(r, res, -1)
		res.Status = StatusClientClosedRequest
	case failed >= 0:
		p.finish(r, res, failed)
	default:
		p.finish(r, res, p.compose(r, res))
	}
	return res
}

// depsHaveResults reports whether every dependency of step k left a result
// or a fallback to work with.
func (p *Plan) depsHaveResults(r *run, k int) bool {
	for _, d := range p.steps[k].deps {
		if !r.slots[d].has {
			return false
		}
	}
	return true
}

// launch marks step i running from now and keeps it to run on Execute's
// goroutine (it returns i), handing the step kept before, if any, to a
// worker. A step's start (its timeout's and its duration's) is its launch,
// one clock reading for the steps launched together.
func (p *Plan) launch(ctx context.Context, r *run, kept, i int, d Doer, now time.Time) int {
	r.slots[i].state = slotRunning
	r.slots[i].start = now
	if kept >= 0 {
		p.start(ctx, r, kept, d)
	}
	return i
}

// start runs step i on a worker (see workers).
func (p *Plan) start(ctx context.Context, r *run, i int, d Doer) {
	j := &r.slots[i].job
	*j = stepJob{p: p, ctx: ctx, r: r, i: i, d: d}
	workers.run(j)
}

// runStep runs one step to its end and reports on r.done; sending is its
// last action, so that it ends before Execute does.
func (p *Plan) runStep(ctx context.Context, r *run, i int, d Doer) {
	st, s, e := p.steps[i], &r.slots[i], &r.env
	start := s.start
	var stepCtx *deadline.Ctx
	if st.timeout > 0 {
		stepCtx = deadline.Timeout(ctx, start.Add(st.timeout))
		ctx = stepCtx
	}
	var span trace.Span
	if p.opts.Tracer != nil {
		ctx, span = p.opts.Tracer.Start(ctx, st.spanName, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(
				attribute.String("portico.plan", p.name),
				attribute.String("portico.step", st.name),
				attribute.String("portico.service", st.service),
			))
	}

	var res callResult
	if err := ctx.Err(); err != nil {
		// The budget ran out or the client left before the step could start.
		kind, _, _ := classify(ctx, err)
		res = callResult{kind: kind, err: err}
	} else if st.forEach != nil {
		res = p.fanOut(ctx, st, s, e, d)
	} else {
		s.out.Calls = 1
		res = p.call(ctx, st, e, d, &s.head, &s.req)
	}
	if res.kind == KindOK && st.needTree {
		v, err := st.decode(*res.buf)
		if err != nil {
			p.putBuf(res.buf)
			res = callResult{kind: KindNotJSON, status: res.status, err: err}
		} else {
			s.value = v
			r.results[i] = v
		}
	}
	s.raw = res.buf
	s.out.Step, s.out.Kind, s.out.Status, s.out.Reason, s.out.Err = st.name, res.kind, res.status, res.reason, res.err
	s.out.Start = start.Sub(r.began)
	s.out.Duration = time.Since(start)
	if stepCtx != nil {
		stepCtx.Cancel()
	}
	if span != nil {
		span.SetAttributes(attribute.String("portico.outcome", string(res.kind)), attribute.Int("http.response.status_code", res.status))
		if res.kind != KindOK {
			span.SetStatus(codes.Error, string(res.kind))
		}
		span.End()
	}
	// A failure that fails the run (applyPolicy) ends the others' context
	// now, not when Execute's loop gets to it, which may be busy running a
	// step itself. It is reported first, so that the loop hears of it
	// before any step its end cancels: r is not touched after the send.
	run := r.cancel
	fails := res.kind != KindOK && st.policy == policyRequired
	r.done <- i
	if fails {
		run.Cancel()
	}
}

// decode decodes the part of a step's result that the plan reads.
func (st *step) decode(b []byte) (any, error) {
	if st.reads == nil {
		return decodeJSON(b)
	}
	return decodePartial(b, st.reads)
}

// settle applies step i's failure policy once it has ended; it reports
// false when a required step failed, which fails the route.
func (p *Plan) settle(r *run, i int) bool {
	s := &r.slots[i]
	s.state = slotDone
	if s.out.Kind == KindOK {
		s.has, s.out.Use = true, UseResult
		return true
	}
	return p.applyPolicy(r, i)
}

// applyPolicy handles the failure recorded in step i's outcome.
func (p *Plan) applyPolicy(r *run, i int) bool {
	st, s := p.steps[i], &r.slots[i]
	switch st.policy {
	case policyFallback:
		s.has, s.out.Use = true, UseFallback
		r.results[i] = st.fallbackTree
		return true
	case policyOptional:
		s.has, s.out.Use = false, UseOmitted
		return true
	}
	s.has, s.out.Use = false, UseOmitted
	return false
}
