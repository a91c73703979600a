package main

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// benchOrg is the organization all generated traffic belongs to.
const benchOrg = "org_bench"

// beaconEvery is how often a generated session sends a beacon.
const beaconEvery = 10 * time.Second

var (
	integrations = []string{"int_web", "int_app", "int_tv"}
	platforms    = []analytics.Platform{analytics.PlatformWeb, analytics.PlatformWeb, analytics.PlatformAndroid,
		analytics.PlatformIOS, analytics.PlatformTV, analytics.PlatformOther}
	countries = []string{"FR", "DE", "US", "BR", "IN", "GB", "ES", "IT", "JP", "NG"}
	networks  = []analytics.Network{analytics.NetworkWiFi, analytics.NetworkWiFi, analytics.NetworkCellular,
		analytics.NetworkEthernet}
)

// traffic generates the sessions of one organization, in order of start
// time, and their beacons, as the store would have received them.
type traffic struct {
	rng      *rand.Rand
	from, to time.Time
	perSec   float64 // mean sessions starting per second
	next     time.Time
	n        int // sessions started
	left     int // beacons still to generate
}

// newTraffic returns traffic between from and to of at most beacons
// beacons (about as many over a span of whole days): sessions of 60 beacons (ten minutes) on average, more of them
// in the evening (UTC) than at night.
func newTraffic(seed uint64, from, to time.Time, beacons int) *traffic {
	sessions := float64(beacons) / 60
	return &traffic{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), from: from, to: to,
		perSec: sessions / to.Sub(from).Seconds(), next: from, left: beacons}
}

// session appends the beacons of the next session to out, or reports
// false once the sessions reach the end of the span.
func (t *traffic) session(out []analytics.Ingested) ([]analytics.Ingested, bool) {
	hour := float64(t.next.UTC().Hour()) + float64(t.next.UTC().Minute())/60
	cycle := 1 + 0.6*math.Sin((hour-14)/24*2*math.Pi) // peak at 20:00 UTC
	t.next = t.next.Add(time.Duration(t.rng.ExpFloat64() / (t.perSec * cycle) * float64(time.Second)))
	if !t.next.Before(t.to) || t.left <= 0 {
		return out, false
	}
	t.n++
	r := t.rng
	id := "s" + strconv.Itoa(t.n) + "-" + strconv.FormatUint(r.Uint64()%1e9, 36)
	length := 1 + int(r.ExpFloat64()*59)
	live := r.IntN(10) == 0
	content, stream := "vod-"+strconv.Itoa(int(r.ExpFloat64()*8)%40), analytics.StreamVOD
	if live {
		content, stream = "live-"+strconv.Itoa(r.IntN(2)), analytics.StreamLive
	}
	country := countries[int(r.ExpFloat64()*3)%len(countries)]
	base := analytics.Ingested{OrgID: benchOrg, IntegrationID: integrations[r.IntN(len(integrations))],
		Beacon: analytics.Beacon{SessionID: id, ContentID: content, StreamType: stream,
			Platform: platforms[r.IntN(len(platforms))], Player: "bench-player", SDKVersion: "1.4." + strconv.Itoa(r.IntN(3)),
			Network: networks[r.IntN(len(networks))], Country: country, ISP: country + "-isp" + strconv.Itoa(r.IntN(3))}}
	bitrate := int64(1_000_000 + r.IntN(4_000_000)) // bit/s
	offload := 0.3 + 0.6*r.Float64()
	erring := r.IntN(50) == 0
	for seq := range length {
		b := base
		b.Sequence = int64(seq)
		b.Time = t.next.Add(time.Duration(seq) * beaconEvery).Add(time.Duration(r.IntN(1000)) * time.Millisecond)
		if !b.Time.Before(t.to) || t.left <= 0 {
			break
		}
		t.left--
		b.ReceivedAt = b.Time.Add(time.Duration(100+r.IntN(900)) * time.Millisecond)
		b.BufferedMS = 0
		if r.IntN(20) == 0 {
			b.BufferedMS = int64(r.IntN(3000))
		}
		b.PlayedMS = beaconEvery.Milliseconds() - b.BufferedMS
		bytes := bitrate / 8 * b.PlayedMS / 1000
		b.P2PBytes = int64(float64(bytes) * offload)
		b.CDNBytes = bytes - b.P2PBytes
		b.UploadBytes = b.P2PBytes / 2
		b.StartupMS = -1
		if seq == 0 {
			b.StartupMS = int64(300 + r.ExpFloat64()*900)
		}
		if erring && seq == length/2 {
			b.ErrorCode = "MEDIA_ERR_DECODE"
		}
		out = append(out, b)
	}
	return out, true
}

// playerBatch is the largest batch size sent as players send beacons
// (playerBatches); larger batches hold whole sessions.
const playerBatch = 100

// players is how many sessions playerBatches interleaves.
const players = 500

// batches sends batches on ch until the traffic ends or done closes, then
// closes ch: of about size beacons (whole sessions), or under
// playerBatch, as players send them (playerBatches).
func (t *traffic) batches(size int, ch chan<- []analytics.Ingested, done <-chan struct{}) {
	if size < playerBatch {
		t.playerBatches(size, ch, done)
		return
	}
	defer close(ch)
	var cur []analytics.Ingested
	for {
		var more bool
		cur, more = t.session(cur)
		if len(cur) >= size || (!more && len(cur) > 0) {
			select {
			case ch <- cur:
			case <-done:
				return
			}
			cur = make([]analytics.Ingested, 0, size+60)
		}
		if !more {
			return
		}
	}
}

// playerBatches sends batches of at most size beacons of one session
// each, as players send them: a chunk of each of players sessions in
// turn, a new session taking the place of one that ended.
func (t *traffic) playerBatches(size int, ch chan<- []analytics.Ingested, done <-chan struct{}) {
	defer close(ch)
	var active [][]analytics.Ingested
	more := true
	for more || len(active) > 0 {
		for more && len(active) < players {
			var s []analytics.Ingested
			if s, more = t.session(nil); len(s) > 0 {
				active = append(active, s)
			}
		}
		next := active[:0]
		for _, s := range active {
			n := min(size, len(s))
			select {
			case ch <- s[:n:n]:
			case <-done:
				return
			}
			if len(s) > n {
				next = append(next, s[n:])
			}
		}
		active = next
	}
}
