package analyticsnats

import (
	"testing"
)

// FuzzDecodeBeacons: whatever a stream message holds, decoding it never
// panics, and what decodes encodes back to a message that decodes to the
// same beacons.
func FuzzDecodeBeacons(f *testing.F) {
	f.Add([]byte(`{"v":1,"org_id":"org_a","beacons":[{"integration_id":"int_1","session_id":"s","seq":0,"time":1}]}`), "1700000000000000")
	f.Add([]byte(`{"v":2,"org_id":"org_a"}`), "1")
	f.Add([]byte(`not json`), "x")
	f.Fuzz(func(t *testing.T, body []byte, receivedAt string) {
		beacons, err := decodeBeacons(body, receivedAt)
		if err != nil || len(beacons) == 0 {
			return
		}
		again, err := encodeBeacons(beacons[0].OrgID, beacons)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		round, err := decodeBeacons(again, receivedAt)
		if err != nil || len(round) != len(beacons) {
			t.Fatalf("decode of the re-encoding: %d beacons, %v; want %d", len(round), err, len(beacons))
		}
		for i := range round {
			if round[i] != beacons[i] {
				t.Fatalf("beacon %d: %+v after a round trip, want %+v", i, round[i], beacons[i])
			}
		}
	})
}
