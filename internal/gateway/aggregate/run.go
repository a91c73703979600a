package aggregate

import (
	"context"
	"time"

	"github.com/portico-gw/portico/internal/platform/deadline"
)

// run is the state of one execution, recycled through the plan's pool.
type run struct {
	slots   []slot
	results []any    // raw results or fallbacks, by step, for references
	done    chan int // a step's index when its goroutine has finished; sized so sends never block
	queue   []int    // steps settled and not yet propagated
	began   time.Time
	env     env // the run's references: no step outlives the run
	// cancel is the run's context: a step on a worker whose failure
	// fails the run cancels it once it has reported, so that a step
	// running on Execute's own goroutine meanwhile stops as soon as the
	// loop would have stopped it.
	cancel *deadline.Ctx
}

// slotState is where a step is in one execution.
type slotState uint8

const (
	slotWaiting slotState = iota
	slotRunning
	slotDone
)

// slot is one step's part of a run. A step's goroutine writes its own
// slot's result fields and then sends its index on done; the goroutine
// running Execute reads them only after receiving it.
type slot struct {
	state   slotState
	pending int     // dependencies not yet settled
	raw     *[]byte // the raw result's bytes, from the plan's buffer pool
	value   any     // the decoded (then shaped) result, when the step needs it
	has     bool    // results[i] holds a result or a fallback for dependents
	out     StepOutcome
	job     stepJob  // the step handed to a worker
	head    Head     // the head of the step's answer
	req     outgoing // what the step's request holds, reused
	start   time.Time
}

// stepJob is a step to run on a worker: the arguments of runStep.
type stepJob struct {
	p   *Plan
	ctx context.Context
	r   *run
	i   int
	d   Doer
}

func (j *stepJob) work() { j.p.runStep(j.ctx, j.r, j.i, j.d) }

func newRun(n int) *run {
	return &run{
		slots:   make([]slot, n),
		results: make([]any, n),
		done:    make(chan int, n),
		queue:   make([]int, 0, n),
	}
}

func (p *Plan) getBuf() *[]byte {
	b := p.bufs.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

// maxPooledBuf keeps buffers grown by unusually large bodies out of the
// pool, so one large response does not pin its memory.
const maxPooledBuf = 256 << 10

func (p *Plan) putBuf(b *[]byte) {
	if b == nil || cap(*b) > maxPooledBuf {
		return
	}
	p.bufs.Put(b)
}

func (p *Plan) getRun() *run {
	return p.runs.Get().(*run)
}

// putRun releases a run's buffers and returns it to the pool.
func (p *Plan) putRun(r *run) {
	for i := range r.slots {
		s := &r.slots[i]
		p.putBuf(s.raw)
		h := s.req.header
		clear(h)
		*s = slot{}
		s.req.header = h
	}
	clear(r.results)
	r.queue = r.queue[:0]
	r.cancel = nil
	r.env = env{}
	p.runs.Put(r)
}
