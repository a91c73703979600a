package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/simulate"
)

const simulateUsage = `usage: portico analytics simulate --key KEY --origin URL [flags]

Makes realistic viewing traffic for integrations and posts it to a gateway's
POST /v1/beacons, as players would: sessions with a heartbeat every 30
seconds, daily cycles peaking in each country's evening, a live event with a
spike, VoD and live content, web, android, ios and tv players, countries and
ISPs, plausible P2P offload, rebuffering, startup times and rare errors.
The same --seed and range make the same traffic; sending it twice changes
nothing (beacons are idempotent).

The service refuses beacons older than its late window (48 hours by
default), so the range defaults to the last 24 hours and may start at most
--late-window ago. Country and ISP go in X-Client-Country and X-Client-ISP;
a gateway that removes a client's copies of them (portico all's does) stores
the beacons without country and ISP: 'portico all --demo' seeds its history
in process instead.

Flags:
`

// simulateDefaultWindow is the history simulated when no range is given:
// well within the service's default late window.
const simulateDefaultWindow = 24 * time.Hour

// listFlag is a flag given several times, or once with a comma list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func runSimulate(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	fs := newFlagSet("analytics simulate", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), simulateUsage)
		fs.PrintDefaults()
	}
	var (
		keys                                     listFlag
		gateway, origin, bundleID, from, to      string
		eventStart, order                        string
		seed                                     int64
		days, rate                               float64
		peak, maxBeacons, eventViewers, parallel int
		batchSize                                int
		eventDuration, lateWindow, heartbeat     time.Duration
		dryRun                                   bool
	)
	stringFlag(fs, getenv, &gateway, "gateway", "PORTICO_GATEWAY_URL", "http://127.0.0.1:8080", "the gateway's base `URL`")
	fs.Var(&keys, "key", "an integration's delivery `key` (repeat, or a comma list; required)")
	fs.StringVar(&origin, "origin", "", "the page `origin` players post from, an allowed domain of every integration (required)")
	fs.StringVar(&bundleID, "bundle-id", "", "the `app id` android, ios and tv players send instead of an origin (default: they send the origin)")
	fs.Int64Var(&seed, "seed", 1, "the `seed` of the traffic")
	fs.StringVar(&from, "from", "", "start of the range (RFC 3339; default: --to less --days)")
	fs.StringVar(&to, "to", "", "end of the range (RFC 3339; default now)")
	fs.Float64Var(&days, "days", 0, "length of the range in `days` when --from is not given (default 1)")
	fs.IntVar(&peak, "peak-viewers", simulate.DefaultPeakViewers, "concurrent viewers of a day's busiest minute, live event aside")
	fs.IntVar(&maxBeacons, "max-beacons", simulate.DefaultMaxBeacons, "the most beacons to make: the audience is scaled down to fit")
	fs.DurationVar(&heartbeat, "heartbeat", simulate.DefaultHeartbeat, "how often a player makes a beacon (at least 1s)")
	fs.IntVar(&batchSize, "batch-size", simulate.DefaultBatchSize, "the most beacons of one session a player posts at once")
	fs.StringVar(&eventStart, "event-start", "", "start of the live event (RFC 3339), or none (default: 5 hours before --to)")
	fs.DurationVar(&eventDuration, "event-duration", 2*time.Hour, "length of the live event")
	fs.IntVar(&eventViewers, "event-viewers", 0, "concurrent viewers of the live event at its height (default 3 × --peak-viewers)")
	fs.IntVar(&parallel, "concurrency", 8, "batches in flight at once (with --rate: at most)")
	fs.Float64Var(&rate, "rate", 0, "send at this many `beacons/s`, each batch when its time comes as players do, whether or not the ones before were answered (0: each batch as soon as one of --concurrency is answered)")
	fs.DurationVar(&lateWindow, "late-window", analytics.DefaultLateWindow, "the service's late window: how far back the range may start")
	fs.StringVar(&order, "order", "send", "the `order` batches go out in: send, as players post them (by the time of a batch's last beacon, all sessions under way mixed), or session, each session's batches together in the order sessions start")
	fs.BoolVar(&dryRun, "dry-run", false, "make the traffic and count it, without sending it")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	usageErr := func(msg string) int {
		fmt.Fprintln(stderr, "portico analytics simulate:", msg)
		return 2
	}
	if len(keys) == 0 || origin == "" {
		return usageErr("--key and --origin are required")
	}
	if rate < 0 || math.IsNaN(rate) || math.IsInf(rate, 0) {
		return usageErr("--rate: want beacons per second, 0 or more")
	}
	if batchSize < 1 || heartbeat < time.Second {
		return usageErr("--batch-size must be at least 1 and --heartbeat at least 1s")
	}
	if order != "send" && order != "session" {
		return usageErr("--order: want send or session")
	}
	now := time.Now()
	o, err := simulateRange(now, from, to, days, lateWindow)
	if err != nil {
		return usageErr(err.Error())
	}
	for _, k := range keys {
		o.Integrations = append(o.Integrations, simulate.Target{Key: k, Origin: origin, BundleID: bundleID})
	}
	o.Seed, o.PeakViewers, o.MaxBeacons, o.Heartbeat, o.BatchSize = seed, peak, maxBeacons, heartbeat, batchSize
	if eventStart != "none" {
		start := o.End.Add(-5 * time.Hour)
		if eventStart != "" {
			if start, err = time.Parse(time.RFC3339, eventStart); err != nil {
				return usageErr("--event-start: want RFC 3339 or none")
			}
		}
		if eventViewers == 0 {
			eventViewers = 3 * peak
		}
		o.LiveEvent = &simulate.LiveEvent{Start: start, Duration: eventDuration, Viewers: eventViewers, ContentID: "live/event-" + start.UTC().Format("20060102")}
	}
	sim, err := simulate.New(o)
	if err != nil {
		return usageErr(err.Error())
	}
	fmt.Fprintf(stdout, "simulating %s to %s (seed %d): about %d beacons for %d integrations", o.Start.Format(time.RFC3339),
		o.End.Format(time.RFC3339), seed, sim.Expected(), len(keys))
	if sim.Scale() < 1 {
		fmt.Fprintf(stdout, ", the audience scaled by %.3f to fit --max-beacons", sim.Scale())
	}
	fmt.Fprintln(stdout)
	traffic := sim.BatchesInSendOrder
	if order == "session" {
		traffic = sim.Batches
	}
	if dryRun {
		batches, beacons := 0, 0
		for b := range traffic {
			batches++
			beacons += len(b.Beacons)
		}
		fmt.Fprintf(stdout, "dry run: %d beacons in %d batches, none sent\n", beacons, batches)
		return 0
	}
	sum, err := simulate.Send(ctx, traffic, simulate.HTTPDestination{URL: gateway}, simulate.SendOptions{Concurrency: parallel, Rate: rate})
	fmt.Fprintln(stdout, "sent", sum)
	switch {
	case err != nil:
		fmt.Fprintln(stderr, "portico analytics simulate:", err)
		return 1
	case sum.Failed > 0 || (sum.Beacons > 0 && sum.Accepted+sum.Duplicates == 0):
		fmt.Fprintln(stderr, "portico analytics simulate: the gateway stored none of it, or not all; see the summary")
		return 1
	}
	return 0
}

// simulateRange reads --from, --to and --days into the range of Options,
// within the service's late window before now.
func simulateRange(now time.Time, from, to string, days float64, late time.Duration) (simulate.Options, error) {
	var o simulate.Options
	o.End = now
	if to != "" {
		t, err := time.Parse(time.RFC3339, to)
		if err != nil {
			return o, errors.New("--to: want RFC 3339, such as 2026-03-10T12:00:00Z")
		}
		o.End = t
	}
	switch {
	case from != "" && days != 0:
		return o, errors.New("give --from or --days, not both")
	case from != "":
		t, err := time.Parse(time.RFC3339, from)
		if err != nil {
			return o, errors.New("--from: want RFC 3339, such as 2026-03-09T12:00:00Z")
		}
		o.Start = t
	case days < 0:
		return o, errors.New("--days must be positive")
	case days > 0:
		o.Start = o.End.Add(-time.Duration(days * float64(24*time.Hour)))
	default:
		o.Start = o.End.Add(-simulateDefaultWindow)
	}
	switch {
	case !o.End.After(o.Start):
		return o, errors.New("the range must end after it starts")
	case o.End.After(now.Add(analytics.DefaultClockSkew)):
		return o, errors.New("the range ends in the future, which the service refuses")
	case o.Start.Before(now.Add(-late)):
		return o, fmt.Errorf("the range starts more than --late-window (%s) ago: the service would refuse those beacons as too late", late)
	}
	return o, nil
}

// demoIntegration is an integration of the demo organization the traffic
// of `portico all --demo` goes to.
type demoIntegration struct {
	// Key is its delivery key; Origin one of its allowed domains as an
	// origin ("https://www.acme.example"); BundleID its app id, "" when
	// it has none.
	Key, Origin, BundleID string
	// Weight is its share of the audience relative to the others.
	Weight float64
}

// Bounds of the demo history: small enough to ingest in seconds into
// SQLite, large enough for a living dashboard.
const (
	demoPeakViewers = 80
	demoMaxBeacons  = 150_000
	// demoBatchSize is larger than a player's: a batch is one
	// transaction, and seeding is bound by their number (the service
	// takes up to analytics.DefaultMaxBatchBeacons at once).
	demoBatchSize = 200
)

// demoTraffic seeds the last 24 hours before now for the demo
// integrations, through ingest (the in-process analytics Service's
// Ingest, which keeps country and ISP), with a live event that ended
// three hours before now. Same seed and now, same history.
func demoTraffic(ctx context.Context, ingest func(context.Context, analytics.IngestRequest) (analytics.IngestResult, error),
	integrations []demoIntegration, seed int64, now time.Time) (simulate.Summary, *trafficTotals, error) {
	totals := newTrafficTotals()
	sum, err := seedTraffic(ctx, totals.counting(ingest), demoOptions(integrations, seed, now))
	return sum, totals, err
}

// trafficTotals are figures of ingested traffic computed from the beacons
// themselves as they are handed to analytics, not from anything analytics
// stores: what its answers, and the dashboard's figures, are checked
// against. Each (session, sequence) counts once, refused beacons not at all.
type trafficTotals struct {
	mu       sync.Mutex
	seen     map[beaconID]bool
	sessions map[string]bool
	cdn, p2p int64
}

type beaconID struct {
	session string
	seq     int64
}

func newTrafficTotals() *trafficTotals {
	return &trafficTotals{seen: map[beaconID]bool{}, sessions: map[string]bool{}}
}

// counting returns ingest, counting what it stores.
func (t *trafficTotals) counting(ingest func(context.Context, analytics.IngestRequest) (analytics.IngestResult, error)) func(context.Context, analytics.IngestRequest) (analytics.IngestResult, error) {
	return func(ctx context.Context, req analytics.IngestRequest) (analytics.IngestResult, error) {
		res, err := ingest(ctx, req)
		if err != nil {
			return res, err
		}
		refused := make(map[int]bool, len(res.Refused))
		for _, r := range res.Refused {
			refused[r.Index] = true
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		for i, b := range req.Beacons {
			at := i
			if req.Indexes != nil && i < len(req.Indexes) {
				at = req.Indexes[i]
			}
			id := beaconID{b.SessionID, b.Sequence}
			if refused[at] || t.seen[id] {
				continue
			}
			t.seen[id] = true
			t.sessions[b.SessionID] = true
			t.cdn += b.CDNBytes
			t.p2p += b.P2PBytes
		}
		return res, nil
	}
}

// attrs are the totals as log attributes.
func (t *trafficTotals) attrs() []any {
	t.mu.Lock()
	defer t.mu.Unlock()
	return []any{slog.Int("total_beacons", len(t.seen)), slog.Int("total_sessions", len(t.sessions)),
		slog.Int64("total_cdn_bytes", t.cdn), slog.Int64("total_p2p_bytes", t.p2p)}
}

// demoOptions are the options of the demo history.
func demoOptions(integrations []demoIntegration, seed int64, now time.Time) simulate.Options {
	o := simulate.Options{Seed: seed, Start: now.Add(-simulateDefaultWindow), End: now,
		PeakViewers: demoPeakViewers, MaxBeacons: demoMaxBeacons, BatchSize: demoBatchSize}
	for _, in := range integrations {
		o.Integrations = append(o.Integrations, simulate.Target{Key: in.Key, Origin: in.Origin, BundleID: in.BundleID, Weight: in.Weight})
	}
	o.LiveEvent = &simulate.LiveEvent{Start: now.Add(-5 * time.Hour), Duration: 2 * time.Hour, Viewers: 4 * demoPeakViewers,
		ContentID: "live/championship-final"}
	return o
}

// seedTraffic makes the traffic of o and ingests it in process.
func seedTraffic(ctx context.Context, ingest func(context.Context, analytics.IngestRequest) (analytics.IngestResult, error),
	o simulate.Options) (simulate.Summary, error) {
	sim, err := simulate.New(o)
	if err != nil {
		return simulate.Summary{}, fmt.Errorf("demo traffic: %w", err)
	}
	sum, err := simulate.Send(ctx, sim.Batches, simulate.IngestDestination{Ingester: simulate.IngestFunc(ingest)},
		simulate.SendOptions{Concurrency: 4})
	if err != nil {
		return sum, fmt.Errorf("demo traffic: %w", err)
	}
	return sum, nil
}
