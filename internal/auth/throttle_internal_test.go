package auth

import (
	"fmt"
	"testing"
	"time"
)

func TestThrottleDelay(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{
		{0, 0}, {4, 0}, {5, time.Second}, {6, 2 * time.Second}, {7, 4 * time.Second},
		{13, 256 * time.Second}, {14, 5 * time.Minute}, {100, 5 * time.Minute}, {1 << 20, 5 * time.Minute},
	} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			if got := throttleDelay(tc.n, 5, time.Second, 5*time.Minute); got != tc.want {
				t.Errorf("throttleDelay(%d): got %v, want %v", tc.n, got, tc.want)
			}
		})
	}
}
