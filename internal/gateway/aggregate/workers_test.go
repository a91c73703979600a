package aggregate

import (
	"sync"
	"testing"
	"time"
)

// idleWorkers returns how many workers wait for work, and whether the
// cleaning goroutine runs.
func (p *workerPool) idleWorkers() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle), p.cleaning
}

func TestWorkersReusedThenEnd(t *testing.T) {
	p := &workerPool{maxIdle: 50 * time.Millisecond}

	// Four jobs held at once need four workers.
	var started, release sync.WaitGroup
	hold := make(chan struct{})
	started.Add(4)
	release.Add(4)
	for range 4 {
		p.run(jobFunc(func() {
			defer release.Done()
			started.Done()
			<-hold
		}))
	}
	started.Wait()
	if n, _ := p.idleWorkers(); n != 0 {
		t.Fatalf("%d workers idle while all four hold a job", n)
	}
	close(hold)
	release.Wait()
	waitIdle(t, p, 4)

	// Jobs one after the other take an idle worker, the same one each time.
	for range 10 {
		done := make(chan struct{})
		p.run(jobFunc(func() { close(done) }))
		<-done
		waitIdle(t, p, 4)
	}

	// Idle for longer than maxIdle, every worker ends, and so does the
	// cleaning goroutine.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, cleaning := p.idleWorkers()
		if n == 0 && !cleaning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s, %d workers idle, cleaning %v", n, cleaning)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// A pool whose workers ended starts new ones.
	done := make(chan struct{})
	p.run(jobFunc(func() { close(done) }))
	<-done
	waitIdle(t, p, 1)
}

// waitIdle waits until n workers are idle: a worker goes back to the
// pool just after its job returns.
func waitIdle(t *testing.T, p *workerPool, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := p.idleWorkers()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d workers idle, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}
