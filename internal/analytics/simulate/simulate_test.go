package simulate

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// testEnd is the end of the tests' traffic: a Tuesday noon, UTC.
var testEnd = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func testOptions() Options {
	return Options{
		Seed: 7, Start: testEnd.Add(-48 * time.Hour), End: testEnd, PeakViewers: 300,
		Integrations: []Target{
			{Key: "key-web", Origin: "https://www.acme.example", Weight: 2},
			{Key: "key-apps", Origin: "https://tv.acme.example", BundleID: "com.acme.tv"},
		},
		// 19:00 to 21:00 UTC the day before the end.
		LiveEvent: &LiveEvent{Start: testEnd.Add(-17 * time.Hour), Duration: 2 * time.Hour, Viewers: 2000, ContentID: "live/final"},
	}
}

func mustNew(tb testing.TB, o Options) *Simulator {
	tb.Helper()
	s, err := New(o)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return s
}

func collect(s *Simulator) []Batch {
	var out []Batch
	for b := range s.Batches {
		out = append(out, b)
	}
	return out
}

func TestSimulatorDeterministic(t *testing.T) {
	o := testOptions()
	o.Start = testEnd.Add(-6 * time.Hour)
	a, b := collect(mustNew(t, o)), collect(mustNew(t, o))
	if len(a) == 0 {
		t.Fatal("no batches")
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs of the same options differ")
	}
	o.Seed++
	if c := collect(mustNew(t, o)); reflect.DeepEqual(a, c) {
		t.Fatal("another seed made the same traffic")
	}
}

// A range inside another repeats its beacons exactly: re-seeding an
// overlapping range changes nothing in the service.
func TestSimulatorOverlappingRangesAgree(t *testing.T) {
	o := testOptions()
	o.Start = testEnd.Add(-8 * time.Hour)
	type key struct {
		session string
		seq     int64
	}
	outer := map[key]analytics.Beacon{}
	for b := range mustNew(t, o).Batches {
		for _, x := range b.Beacons {
			outer[key{x.SessionID, x.Sequence}] = x
		}
	}
	o.Start, o.End = testEnd.Add(-5*time.Hour), testEnd.Add(-2*time.Hour)
	n := 0
	for b := range mustNew(t, o).Batches {
		for _, x := range b.Beacons {
			n++
			if got, ok := outer[key{x.SessionID, x.Sequence}]; !ok || got != x {
				t.Fatalf("beacon %s/%d of the inner range: got %+v, want %+v", x.SessionID, x.Sequence, x, got)
			}
		}
	}
	if n == 0 {
		t.Fatal("the inner range has no beacons")
	}
}

func TestSimulatorPlausible(t *testing.T) {
	o := testOptions()
	s := mustNew(t, o)
	window := analytics.Window{Late: o.End.Sub(o.Start) + time.Minute}
	type sessionState struct {
		next  int64
		first time.Time
	}
	sessions := map[string]*sessionState{}
	var (
		total, seq0, withStartup, errorsSeen int
		played, buffered                     int64
		startups                             []int64
		live, longTail                       [2]int64 // p2p, cdn
		platforms                            = map[analytics.Platform]int{}
		networks                             = map[analytics.Network]int{}
		byCountryHour                        = map[string]*[24]int{}
		byMinute                             = map[time.Time]int{}
	)
	offsetOf := map[string]float64{}
	for _, c := range countries {
		offsetOf[c.code] = c.offset
		byCountryHour[c.code] = &[24]int{}
	}
	for b := range s.Batches {
		if len(b.Beacons) == 0 || len(b.Beacons) > DefaultBatchSize {
			t.Fatalf("a batch of %d beacons", len(b.Beacons))
		}
		if analytics.NormalizeCountry(b.Country) != b.Country || b.ISP == "" || b.Key == "" {
			t.Fatalf("batch country %q ISP %q key %q", b.Country, b.ISP, b.Key)
		}
		if (b.Origin == "") == (b.BundleID == "") {
			t.Fatalf("batch origin %q bundle id %q: want one of them", b.Origin, b.BundleID)
		}
		for i := range b.Beacons {
			x := &b.Beacons[i]
			total++
			if e := x.Validate(o.End, window); e != nil {
				t.Fatalf("beacon %+v: %v %s", x, e.Pointer, e.Message)
			}
			if x.Time.Before(o.Start) || !x.Time.Before(o.End) {
				t.Fatalf("beacon time %v outside [%v, %v)", x.Time, o.Start, o.End)
			}
			if x.SessionID != b.Beacons[0].SessionID {
				t.Fatal("a batch holds two sessions")
			}
			st := sessions[x.SessionID]
			switch {
			case st == nil:
				st = &sessionState{next: x.Sequence, first: x.Time}
				sessions[x.SessionID] = st
				if x.Sequence != 0 && x.Time.After(o.Start.Add(maxSession+time.Minute)) {
					t.Fatalf("session %s starts at seq %d at %v", x.SessionID, x.Sequence, x.Time)
				}
			case x.Sequence != st.next:
				t.Fatalf("session %s: got seq %d, want %d", x.SessionID, x.Sequence, st.next)
			}
			st.next++
			if x.Sequence == 0 {
				seq0++
				if x.StartupMS >= 0 {
					withStartup++
					startups = append(startups, x.StartupMS)
				}
			}
			if x.ErrorCode != "" {
				errorsSeen++
			}
			played += x.PlayedMS
			buffered += x.BufferedMS
			platforms[x.Platform]++
			networks[x.Network]++
			switch {
			case x.ContentID == o.LiveEvent.ContentID && x.Sequence > 0:
				live[0] += x.P2PBytes
				live[1] += x.CDNBytes
			case x.StreamType == analytics.StreamVOD && x.ContentID > "vod/title-0100":
				longTail[0] += x.P2PBytes
				longTail[1] += x.CDNBytes
			}
			if x.ContentID != o.LiveEvent.ContentID {
				byCountryHour[b.Country][int(localHour(x.Time, offsetOf[b.Country]))]++
			}
			byMinute[x.Time.Truncate(time.Minute)]++
		}
	}
	if want := s.Expected(); math.Abs(float64(total-want)) > 0.2*float64(want) {
		t.Errorf("got %d beacons, want about %d", total, want)
	}
	if got := float64(withStartup) / float64(seq0); got < 0.98 {
		t.Errorf("got %.3f of first beacons with a startup time, want at least 0.98", got)
	}
	slices.Sort(startups)
	if median := startups[len(startups)/2]; median < 500 || median > 3000 {
		t.Errorf("got a median startup of %d ms, want 500 to 3000", median)
	}
	if got := float64(buffered) / float64(played+buffered); got < 0.001 || got > 0.03 {
		t.Errorf("got a rebuffering ratio of %.4f, want 0.001 to 0.03", got)
	}
	if got := float64(errorsSeen) / float64(len(sessions)); got <= 0 || got > 0.03 {
		t.Errorf("got errors in %.4f of sessions, want rare but some", got)
	}
	if got := ratio(live); got < 0.4 || got > 0.85 {
		t.Errorf("got an offload of %.3f on the live event, want 0.4 to 0.85", got)
	}
	if got := ratio(longTail); got > 0.1 {
		t.Errorf("got an offload of %.3f on long-tail VoD, want at most 0.1", got)
	}
	for _, p := range []analytics.Platform{analytics.PlatformWeb, analytics.PlatformAndroid, analytics.PlatformIOS, analytics.PlatformTV} {
		if platforms[p] < total/20 {
			t.Errorf("platform %s has %d of %d beacons", p, platforms[p], total)
		}
	}
	if networks[analytics.NetworkCellular] == 0 || networks[analytics.NetworkWiFi] == 0 || networks[analytics.NetworkEthernet] == 0 {
		t.Errorf("networks %v: want cellular, wifi and ethernet", networks)
	}
	for code, hours := range byCountryHour {
		peak := 0
		for h := range hours {
			if hours[h] > hours[peak] {
				peak = h
			}
		}
		if peak < 18 || peak > 23 {
			t.Errorf("country %s peaks at %d:00 local time, want the evening", code, peak)
		}
	}
	// The event's height against the same minutes the day before.
	at := o.LiveEvent.Start.Add(90 * time.Minute)
	during, before := 0, 0
	for m := range 10 {
		during += byMinute[at.Add(time.Duration(m)*time.Minute)]
		before += byMinute[at.Add(time.Duration(m)*time.Minute-24*time.Hour)]
	}
	if during < 3*before {
		t.Errorf("got %d beacons in ten minutes of the event, %d the day before: want a spike", during, before)
	}
	t.Logf("%d beacons (expected %d), %d sessions, live offload %.3f, long-tail %.3f, rebuffering %.4f, event %d vs %d",
		total, s.Expected(), len(sessions), ratio(live), ratio(longTail), float64(buffered)/float64(played+buffered), during, before)
}

func ratio(pc [2]int64) float64 { return float64(pc[0]) / float64(pc[0]+pc[1]) }

func TestSimulatorBounded(t *testing.T) {
	o := testOptions()
	o.PeakViewers, o.MaxBeacons = 1_000_000, 5000
	s := mustNew(t, o)
	if s.Scale() >= 1 || s.Expected() > o.MaxBeacons {
		t.Fatalf("got scale %v, expected %d: want the audience cut to fit %d", s.Scale(), s.Expected(), o.MaxBeacons)
	}
	n := 0
	for b := range s.Batches {
		n += len(b.Beacons)
	}
	if n > o.MaxBeacons || n < o.MaxBeacons/2 {
		t.Fatalf("got %d beacons, want at most %d and near it", n, o.MaxBeacons)
	}
	// A consumer that stops stops the generator.
	seen := 0
	for range s.Batches {
		if seen++; seen == 3 {
			break
		}
	}
}

func TestSimulatorOptionsRefused(t *testing.T) {
	ok := testOptions()
	for name, change := range map[string]func(*Options){
		"no start":          func(o *Options) { o.Start = time.Time{} },
		"end before start":  func(o *Options) { o.End = o.Start },
		"range too long":    func(o *Options) { o.Start = o.End.Add(-MaxRange - time.Hour) },
		"no integration":    func(o *Options) { o.Integrations = nil },
		"no key":            func(o *Options) { o.Integrations = []Target{{Origin: "https://a.example"}} },
		"no origin":         func(o *Options) { o.Integrations = []Target{{Key: "k", BundleID: "com.a"}} },
		"negative weight":   func(o *Options) { o.Integrations = []Target{{Key: "k", Origin: "https://a.example", Weight: -1}} },
		"batch too large":   func(o *Options) { o.BatchSize = analytics.DefaultMaxBatchBeacons + 1 },
		"short heartbeat":   func(o *Options) { o.Heartbeat = time.Millisecond },
		"negative max":      func(o *Options) { o.MaxBeacons = -1 },
		"event without len": func(o *Options) { o.LiveEvent = &LiveEvent{Start: o.Start, Viewers: 10} },
		"event elsewhere":   func(o *Options) { o.LiveEvent = &LiveEvent{Start: o.Start, Duration: time.Hour, Integration: 5} },
	} {
		t.Run(name, func(t *testing.T) {
			o := ok
			change(&o)
			if _, err := New(o); err == nil {
				t.Fatal("got no error")
			}
		})
	}
}

// The wire form is what the service's decoder reads back.
func TestSimulatorEncodeBatchDecodes(t *testing.T) {
	o := testOptions()
	o.Start = testEnd.Add(-2 * time.Hour)
	checked := 0
	for b := range mustNew(t, o).Batches {
		got, refused, err := analytics.DecodeBatch(EncodeBatch(b.Beacons), analytics.BatchLimits{})
		if err != nil || len(refused) > 0 {
			t.Fatalf("DecodeBatch: %v %v", err, refused)
		}
		want := slices.Clone(b.Beacons)
		for i := range want {
			if want[i].Network == "" {
				want[i].Network = analytics.NetworkOther
			}
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("decoded %+v, want %+v", got[i], want[i])
			}
		}
		if checked++; checked == 500 {
			break
		}
	}
}

func BenchmarkSimulator(b *testing.B) {
	o := testOptions()
	o.Start = testEnd.Add(-24 * time.Hour)
	s := mustNew(b, o)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for batch := range s.Batches {
			n += len(batch.Beacons)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "beacons/s")
}

// In send order, the batches are Batches' own, each once, ordered by the
// time of their last beacon and, at the same time, in Batches' order.
func TestSimulatorSendOrder(t *testing.T) {
	o := testOptions()
	o.Start = testEnd.Add(-3 * time.Hour)
	for _, max := range []int{0, 5000} {
		o.MaxBeacons = max
		s := mustNew(t, o)
		made := collect(s)
		var sent []Batch
		for b := range s.BatchesInSendOrder {
			sent = append(sent, b)
		}
		if len(sent) != len(made) || len(made) < 100 {
			t.Fatalf("MaxBeacons %d: %d batches in send order, %d made", max, len(sent), len(made))
		}
		want := slices.Clone(made)
		last := func(b Batch) time.Time { return b.Beacons[len(b.Beacons)-1].Time }
		slices.SortStableFunc(want, func(a, b Batch) int { return last(a).Compare(last(b)) })
		if !reflect.DeepEqual(sent, want) {
			t.Fatalf("MaxBeacons %d: the batches in send order are not Batches' sorted by their last beacon", max)
		}
		if reflect.DeepEqual(sent, made) {
			t.Fatalf("MaxBeacons %d: send order is session order; the test shows nothing", max)
		}
	}
	// A consumer that stops gets no more.
	n := 0
	for range mustNew(t, o).BatchesInSendOrder {
		n++
		if n == 10 {
			break
		}
	}
}
