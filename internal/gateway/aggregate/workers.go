package aggregate

import (
	"sync"
	"time"
)

// workerIdle is how long a step worker waits for work before it ends.
const workerIdle = 10 * time.Second

// workers runs steps on goroutines kept between requests. A new
// goroutine's stack starts small and grows, copying itself, on its way
// down to the upstream's system calls; in a three-step composition that
// copying was about 8 % of the gateway's CPU. A worker that finished a
// step waits for the next one, the most recently used first, and ends
// after one to two workerIdle without work, so a burst's goroutines do not
// stay. Idle time is counted in the cleaner's ticks, not read from the
// clock, which costs a step nothing.
var workers workerPool

type workerPool struct {
	maxIdle time.Duration // workerIdle when zero

	mu       sync.Mutex
	idle     []*worker // waiting for work, the longest waiting first
	cleaning bool      // a goroutine ends the workers idle for too long
	tick     uint64    // the cleaner's ticks, every maxIdle
}

type worker struct {
	jobs  chan job // nil: end
	since uint64   // the tick in which it last became idle
}

// job is work for a worker. A step is handed over as its slot (see
// stepJob), which costs no allocation where a closure would.
type job interface{ work() }

// jobFunc is a function as a job.
type jobFunc func()

func (f jobFunc) work() { f() }

// run runs f on an idle worker, or on a new one when none is idle.
func (p *workerPool) run(f job) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.jobs <- f
		return
	}
	p.mu.Unlock()
	go p.work(&worker{jobs: make(chan job, 1)}, f)
}

// work runs f, then what run hands this worker, until told to end.
func (p *workerPool) work(w *worker, f job) {
	for f != nil {
		f.work()
		f = nil // not kept alive while idle
		p.mu.Lock()
		w.since = p.tick
		p.idle = append(p.idle, w)
		if !p.cleaning {
			p.cleaning = true
			go p.clean()
		}
		p.mu.Unlock()
		f = <-w.jobs
	}
}

// clean ends, every maxIdle, the workers that have been idle since before
// the last tick (for at least maxIdle), until none is idle.
func (p *workerPool) clean() {
	d := p.maxIdle
	if d == 0 {
		d = workerIdle
	}
	for {
		time.Sleep(d)
		p.mu.Lock()
		p.tick++
		n := 0
		for n < len(p.idle) && p.idle[n].since+1 < p.tick {
			p.idle[n].jobs <- nil // buffered: the worker is waiting
			n++
		}
		rest := copy(p.idle, p.idle[n:])
		clear(p.idle[rest:])
		p.idle = p.idle[:rest]
		if len(p.idle) == 0 {
			p.cleaning = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
}
