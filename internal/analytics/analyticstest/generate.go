package analyticstest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// resolver is the stand-in for the configs service: delivery keys to
// integrations.
type resolver map[string]analytics.Integration

func (r resolver) Resolve(_ context.Context, key string) (analytics.Integration, error) {
	in, ok := r[key]
	if !ok {
		return analytics.Integration{}, analytics.NewError(analytics.ErrNotFound, "no such delivery key")
	}
	return in, nil
}

// The integrations of the generated traffic: two organizations; an
// active, a bypassed and a disabled integration.
var testIntegrations = resolver{
	"key-a1": {ID: "int_a1", OrgID: "org_a", Status: analytics.StatusActive, Domains: []string{"a.example"}},
	"key-a2": {ID: "int_a2", OrgID: "org_a", Status: analytics.StatusBypassed, Domains: []string{"*.b.example"}, BundleIDs: []string{"com.example.tv"}},
	"key-a3": {ID: "int_a3", OrgID: "org_a", Status: analytics.StatusDisabled, Domains: []string{"a.example"}},
	"key-b1": {ID: "int_b1", OrgID: "org_b", Status: analytics.StatusActive, Domains: []string{"b1.example"}},
}

// batch is one generated request and what the test expects of it.
type batch struct {
	req analytics.IngestRequest
	// refused is the indexes the service must refuse, by reason; whole is
	// the reason of a refusal of the whole batch ("" when none).
	refused map[int]string
	whole   string
	// phase orders batches: every batch of phase 0 is ingested, in any
	// order and concurrently, before any of phase 1 (retries with another
	// payload, whose first-write-wins outcome must be known).
	phase int
}

// traffic is generated beacons and the batches that carry them.
type traffic struct {
	now     time.Time
	batches []batch
}

// generate makes random traffic ending at now: sessions of every
// integration over the late window, batches of one to five beacons,
// beacons on bucket and day boundaries, exact duplicates, retries with
// other payloads, duplicates within a batch, too-late, too-early and
// invalid beacons, and refused batches.
func generate(rng *rand.Rand, now time.Time, sessions int) traffic {
	tr := traffic{now: now}
	keys := []string{"key-a1", "key-a1", "key-a1", "key-a2", "key-a2", "key-b1", "key-a3"}
	contents := []string{"movie-1", "movie-2", "live-final", "clip-é"}
	platforms := []analytics.Platform{analytics.PlatformWeb, analytics.PlatformAndroid, analytics.PlatformIOS, analytics.PlatformTV}
	countries := []string{"FR", "DE", "us", ""}
	isps := []string{"Orange", "Free", "Comcast", ""}
	window := 47 * time.Hour
	for s := range sessions {
		key := keys[rng.IntN(len(keys))]
		in := testIntegrations[key]
		id := fmt.Sprintf("sess-%04d-%x", s, rng.Uint32())
		content := contents[rng.IntN(len(contents))]
		stream := analytics.StreamVOD
		if content == "live-final" {
			stream = analytics.StreamLive
		}
		platform := platforms[rng.IntN(len(platforms))]
		start := now.Add(-time.Duration(rng.Int64N(int64(window))))
		if rng.IntN(6) == 0 { // start just before a UTC day or hour boundary
			b := start.Truncate(time.Hour)
			if rng.IntN(2) == 0 {
				b = start.Truncate(24 * time.Hour)
			}
			if b = b.Add(-time.Duration(rng.IntN(90)) * time.Second); b.After(now.Add(-window)) {
				start = b
			}
		}
		n := 1 + rng.IntN(30)
		var beacons []analytics.Beacon
		at := start
		for seq := range n {
			b := analytics.Beacon{SessionID: id, Sequence: int64(seq), Time: at, ContentID: content, StreamType: stream,
				Platform: platform, Player: "hls.js/1.5.7", SDKVersion: "3.1.0", Network: analytics.NetworkWiFi,
				CDNBytes: rng.Int64N(5_000_000), P2PBytes: rng.Int64N(8_000_000), UploadBytes: rng.Int64N(1_000_000),
				PlayedMS: rng.Int64N(30_000), BufferedMS: 0, StartupMS: -1}
			if rng.IntN(5) == 0 {
				b.BufferedMS = rng.Int64N(4000)
			}
			if rng.IntN(4) == 0 {
				b.CDNBytes, b.P2PBytes = 0, 0
			}
			if seq == 0 && rng.IntN(8) != 0 {
				b.StartupMS = []int64{0, 49, 50, 999, 2000, 2001, 30000}[rng.IntN(7)]
				if rng.IntN(2) == 0 {
					b.StartupMS = rng.Int64N(6000)
				}
			}
			if rng.IntN(25) == 0 {
				b.ErrorCode = "MEDIA_ERR_DECODE"
			}
			beacons = append(beacons, b)
			at = at.Add(time.Duration(5+rng.IntN(70))*time.Second + time.Duration(rng.IntN(1000))*time.Millisecond)
			if at.After(now.Add(time.Minute)) {
				break
			}
		}
		for i := 0; i < len(beacons); {
			m := min(len(beacons)-i, 1+rng.IntN(5))
			bt := batch{req: analytics.IngestRequest{DeliveryKey: key, Beacons: append([]analytics.Beacon(nil), beacons[i:i+m]...),
				Country: countries[rng.IntN(len(countries))], ISP: isps[rng.IntN(len(isps))], ReceivedAt: now},
				refused: map[int]string{}}
			bt.req.Origin, bt.req.BundleID = origin(rng, in)
			if in.Status == analytics.StatusDisabled {
				bt.whole = analytics.ReasonDisabled
			}
			switch rng.IntN(40) {
			case 0:
				if bt.whole != "" {
					break
				}
				bt.req.Origin, bt.req.BundleID = "https://evil.example", ""
				bt.whole = analytics.ReasonOriginNotAllowed
			case 1:
				if bt.whole != "" {
					break
				}
				bt.req.DeliveryKey = "key-unknown"
				bt.whole = analytics.ReasonUnknownKey
			}
			if bt.whole == "" {
				spoil(rng, &bt, now)
			}
			tr.batches = append(tr.batches, bt)
			switch rng.IntN(8) {
			case 0: // an exact retry, in any order
				tr.batches = append(tr.batches, bt)
			case 1: // a retry with another payload, after the original
				r := bt
				r.req.Beacons = append([]analytics.Beacon(nil), bt.req.Beacons...)
				for j := range r.req.Beacons {
					if _, spoilt := bt.refused[j]; spoilt {
						continue // it stays refused for the same reason
					}
					r.req.Beacons[j].CDNBytes++
					r.req.Beacons[j].PlayedMS = rng.Int64N(1000)
				}
				r.req.Country = "ZZ"
				r.phase = 1
				tr.batches = append(tr.batches, r)
			}
			i += m
		}
	}
	rng.Shuffle(len(tr.batches), func(i, j int) { tr.batches[i], tr.batches[j] = tr.batches[j], tr.batches[i] })
	return tr
}

// origin returns an allowed Origin, or a bundle id for an app.
func origin(rng *rand.Rand, in analytics.Integration) (string, string) {
	if len(in.BundleIDs) > 0 && rng.IntN(3) == 0 {
		return "", in.BundleIDs[0]
	}
	d := in.Domains[0]
	if len(d) > 2 && d[:2] == "*." {
		return "https://player." + d[2:], ""
	}
	if rng.IntN(2) == 0 {
		return "https://www." + d + ":8443", ""
	}
	return "https://" + d, ""
}

// spoil makes some beacons of bt ones the service must refuse, or repeat
// within the batch.
func spoil(rng *rand.Rand, bt *batch, now time.Time) {
	switch rng.IntN(20) {
	case 0:
		bt.req.Beacons[0].Time = now.Add(-48*time.Hour - time.Duration(1+rng.IntN(3600))*time.Second)
		bt.refused[0] = analytics.ReasonTooLate
	case 1:
		bt.req.Beacons[0].Time = now.Add(5*time.Minute + time.Second)
		bt.refused[0] = analytics.ReasonTooEarly
	case 2:
		bt.req.Beacons[0].CDNBytes = -1
		bt.refused[0] = analytics.ReasonInvalid
	case 3:
		bt.req.Beacons = append(bt.req.Beacons, bt.req.Beacons[0]) // a duplicate within the batch
	}
}
