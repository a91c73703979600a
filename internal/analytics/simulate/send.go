package simulate

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// Destination is where Send delivers batches. Deliver returns what became
// of a batch's beacons; a *RetryableError when the batch may succeed if
// sent again (the service is unavailable, overloaded, unreachable); any
// other error when it will not.
type Destination interface {
	Deliver(ctx context.Context, b Batch) (Outcome, error)
}

// Outcome is what became of one batch: beacons stored, stored already,
// and refused by reason (a refusal of the whole batch counts each of its
// beacons under the batch's reason).
type Outcome struct {
	Accepted, Duplicates int
	Refused              map[string]int
}

// RetryableError is a delivery that may succeed later. After is how long
// the destination asked to wait (Retry-After), zero when it did not say.
type RetryableError struct {
	Err   error
	After time.Duration
}

func (e *RetryableError) Error() string { return "retryable: " + e.Err.Error() }
func (e *RetryableError) Unwrap() error { return e.Err }

// Defaults of SendOptions.
const (
	DefaultConcurrency      = 4
	DefaultRetries          = 5
	DefaultBackoff          = 200 * time.Millisecond
	DefaultMaxBackoff       = 10 * time.Second
	DefaultMaxFailedBatches = 10
)

// SendOptions tune Send; the zero value of each field is its default.
type SendOptions struct {
	// Concurrency is how many batches are in flight at once;
	// DefaultConcurrency when zero.
	Concurrency int
	// Retries is how many times a batch is sent again after a retryable
	// error; DefaultRetries when zero, none when negative.
	Retries int
	// Backoff is the wait before the first retry, doubled before each
	// next one up to MaxBackoff, with jitter; a Retry-After the
	// destination gives is honoured up to MaxBackoff. DefaultBackoff and
	// DefaultMaxBackoff when zero.
	Backoff, MaxBackoff time.Duration
	// MaxFailedBatches is how many batches may fail for good before Send
	// gives up: a gateway that is down fails them all, and there is no
	// point in waiting for each. DefaultMaxFailedBatches when zero.
	MaxFailedBatches int
	// Rate, when positive, paces the batches at that many beacons per
	// second, as players send theirs whether or not others were answered:
	// a batch is handed over when its time comes, at most Concurrency in
	// flight. Zero sends each batch as soon as one of Concurrency is free.
	Rate float64
}

func (o SendOptions) withDefaults() SendOptions {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	switch {
	case o.Retries == 0:
		o.Retries = DefaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxFailedBatches <= 0 {
		o.MaxFailedBatches = DefaultMaxFailedBatches
	}
	return o
}

// Summary counts what Send did.
type Summary struct {
	// Batches and Beacons are what was handed to the destination.
	Batches, Beacons int
	// Accepted beacons were stored; Duplicates were stored already.
	Accepted, Duplicates int
	// Refused counts refused beacons by reason.
	Refused map[string]int
	// FailedBatches and Failed count the batches, and their beacons,
	// that could not be delivered (after retries); LastError is the
	// error of the last of them.
	FailedBatches, Failed int
	LastError             string
	// Retries counts the sends again after a retryable error.
	Retries int
	// Elapsed is how long Send took.
	Elapsed time.Duration
	// Behind is, with a Rate, the most a batch was handed over after its
	// time: more than a moment means the destination did not keep up with
	// the rate (Concurrency batches were in flight).
	Behind time.Duration
	// P50 and P99 are the median and 99th percentile of a batch's
	// delivery, retries included.
	P50, P99 time.Duration
}

// RefusedTotal returns the refused beacons, every reason together.
func (s Summary) RefusedTotal() int {
	n := 0
	for _, v := range s.Refused {
		n += v
	}
	return n
}

// String says what happened in one line.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d beacons in %d batches", s.Beacons, s.Batches)
	if s.Elapsed > 0 {
		fmt.Fprintf(&b, " in %s (%.0f beacons/s)", s.Elapsed.Round(time.Millisecond), float64(s.Beacons)/s.Elapsed.Seconds())
	}
	fmt.Fprintf(&b, ": %d accepted, %d duplicates, %d refused", s.Accepted, s.Duplicates, s.RefusedTotal())
	if len(s.Refused) > 0 {
		parts := make([]string, 0, len(s.Refused))
		for _, r := range slices.Sorted(maps.Keys(s.Refused)) {
			parts = append(parts, fmt.Sprintf("%s %d", r, s.Refused[r]))
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, ", %d failed", s.Failed)
	if s.FailedBatches > 0 {
		fmt.Fprintf(&b, " in %d batches (last: %s)", s.FailedBatches, s.LastError)
	}
	fmt.Fprintf(&b, ", %d retries", s.Retries)
	if s.P50 > 0 {
		fmt.Fprintf(&b, ", delivery p50 %s p99 %s", s.P50.Round(100*time.Microsecond), s.P99.Round(100*time.Microsecond))
	}
	if s.Behind > 0 {
		fmt.Fprintf(&b, ", %s behind the rate", s.Behind.Round(time.Millisecond))
	}
	return b.String()
}

// result is one worker's report of one batch.
type result struct {
	beacons int
	out     Outcome
	err     error
	retries int
	took    time.Duration
}

// ErrGaveUp is what Send's error matches when too many batches failed.
var ErrGaveUp = errors.New("too many batches failed")

// Send delivers every batch of batches to dst, o.Concurrency at a time,
// retrying retryable failures, and counts what became of them. It
// returns when every batch is delivered or has failed, with a nil error;
// or early, with the summary so far, when ctx ends (ctx's error) or
// o.MaxFailedBatches batches failed (ErrGaveUp). No goroutine outlives
// the call: the calling goroutine reads batches and owns the summary;
// workers only deliver and report.
func Send(ctx context.Context, batches iter.Seq[Batch], dst Destination, o SendOptions) (Summary, error) {
	o = o.withDefaults()
	begin := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan Batch, o.Concurrency)
	results := make(chan result, o.Concurrency)
	done := make(chan struct{})
	for range o.Concurrency {
		go func() {
			defer func() { done <- struct{}{} }()
			for b := range jobs {
				t0 := time.Now()
				r := deliver(ctx, dst, b, o)
				r.took = time.Since(t0)
				results <- r
			}
		}()
	}
	sum := Summary{Refused: map[string]int{}}
	var failure error
	var took []time.Duration
	add := func(r result) {
		took = append(took, r.took)
		sum.Batches++
		sum.Beacons += r.beacons
		sum.Retries += r.retries
		if r.err != nil {
			if ctx.Err() != nil && errors.Is(r.err, ctx.Err()) {
				// Not the destination's failure: the run stopped.
				sum.Batches--
				sum.Beacons -= r.beacons
				return
			}
			sum.FailedBatches++
			sum.Failed += r.beacons
			sum.LastError = r.err.Error()
			if sum.FailedBatches >= o.MaxFailedBatches && failure == nil {
				failure = fmt.Errorf("%w: %d, the last with %w", ErrGaveUp, sum.FailedBatches, r.err)
				cancel()
			}
			return
		}
		sum.Accepted += r.out.Accepted
		sum.Duplicates += r.out.Duplicates
		for reason, n := range r.out.Refused {
			sum.Refused[reason] += n
		}
	}
	var pace *time.Timer // with a Rate: fires when the next batch is due
	if o.Rate > 0 {
		pace = time.NewTimer(0)
		defer pace.Stop()
	}
	handed := 0 // beacons handed over
	for b := range batches {
		var due time.Time
		if pace != nil {
			due = begin.Add(time.Duration(float64(handed) / o.Rate * float64(time.Second)))
			pace.Reset(time.Until(due))
			waiting := true
			for waiting && ctx.Err() == nil {
				select {
				case <-pace.C:
					waiting = false
				case r := <-results:
					add(r)
				case <-ctx.Done():
				}
			}
			if ctx.Err() != nil {
				break
			}
			handed += len(b.Beacons)
		}
		queued := false
		for !queued && ctx.Err() == nil {
			select {
			case jobs <- b:
				queued = true
			case r := <-results:
				add(r)
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		if pace != nil {
			sum.Behind = max(sum.Behind, time.Since(due))
		}
	}
	close(jobs)
	for running := o.Concurrency; running > 0; {
		select {
		case r := <-results:
			add(r)
		case <-done:
			running--
		}
	}
	// A worker reports before it says it is done, and results has room
	// for every worker's report: nothing is left unread but what is
	// buffered.
	for len(results) > 0 {
		add(<-results)
	}
	sum.Elapsed = time.Since(begin)
	if len(took) > 0 {
		slices.Sort(took)
		sum.P50, sum.P99 = took[len(took)/2], took[len(took)*99/100]
	}
	if failure != nil {
		return sum, failure
	}
	return sum, context.Cause(ctx)
}

// deliver sends b to dst, again after each retryable failure.
func deliver(ctx context.Context, dst Destination, b Batch, o SendOptions) result {
	r := result{beacons: len(b.Beacons)}
	for attempt := 0; ; attempt++ {
		r.out, r.err = dst.Deliver(ctx, b)
		re, retryable := errors.AsType[*RetryableError](r.err)
		if !retryable || attempt >= o.Retries || ctx.Err() != nil {
			return r
		}
		wait := min(o.Backoff<<attempt, o.MaxBackoff)
		wait = time.Duration(float64(wait) * (0.5 + rand.Float64()))
		if re.After > 0 {
			wait = min(re.After, o.MaxBackoff)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			r.err = ctx.Err()
			return r
		case <-t.C:
		}
		r.retries++
	}
}

// refusedAll is the outcome of a batch refused as a whole.
func refusedAll(reason string, n int) Outcome {
	return Outcome{Refused: map[string]int{reason: n}}
}

// Ingester is what ingests beacon batches in process: an
// *analytics.Service.
type Ingester interface {
	Ingest(ctx context.Context, req analytics.IngestRequest) (analytics.IngestResult, error)
}

// IngestFunc is a function that is an Ingester.
type IngestFunc func(ctx context.Context, req analytics.IngestRequest) (analytics.IngestResult, error)

// Ingest calls f.
func (f IngestFunc) Ingest(ctx context.Context, req analytics.IngestRequest) (analytics.IngestResult, error) {
	return f(ctx, req)
}

// IngestDestination delivers batches to an Ingester in process, with
// their country and ISP (the trusted headers a gateway would set).
type IngestDestination struct {
	Ingester Ingester
}

// Deliver ingests b. A refusal of the whole batch (an *analytics.Error
// with a reason or a code) is an Outcome; other errors (the store's) are
// retryable.
func (d IngestDestination) Deliver(ctx context.Context, b Batch) (Outcome, error) {
	res, err := d.Ingester.Ingest(ctx, b.Request())
	if err != nil {
		if e, ok := errors.AsType[*analytics.Error](err); ok && e.Reason != "" {
			return refusedAll(e.Reason, len(b.Beacons)), nil
		}
		if code := analytics.Code(err); code != nil {
			return refusedAll(code.Error(), len(b.Beacons)), nil
		}
		if ctx.Err() != nil {
			return Outcome{}, ctx.Err()
		}
		return Outcome{}, &RetryableError{Err: err}
	}
	return outcomeOf(res.Accepted, res.Duplicates, res.Refused), nil
}

func outcomeOf(accepted, duplicates int, refused []analytics.Refusal) Outcome {
	out := Outcome{Accepted: accepted, Duplicates: duplicates}
	for _, r := range refused {
		if out.Refused == nil {
			out.Refused = map[string]int{}
		}
		out.Refused[r.Reason]++
	}
	return out
}

var (
	_ Destination = IngestDestination{}
	_ Ingester    = IngestFunc(nil)
	_ error       = (*RetryableError)(nil)
)
