package simulate

import (
	"math"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// maxSession is the longest session: a film, or a long live broadcast.
// Sessions that start up to maxSession before Options.Start are made so
// that the audience is in place at Start.
const maxSession = 3 * time.Hour

// Session lengths are log-normal: median and sigma of the logarithm.
var (
	vodLength   = lognormal{median: 14 * time.Minute, sigma: 1.0}
	liveLength  = lognormal{median: 18 * time.Minute, sigma: 0.9}
	eventLength = lognormal{median: 45 * time.Minute, sigma: 0.7}
)

type lognormal struct {
	median time.Duration
	sigma  float64
}

// mean is the distribution's mean (the cut at maxSession aside).
func (l lognormal) mean() time.Duration {
	return time.Duration(float64(l.median) * math.Exp(l.sigma*l.sigma/2))
}

// everydayMean is the mean length of an everyday session.
var everydayMean = time.Duration(liveShare*float64(liveLength.mean()) + (1-liveShare)*float64(vodLength.mean()))

// diurnal is the relative audience of a country at local hour h (0 to
// 24): a low night around 4:00, a midday bump, an evening peak at 21:00.
func diurnal(h float64) float64 {
	bump := func(centre, width float64) float64 {
		d := math.Abs(h - centre)
		d = math.Min(d, 24-d)
		return math.Exp(-d * d / (2 * width * width))
	}
	return 0.06 + 0.22*bump(13, 2.5) + 0.35*bump(18.5, 2) + 0.85*bump(21.2, 1.6)
}

// localHour is the hour of day of t in a country offset hours east of
// UTC.
func localHour(t time.Time, offset float64) float64 {
	h := math.Mod(float64(t.Unix())/3600+offset, 24)
	if h < 0 {
		h += 24
	}
	return h
}

// dayNorm is the largest sum over countries of share × diurnal in a day:
// the audience at the busiest minute, per viewer of PeakViewers.
func dayNorm() float64 {
	best := 0.0
	for m := 0; m < 24*60; m++ {
		t := time.Unix(int64(m)*60, 0)
		sum := 0.0
		for _, c := range countries {
			sum += c.share * diurnal(localHour(t, c.offset))
		}
		best = math.Max(best, sum)
	}
	return best
}

// eventRamp is the part of a live event's viewers watching at t: none
// before it, rising over its first fifth (at least ten minutes), all of
// them until it ends.
func eventRamp(e *LiveEvent, t time.Time) float64 {
	if e == nil || t.Before(e.Start) || !t.Before(e.Start.Add(e.Duration)) {
		return 0
	}
	rise := max(e.Duration/5, 10*time.Minute)
	x := float64(t.Sub(e.Start)) / float64(rise)
	if x >= 1 {
		return 1
	}
	return 0.1 + 0.9*x*x*(3-2*x) // smoothstep from a tenth
}

// zipf returns the normalised Zipf weights of n ranks with exponent s.
func zipf(n int, s float64) []float64 {
	w := make([]float64, n)
	sum := 0.0
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), s)
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

// offload is the P2P share of a player's download when peers other
// viewers watch the same content: a swarm helps more as it grows, a live
// one (everybody near the same segments) far more than a VoD one, and a
// cellular player shares less (the SDK keeps its radio for itself).
func offload(peers float64, live bool, n analytics.Network) float64 {
	ceiling, half := 0.62, 80.0
	if live {
		ceiling, half = 0.82, 25.0
	}
	peers = math.Max(peers-1, 0)
	off := ceiling * peers / (peers + half)
	switch n {
	case analytics.NetworkCellular:
		off *= 0.55
	case analytics.NetworkEthernet:
		off *= 1.03
	}
	return math.Min(off, 0.85)
}

// rungs are the ladder rungs a player uses on a network: the first
// rung, and how many above it.
func rungs(p analytics.Platform, n analytics.Network) (low, high int) {
	switch {
	case n == analytics.NetworkCellular:
		return 1, 3
	case n == analytics.NetworkEthernet || p == analytics.PlatformTV:
		return 3, 5
	}
	return 2, 4
}

// rebufferChance is the chance that a heartbeat's interval saw a stall.
func rebufferChance(n analytics.Network, rung int) float64 {
	p := 0.035
	switch n {
	case analytics.NetworkCellular:
		p = 0.09
	case analytics.NetworkEthernet:
		p = 0.012
	}
	return p * (1 + 0.15*float64(rung))
}

// The chances of errors: a start that fails (no first frame), and a
// fatal error later in a session.
const (
	failedStartChance = 0.004
	fatalErrorChance  = 0.006
)
