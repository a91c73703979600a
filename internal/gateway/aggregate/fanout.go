package aggregate

import (
	"context"
	"fmt"
	"sync"
)

// fanOut calls st's service once per item of its ForEach array, at most
// st.concurrency at a time, and joins the answers into one JSON array in
// item order. The first failing item fails the step and cancels the calls
// still running.
func (p *Plan) fanOut(ctx context.Context, st *step, s *slot, e *env, d Doer) callResult {
	v, err := e.value(st.forEach)
	if err != nil {
		return callResult{kind: KindBadReference, err: err}
	}
	items, ok := v.([]any)
	if !ok {
		return callResult{kind: KindBadReference, err: &refError{ref: st.forEach, reason: fmt.Sprintf("is %s, not an array", jsonKind(v))}}
	}
	s.out.Items = len(items)
	if len(items) > st.maxItems {
		return callResult{kind: KindTooManyItems, err: fmt.Errorf("%d items, more than the cap of %d", len(items), st.maxItems)}
	}

	bufs := make([]*[]byte, len(items))
	ctx, cancel := context.WithCancel(ctx)
	var (
		mu    sync.Mutex
		next  int
		first callResult
		calls int
		wg    sync.WaitGroup
	)
	for range min(st.concurrency, len(items)) {
		wg.Add(1)
		workers.run(jobFunc(func() {
			defer wg.Done()
			ie := *e
			var h Head
			for {
				mu.Lock()
				k := next
				stop := k >= len(items) || first.err != nil || first.kind != ""
				if !stop {
					next++
					calls++
				}
				mu.Unlock()
				if stop {
					return
				}
				ie.item = items[k]
				res := p.call(ctx, st, &ie, d, &h, nil)
				if res.kind != KindOK {
					mu.Lock()
					if first.kind == "" {
						first = res
						cancel()
					}
					mu.Unlock()
					return
				}
				bufs[k] = res.buf
			}
		}))
	}
	wg.Wait()
	cancel()
	s.out.Calls = calls

	out := p.getBuf()
	if first.kind == "" {
		b := append(*out, '[')
		for k, buf := range bufs {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, *buf...)
		}
		*out = append(b, ']')
	}
	for _, buf := range bufs {
		p.putBuf(buf)
	}
	if first.kind != "" {
		p.putBuf(out)
		first.err = fmt.Errorf("item: %w", first.err)
		return first
	}
	return callResult{buf: out, kind: KindOK, status: 200}
}

// jsonKind names the JSON type of a decoded value, for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}
