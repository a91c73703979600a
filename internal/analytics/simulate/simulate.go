package simulate

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// Batch is what one player posts at once: consecutive beacons of one
// session, for one integration, from one viewer's country and ISP.
type Batch struct {
	// Target is the index of the integration in Options.Integrations.
	Target int
	// Key is the integration's delivery key.
	Key string
	// Origin is the page the player posts from, "" when it is an app
	// that sends BundleID.
	Origin   string
	BundleID string
	// Country (ISO 3166-1 alpha-2) and ISP are the viewer's, as the edge
	// would tell the service.
	Country, ISP string
	// Beacons are the session's beacons in sequence order.
	Beacons []analytics.Beacon
}

// Request returns the batch as the analytics service ingests it.
func (b Batch) Request() analytics.IngestRequest {
	return analytics.IngestRequest{DeliveryKey: b.Key, Origin: b.Origin, BundleID: b.BundleID,
		Beacons: b.Beacons, Country: b.Country, ISP: b.ISP}
}

// Simulator makes the traffic its Options describe. It holds no state
// that Batches changes: Batches may run any number of times, and
// concurrently, with the same output.
type Simulator struct {
	o        Options
	first    time.Time // the first minute sessions start in
	minutes  int       // minutes from first to End
	perView  float64   // viewers per unit of share × diurnal
	scale    float64
	expected int
	// byCountry[m][c] is country c's share × diurnal weight in minute m
	// (from first); everyday[m] is their sum.
	byCountry [][]float64
	everyday  []float64
	share     []float64 // each integration's part of the audience
	vodCum    []float64 // cumulative popularity of the VoD titles
	liveCum   []float64 // and of the live channels
	vodPop    []float64
	livePop   []float64
	vodIDs    []string
}

// New returns a Simulator of o, or an error when o is incomplete or out
// of bounds.
func New(o Options) (*Simulator, error) {
	o, err := o.validate()
	if err != nil {
		return nil, err
	}
	s := &Simulator{o: o, scale: 1}
	s.first = o.Start.Add(-maxSession).Truncate(time.Minute)
	s.minutes = int((o.End.Sub(s.first) + time.Minute - 1) / time.Minute)
	total := 0.0
	for _, t := range o.Integrations {
		total += t.Weight
	}
	for _, t := range o.Integrations {
		s.share = append(s.share, t.Weight/total)
	}
	s.vodPop, s.livePop = zipf(vodTitles, vodZipfS), zipf(liveChannels, 1)
	s.vodCum, s.liveCum = cumulative(s.vodPop), cumulative(s.livePop)
	for i := range vodTitles {
		s.vodIDs = append(s.vodIDs, "vod/title-"+pad4(i+1))
	}
	s.perView = float64(o.PeakViewers) / dayNorm()
	s.byCountry, s.everyday = make([][]float64, s.minutes), make([]float64, s.minutes)
	for m := range s.minutes {
		t := s.first.Add(time.Duration(m)*time.Minute + 30*time.Second)
		s.byCountry[m] = make([]float64, len(countries))
		for ci, c := range countries {
			v := c.share * diurnal(localHour(t, c.offset))
			s.byCountry[m][ci] = v
			s.everyday[m] += v
		}
	}
	// Expected beacons: viewers watching in each minute of [Start, End),
	// one beacon per heartbeat each, plus the partial last beacon of
	// each session.
	perMinute := float64(time.Minute) / float64(o.Heartbeat)
	want := 0.0
	for m := range s.minutes {
		t := s.first.Add(time.Duration(m)*time.Minute + 30*time.Second)
		if t.Before(o.Start) {
			continue
		}
		viewers := s.perView*s.everyday[m] + s.eventViewers(t)
		arrivals := s.perView*s.everyday[m]/everydayMean.Minutes() + s.eventViewers(t)/eventLength.mean().Minutes()
		want += viewers*perMinute + arrivals
	}
	if limit := 0.97 * float64(o.MaxBeacons); want > limit {
		s.scale = limit / want
		s.perView *= s.scale
		want = limit
	}
	s.expected = int(math.Round(want))
	return s, nil
}

// Expected returns about how many beacons Batches makes.
func (s *Simulator) Expected() int { return s.expected }

// Scale returns the factor the audience was scaled by to fit
// Options.MaxBeacons: 1 when it was not.
func (s *Simulator) Scale() float64 { return s.scale }

// eventViewers is the live event's concurrent viewers at t.
func (s *Simulator) eventViewers(t time.Time) float64 {
	e := s.o.LiveEvent
	if e == nil {
		return 0
	}
	return s.scale * float64(e.Viewers) * eventRamp(e, t)
}

// audience is the everyday concurrent viewers of integration ti at t.
func (s *Simulator) audience(ti int, t time.Time) float64 {
	return s.perView * s.share[ti] * s.everyday[s.minute(t)]
}

// minute returns the index of t's minute from s.first, within bounds.
func (s *Simulator) minute(t time.Time) int {
	return min(max(int(t.Sub(s.first)/time.Minute), 0), s.minutes-1)
}

// Batches yields the batches of the traffic, session by session in the
// order the sessions start; the beacons of a session are in sequence
// order, and every event time is in [Start, End). It stops after
// Options.MaxBeacons beacons. A yielded batch is the caller's to keep.
func (s *Simulator) Batches(yield func(Batch) bool) {
	g := generator{s: s, yield: yield, left: s.o.MaxBeacons}
	s.generate(&g, nil)
}

// BatchesInSendOrder yields the same batches as Batches, in the order
// players send them: by the event time of a batch's last beacon (the
// moment the player posts it), batches of the same moment in Batches'
// order. Sessions overlap, so this is how a service sees live traffic:
// each moment's batches come from every session playing then, where
// Batches gives one session's whole life at once.
//
// It holds the batches of the sessions under way, not the traffic: a
// batch goes out as soon as no session yet to start can send before it.
func (s *Simulator) BatchesInSendOrder(yield func(Batch) bool) {
	q := &sendQueue{}
	g := generator{s: s, left: s.o.MaxBeacons, yield: func(b Batch) bool {
		q.push(b)
		return true
	}}
	stopped := false
	release := func(before time.Time) bool {
		for q.Len() > 0 && (before.IsZero() || q.next().Before(before)) {
			if !yield(q.pop()) {
				stopped = true
				return false
			}
		}
		return true
	}
	s.generate(&g, release)
	if !stopped {
		release(time.Time{}) // all that is left
	}
}

// generate makes the sessions minute by minute into g. Before the
// sessions of each minute, release (when not nil) is called with that
// minute's start: every batch those sessions and the later ones make is
// sent after it. release returns false to stop.
func (s *Simulator) generate(g *generator, release func(before time.Time) bool) {
	for m := 0; m < s.minutes && !g.stop; m++ {
		slot := s.first.Add(time.Duration(m) * time.Minute)
		if release != nil && !release(slot) {
			g.stop = true
			return
		}
		mid := slot.Add(30 * time.Second)
		rng := rand.New(rand.NewPCG(uint64(s.o.Seed), mix(uint64(slot.Unix()))))
		for ti := range s.o.Integrations {
			for ci := range countries {
				viewers := s.perView * s.share[ti] * s.byCountry[m][ci]
				n := poisson(rng, viewers/everydayMean.Minutes())
				for range n {
					g.session(rng, ti, ci, slot, false)
				}
			}
			if e := s.o.LiveEvent; e != nil && e.Integration == ti {
				n := poisson(rng, s.eventViewers(mid)/eventLength.mean().Minutes())
				for range n {
					ci := pickIndex(rng.Float64(), func(i int) float64 { return countries[i].share }, len(countries))
					g.session(rng, ti, ci, slot, true)
				}
			}
			if g.stop {
				return
			}
		}
	}
}

// cumulative returns the running sums of w.
func cumulative(w []float64) []float64 {
	c := make([]float64, len(w))
	sum := 0.0
	for i, v := range w {
		sum += v
		c[i] = sum
	}
	return c
}

// pickCum returns the index of u (uniform in [0, 1)) in cumulative
// weights c.
func pickCum(c []float64, u float64) int {
	i, _ := slices.BinarySearch(c, u*c[len(c)-1])
	return min(i, len(c)-1)
}

// pickIndex returns an index of n weighted by w, drawn with u.
func pickIndex(u float64, w func(int) float64, n int) int {
	total := 0.0
	for i := range n {
		total += w(i)
	}
	u *= total
	for i := range n {
		if u < w(i) {
			return i
		}
		u -= w(i)
	}
	return n - 1
}

// poisson draws from a Poisson distribution of mean lambda: exactly
// below 30, from the normal approximation above.
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda < 30 {
		limit, p := math.Exp(-lambda), 1.0
		for k := 0; ; k++ {
			p *= rng.Float64()
			if p <= limit {
				return k
			}
		}
	}
	return max(int(math.Round(lambda+math.Sqrt(lambda)*rng.NormFloat64())), 0)
}

// mix is SplitMix64's finaliser: neighbouring minutes seed unrelated
// streams.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func pad4(n int) string {
	b := []byte{'0', '0', '0', '0'}
	for i := 3; i >= 0 && n > 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}
