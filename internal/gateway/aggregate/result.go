package aggregate

import (
	"net/http"
	"strconv"

	"github.com/portico-gw/portico/internal/platform/problem"
)

// Result is the outcome of one Execute.
type Result struct {
	// Status is the response status: 200 when every required step
	// succeeded, the mapped status of the failed required step otherwise,
	// 400 for an unreadable caller body, or StatusClientClosedRequest.
	Status int
	// Body is the composed JSON when Problem is nil.
	Body []byte
	// Problem, when not nil, is the response; it names the failed step in
	// its "step", "kind" and "service" extension members.
	Problem *problem.Problem
	// Header holds the response's headers: OutcomeHeader, Server-Timing,
	// and with a Body, Content-Type, Content-Length and, when Partial,
	// Cache-Control: no-store.
	Header http.Header
	// Steps are the steps' outcomes in spec order.
	Steps []StepOutcome
	// Partial reports that some step failed; a partial response must never
	// be cached.
	Partial bool

	plan *Plan
	buf  *[]byte
}

func (p *Plan) getResult() *Result {
	res := p.results.Get().(*Result)
	res.plan = p
	if res.Header == nil {
		res.Header = make(http.Header, 4)
	}
	return res
}

// Release returns the Result's memory to its plan; the Result and its Body
// must not be used afterwards.
func (r *Result) Release() {
	p := r.plan
	if p == nil {
		return
	}
	p.putBuf(r.buf)
	clear(r.Header)
	clear(r.Steps)
	*r = Result{Header: r.Header, Steps: r.Steps[:0]}
	p.results.Put(r)
}

// Write sends the Result as the response to req. It writes nothing for
// StatusClientClosedRequest.
func (r *Result) Write(w http.ResponseWriter, req *http.Request) {
	if r.Status == StatusClientClosedRequest {
		return
	}
	h := w.Header()
	for k, v := range r.Header {
		h[k] = v
	}
	if r.Problem != nil {
		problem.Write(w, req, r.Problem)
		return
	}
	w.WriteHeader(r.Status)
	w.Write(r.Body)
}

// badBody makes r the answer to a caller body that is not JSON.
func (r *Result) badBody() {
	r.Status = http.StatusBadRequest
	r.Problem = problem.BadRequest("The request body is not valid JSON.")
}

// finish fills res from the run: the outcomes, the observer's reports, the
// outcome headers, and the status, the problem (when step failed is a
// required step that failed, or -1) or the success headers.
func (p *Plan) finish(r *run, res *Result, failed int) {
	for i := range r.slots {
		res.Steps = append(res.Steps, r.slots[i].out)
	}
	res.Partial = r.partial()
	if o := p.opts.Observer; o != nil {
		for i := range res.Steps {
			s := &res.Steps[i]
			o.StepDone(p.name, s.Step, s.Kind, s.Duration)
		}
	}
	// The headers set here take one string and one array of values
	// between them.
	scratch := p.getBuf()
	b := appendOutcomeHeader((*scratch)[:0], res.Steps)
	outcomeEnd := len(b)
	b = appendServerTiming(b, res.Steps)
	timingEnd := len(b)
	if failed < 0 {
		b = strconv.AppendInt(b, int64(len(res.Body)), 10)
	}
	all := string(b)
	*scratch = b
	p.putBuf(scratch)
	vals := make([]string, 5)
	vals[0], vals[1] = all[:outcomeEnd], all[outcomeEnd:timingEnd]
	res.Header[OutcomeHeader] = vals[0:1:1]
	res.Header["Server-Timing"] = vals[1:2:2]
	if failed >= 0 {
		o := &res.Steps[failed]
		res.Problem = failureProblem(p.steps[failed], o)
		res.Status = res.Problem.Status
		return
	}
	res.Status = http.StatusOK
	vals[2], vals[3], vals[4] = "application/json", all[timingEnd:], "no-store"
	res.Header["Content-Type"] = vals[2:3:3]
	res.Header["Content-Length"] = vals[3:4:4]
	if res.Partial {
		res.Header["Cache-Control"] = vals[4:5:5]
	}
}
