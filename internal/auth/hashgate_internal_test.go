package auth

import (
	"fmt"
	"testing"
)

func TestHashSlots(t *testing.T) {
	const gib = 1 << 30
	for _, tc := range []struct {
		memory uint64
		memKiB uint32
		procs  int
		want   int
	}{
		{8 * gib, 19456, 2, 4},      // plenty of memory: twice the CPUs
		{8 * gib, 19456, 64, 107},   // 2 GiB / 19 MiB
		{256 << 20, 19456, 8, 3},    // 64 MiB / 19 MiB
		{64 << 20, 19456, 8, 2},     // the floor
		{0, 19456, 64, 13},          // unknown memory: 1 GiB assumed
		{8 * gib, 0, 3, 6},          // no memory cost: the ceiling
		{1 << 62, 1 << 31, 1, 2},    // huge numbers do not overflow
		{8 * gib, 256 * 1024, 1, 2}, // a 256 MiB cost
	} {
		t.Run(fmt.Sprintf("%d/%d/%d", tc.memory, tc.memKiB, tc.procs), func(t *testing.T) {
			if got := hashSlots(tc.memory, tc.memKiB, tc.procs); got != tc.want {
				t.Errorf("hashSlots(%d, %d, %d): got %d, want %d", tc.memory, tc.memKiB, tc.procs, got, tc.want)
			}
		})
	}
	if n := DefaultMaxConcurrentHashes(OWASPArgon2Params().MemoryKiB); n < 2 {
		t.Errorf("DefaultMaxConcurrentHashes: got %d, want at least 2", n)
	}
}
