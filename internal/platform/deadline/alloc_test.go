//go:build !race

// Allocation counts, which the race detector changes: .ci/run runs the
// packages with such files without it too.

package deadline

import (
	"context"
	"testing"
	"time"
)

// Timeout and Cancelable cost one allocation each; WithTimeout two.
func TestAllocations(t *testing.T) {
	parent := context.Background()
	if n := testing.AllocsPerRun(100, func() {
		c := Timeout(parent, time.Now().Add(time.Hour))
		c.Cancel()
	}); n != 1 {
		t.Errorf("Timeout: %v allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { Cancelable(parent).Cancel() }); n != 1 {
		t.Errorf("Cancelable: %v allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		_, cancel := WithTimeout(parent, time.Hour)
		cancel()
	}); n != 2 {
		t.Errorf("WithTimeout: %v allocations, want 2", n)
	}
}
