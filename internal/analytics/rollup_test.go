package analytics

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/axiomhq/hyperloglog"
)

// playerBeacons returns n beacons as a grouped insert of players' batches
// holds them: 10 beacons each of n/10 sessions, over a few contents,
// countries and platforms, within an hour.
func playerBeacons(n int) []Ingested {
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	platforms := []Platform{PlatformWeb, PlatformIOS, PlatformAndroid}
	out := make([]Ingested, 0, n)
	for s := 0; len(out) < n; s++ {
		start := t0.Add(time.Duration(rng.IntN(3000)) * time.Second)
		content, country, platform := fmt.Sprintf("c%d", rng.IntN(20)), []string{"FR", "DE", "US", "BR"}[rng.IntN(4)], platforms[rng.IntN(3)]
		for i := 0; i < 10 && len(out) < n; i++ {
			b := Ingested{OrgID: "org_1", IntegrationID: "int_1", ReceivedAt: t0,
				Beacon: Beacon{SessionID: fmt.Sprintf("session-%d", s), Sequence: int64(i + 1), Time: start.Add(time.Duration(i) * 10 * time.Second),
					ContentID: content, StreamType: StreamVOD, Platform: platform, Network: NetworkWiFi, Country: country, ISP: "isp",
					CDNBytes: rng.Int64N(1 << 20), P2PBytes: rng.Int64N(1 << 20), PlayedMS: 10000, StartupMS: -1}}
			if i == 0 {
				b.StartupMS = rng.Int64N(4000)
			}
			if rng.IntN(50) == 0 {
				b.ErrorCode = "E1"
			}
			out = append(out, b)
		}
	}
	return out
}

// TestRollupsRecompute: every row of Rollups equals a recomputation
// from the beacons of its key, the rows are sorted and no beacon is left
// out or counted twice.
func TestRollupsRecompute(t *testing.T) {
	bs := playerBeacons(3000)
	for _, l := range Levels {
		rows := Rollups(l, bs)
		total := int64(0)
		for i := range rows {
			r := &rows[i]
			if i > 0 && rows[i-1].Key.Compare(&r.Key) >= 0 {
				t.Fatalf("%s: row %d is not after row %d", l, i, i-1)
			}
			var want Sums
			var hist Histogram
			sessions, errSessions := NewSketch(), NewSketch()
			for j := range bs {
				b := &bs[j]
				if b.OrgID != r.Key.OrgID || !l.Bucket(b.Time).Equal(r.Key.Bucket) || b.IntegrationID != r.Key.IntegrationID ||
					b.ContentID != r.Key.ContentID || b.StreamType != r.Key.StreamType || b.Platform != r.Key.Platform ||
					b.Country != r.Key.Country || b.ISP != r.Key.ISP {
					continue
				}
				want.AddBeacon(&b.Beacon)
				if b.StartupMS >= 0 {
					hist[StartupBucket(b.StartupMS)]++
				}
				sessions.Insert([]byte(b.SessionID))
				if b.ErrorCode != "" {
					errSessions.Insert([]byte(b.SessionID))
				}
			}
			if r.Sums != want || r.Startup != hist || r.Sessions.Estimate() != sessions.Estimate() || estimateOf(r.ErrorSessions) != errSessions.Estimate() {
				t.Fatalf("%s row %v: got %+v, %d sessions, %d with errors; want %+v, %d, %d", l, r.Key, r.Sums,
					r.Sessions.Estimate(), estimateOf(r.ErrorSessions), want, sessions.Estimate(), errSessions.Estimate())
			}
			total += r.Sums.Beacons
		}
		if total != int64(len(bs)) {
			t.Fatalf("%s: the rows count %d beacons, want %d", l, total, len(bs))
		}
	}
}

// BenchmarkRollups measures the rows of every level for a grouped insert
// of players' batches (2,000 beacons of 200 sessions); per insert.
func BenchmarkRollups(b *testing.B) {
	bs := playerBeacons(2000)
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range Levels {
			Rollups(l, bs)
		}
	}
}

// estimateOf is sk's estimate, 0 for a nil sketch (a rollup's error
// sessions when none had an error).
func estimateOf(sk *hyperloglog.Sketch) uint64 {
	if sk == nil {
		return 0
	}
	return sk.Estimate()
}
