package simulate

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// generator is one run of Simulator.Batches: where its batches go and
// how many beacons it may still make.
type generator struct {
	s     *Simulator
	yield func(Batch) bool
	left  int
	stop  bool
}

// session makes one session of integration ti in country ci, started in
// the minute from slot, and yields its batches. Each session draws from
// its own stream, seeded by rng, so that where a session is cut (End, a
// stop) changes nothing of the others.
func (g *generator) session(rng *rand.Rand, ti, ci int, slot time.Time, event bool) {
	if g.stop {
		return
	}
	s, o := g.s, g.s.o
	r := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	// Players' clocks read milliseconds, as the batch document does.
	start := slot.Add(time.Duration(r.Int64N(60_000)) * time.Millisecond)
	c := &countries[ci]
	dev := &devices[pickIndex(r.Float64(), func(i int) float64 { return devices[i].share }, len(devices))]
	network := pick(dev.networks, r.Float64())
	b := analytics.Beacon{
		SessionID:  sessionID(r),
		Platform:   dev.platform,
		Player:     pick(dev.players, r.Float64()),
		SDKVersion: pick(sdkVersions, r.Float64()),
		Network:    network,
	}
	batch := Batch{Target: ti, Key: o.Integrations[ti].Key, Origin: o.Integrations[ti].Origin,
		Country: c.code, ISP: pick(c.isps, r.Float64())}
	if bundle := o.Integrations[ti].BundleID; bundle != "" && dev.platform != analytics.PlatformWeb {
		batch.Origin, batch.BundleID = "", bundle
	}

	// What it plays, and for how long.
	var length lognormal
	var popularity float64 // share of the integration's everyday audience
	switch {
	case event:
		b.ContentID, b.StreamType, length = o.LiveEvent.ContentID, analytics.StreamLive, eventLength
	case r.Float64() < liveShare:
		i := pickCum(s.liveCum, r.Float64())
		b.ContentID, b.StreamType, length = liveChannelIDs[i], analytics.StreamLive, liveLength
		popularity = liveShare * s.livePop[i]
	default:
		i := pickCum(s.vodCum, r.Float64())
		b.ContentID, b.StreamType, length = s.vodIDs[i], analytics.StreamVOD, vodLength
		popularity = (1 - liveShare) * s.vodPop[i]
	}
	dur := time.Duration(float64(length.median) * math.Exp(length.sigma*r.NormFloat64()))
	dur = min(max(dur, 20*time.Second), maxSession)
	if event {
		// Viewers leave when the broadcast ends, give or take a few
		// minutes of the studio.
		end := o.LiveEvent.Start.Add(o.LiveEvent.Duration + time.Duration(r.Int64N(int64(4*time.Minute))))
		dur = max(min(dur, end.Sub(start)), 20*time.Second)
	}

	// How it starts, and whether it fails.
	low, high := rungs(dev.platform, network)
	rung := low + r.IntN(high-low+1)
	startupMedian := dev.startupMedianMS * (1 + 0.06*float64(rung))
	if network == analytics.NetworkCellular {
		startupMedian *= 1.5
	}
	startup := int64(min(max(startupMedian*math.Exp(0.5*r.NormFloat64()), 120), 30_000))
	errorCode := ""
	switch u := r.Float64(); {
	case u < failedStartChance:
		// No first frame: one beacon that says so.
		errorCode, startup = pick(errorCodes, r.Float64()), -1
		dur = time.Duration(2+r.IntN(10)) * time.Second
	case u < failedStartChance+fatalErrorChance:
		errorCode = pick(errorCodes, r.Float64())
		dur = max(time.Duration(r.Float64()*float64(dur)), 20*time.Second)
	}

	dur = dur.Truncate(time.Millisecond)
	hb := o.Heartbeat.Truncate(time.Millisecond)
	beacons := int64((dur + hb - 1) / hb) // End may cut them short
	for seq := int64(0); ; seq++ {
		from := time.Duration(seq) * hb
		if from >= dur {
			break
		}
		to := min(from+hb, dur)
		at := start.Add(to)
		if !at.Before(o.End) {
			break
		}
		b := b // this beacon
		b.Sequence, b.Time, b.StartupMS = seq, at, -1
		interval := to.Milliseconds() - from.Milliseconds()
		played := interval
		if seq == 0 {
			b.StartupMS = startup
			played -= max(startup, 0)
		}
		if r.Float64() < rebufferChance(network, rung) {
			stall := int64(300 + 2200*r.ExpFloat64())
			b.BufferedMS = min(stall, interval/2)
			played -= b.BufferedMS
			if r.Float64() < 0.6 {
				rung = max(rung-1, low)
			}
		} else if r.Float64() < 0.08 {
			rung = min(rung+1, high)
		}
		played = max(played, 0)
		if startup < 0 {
			played = 0
		}
		b.PlayedMS = played
		// Bytes: the rung's bitrate for what was played, a little more
		// for the buffer ahead; the first beacon fills the buffer.
		bytes := float64(ladder[rung]) / 8 * float64(played) / 1000 * (0.98 + 0.08*r.Float64())
		if seq == 0 {
			bytes += float64(ladder[rung]) / 8 * 6
		}
		if startup < 0 {
			bytes = float64(20_000 + r.IntN(60_000)) // manifest and a segment's start
		}
		peers := popularity * s.audience(ti, at)
		if event {
			peers = s.eventViewers(at)
		}
		off := offload(peers, b.StreamType == analytics.StreamLive, network)
		share := off * (0.88 + 0.22*r.Float64())
		if seq == 0 {
			share *= 0.3 // the swarm is still being joined
		}
		total := int64(bytes)
		b.P2PBytes = int64(float64(total) * min(share, 0.9))
		b.CDNBytes = total - b.P2PBytes
		if network == analytics.NetworkWiFi || network == analytics.NetworkEthernet {
			b.UploadBytes = int64(bytes * off * (0.4 + 1.1*r.Float64()))
		}
		last := to == dur
		if last && errorCode != "" {
			b.ErrorCode = errorCode
		}
		if at.Before(o.Start) {
			continue
		}
		if !g.add(&batch, b, int(beacons-seq)) {
			return
		}
	}
	g.flush(&batch)
}

// add appends b to batch, yielding the batch when it is full; false when
// the run must stop. At most rest beacons of the session, b included,
// remain: a new batch has room for no more, as a session's last batch is
// seldom full.
func (g *generator) add(batch *Batch, b analytics.Beacon, rest int) bool {
	if batch.Beacons == nil {
		batch.Beacons = make([]analytics.Beacon, 0, min(g.s.o.BatchSize, rest, g.left))
	}
	batch.Beacons = append(batch.Beacons, b)
	g.left--
	if len(batch.Beacons) == g.s.o.BatchSize || g.left == 0 {
		g.flush(batch)
	}
	if g.left == 0 {
		g.stop = true
	}
	return !g.stop
}

// flush yields batch's beacons, if any.
func (g *generator) flush(batch *Batch) {
	if len(batch.Beacons) == 0 || g.stop {
		return
	}
	if !g.yield(*batch) {
		g.stop = true
	}
	batch.Beacons = nil
}

// sessionID makes a session id of 128 random bits.
func sessionID(r *rand.Rand) string {
	b := make([]byte, 0, 33)
	b = append(b, 's')
	for range 2 {
		v := r.Uint64()
		for i := 60; i >= 0; i -= 4 {
			b = append(b, "0123456789abcdef"[v>>uint(i)&0xf])
		}
	}
	return string(b)
}
