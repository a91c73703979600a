package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticshttp"
	"github.com/portico-gw/portico/internal/analytics/analyticsnats"
	"github.com/portico-gw/portico/internal/analytics/analyticsstore"
	"github.com/portico-gw/portico/internal/platform/observability"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// analyticsDBFile is the analytics service's default SQLite database in
// the data directory.
const analyticsDBFile = "analytics.db"

// analyticsMaintainEvery is how often raw storage is prepared ahead and
// aged out.
const analyticsMaintainEvery = time.Hour

// analyticsCompactEvery is how often the rollup rows batches appended on
// PostgreSQL are merged besides the merges every
// analyticsstore.DefaultCompactEvery stored beacons call for, so that a
// store whose ingest went quiet is merged too.
const analyticsCompactEvery = time.Minute

const analyticsUsage = `usage: portico analytics [flags]
       portico analytics simulate [flags]   (demo traffic; -h for its flags)

Runs the analytics service: players' beacons in (POST /v1/beacons, public
through the gateway, identified by the integration's delivery key and
checked against its allowed domains), rollups by minute, hour and day, and
the metric queries of the dashboard (api/analytics.yaml; the formulas are in
docs/metrics.md). Delivery keys are resolved at the configs service
(--configs-url), presenting the workload token in --configs-token-file.
With --accounts-url, an organization at its plan's viewer cap gets beacons
that start sessions refused (over-cap) while sessions already playing go on.
Queries come through the gateway, whose internal tokens it verifies
(--auth-issuer, --auth-jwks-url).

Raw beacons are kept --raw-retention (viewers are exact within it, estimated
from HyperLogLog sketches beyond), minute rollups --minute-retention, hour
and day rollups for ever; beacons older than --late-window are
refused and counted. Country and ISP come from the request headers the edge
in front of the gateway sets (--country-header, --isp-header).

The admin listener serves /healthz, /readyz (the database answers) and
/metrics.

Flags (each may also be set by the environment variable named with it):
`

func runAnalytics(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "simulate" {
		return runSimulate(ctx, args[1:], getenv, stdout, stderr)
	}
	fs := newFlagSet("analytics", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), analyticsUsage)
		fs.PrintDefaults()
	}
	f := serviceFlags{name: "analytics", defaultListen: "127.0.0.1:8084", defaultAdmin: "127.0.0.1:9094", dbFile: analyticsDBFile}
	f.define(fs, getenv)
	var configsURL, configsTokenFile, accountsURL, accountsTokenFile, capRefresh, retention, minuteRetention, late, countryHeader, ispHeader,
		natsURL, natsWriters, natsFetch, natsStream, groupBeacons, groupWriters, groupQueue string
	stringFlag(fs, getenv, &configsURL, "configs-url", "PORTICO_CONFIGS_URL", "", "base `URL` of the configs service, which resolves delivery keys (required)")
	stringFlag(fs, getenv, &configsTokenFile, "configs-token-file", "PORTICO_ANALYTICS_CONFIGS_TOKEN_FILE", "", "`file` of the analytics service's workload token for the configs service (audience portico-configs), re-read when it changes (required)")
	stringFlag(fs, getenv, &accountsURL, "accounts-url", "PORTICO_ACCOUNTS_URL", "", "base `URL` of the accounts service, asked for each organization's plan viewer cap; unset, no cap applies")
	stringFlag(fs, getenv, &accountsTokenFile, "accounts-token-file", "PORTICO_ANALYTICS_ACCOUNTS_TOKEN_FILE", "", "`file` of the analytics service's workload token for the accounts service (audience portico-accounts), re-read when it changes")
	stringFlag(fs, getenv, &capRefresh, "viewer-cap-refresh", "PORTICO_ANALYTICS_VIEWER_CAP_REFRESH", analytics.DefaultCapRefresh.String(), "how often an organization's viewer cap and concurrent viewers are read again (`duration`)")
	stringFlag(fs, getenv, &retention, "raw-retention", "PORTICO_ANALYTICS_RAW_RETENTION", analytics.DefaultRawRetention.String(), "how long raw beacons are kept (`duration`)")
	stringFlag(fs, getenv, &minuteRetention, "minute-retention", "PORTICO_ANALYTICS_MINUTE_RETENTION", analytics.DefaultMinuteRetention.String(), "how long minute rollups are kept (`duration`; at least --raw-retention): concurrent viewers beyond the raw retention, and day edges in zones offset by half hours, need them")
	stringFlag(fs, getenv, &late, "late-window", "PORTICO_ANALYTICS_LATE_WINDOW", analytics.DefaultLateWindow.String(), "how old a beacon's event time may be (`duration`)")
	stringFlag(fs, getenv, &countryHeader, "country-header", "PORTICO_ANALYTICS_COUNTRY_HEADER", analyticshttp.DefaultCountryHeader, "request `header` holding the viewer's country, set by the edge")
	stringFlag(fs, getenv, &ispHeader, "isp-header", "PORTICO_ANALYTICS_ISP_HEADER", analyticshttp.DefaultISPHeader, "request `header` holding the viewer's ISP, set by the edge")
	stringFlag(fs, getenv, &natsURL, "nats-url", "PORTICO_ANALYTICS_NATS_URL", "", "NATS `URL` (JetStream): accepted beacons are published to a stream and written by --nats-writers consumers, here or in other replicas; unset, they are written to the database directly")
	stringFlag(fs, getenv, &natsStream, "nats-stream", "PORTICO_ANALYTICS_NATS_STREAM", analyticsnats.DefaultStream, "with --nats-url, the JetStream stream `name` (letters, digits, '-', '_'); deployments sharing a NATS server need one each")
	stringFlag(fs, getenv, &natsWriters, "nats-writers", "PORTICO_ANALYTICS_NATS_WRITERS", "1", "with --nats-url, how many stream consumers this replica runs (`n`; 0: it only publishes)")
	stringFlag(fs, getenv, &natsFetch, "nats-fetch", "PORTICO_ANALYTICS_NATS_FETCH", strconv.Itoa(analyticsnats.DefaultFetchBatch), "with --nats-url, the most batches a writer takes from the stream and writes in one transaction (`n`, 1 to 1000; the writers of all replicas hold at most 1000 at once)")
	stringFlag(fs, getenv, &groupBeacons, "group-beacons", "PORTICO_ANALYTICS_GROUP_BEACONS", strconv.Itoa(analytics.DefaultGroupBeacons), "the most beacons written in one transaction when requests arrive together: batches arriving while one is written go in the next (`n`; 0: each batch in its own)")
	stringFlag(fs, getenv, &groupQueue, "group-queue", "PORTICO_ANALYTICS_GROUP_QUEUE", "0", "with --group-beacons, the most beacons that wait to be written; a batch beyond it is answered 429 slow-down with Retry-After (`n`, at least --group-beacons; 0: twenty times --group-beacons)")
	stringFlag(fs, getenv, &groupWriters, "group-writers", "PORTICO_ANALYTICS_GROUP_WRITERS", strconv.Itoa(analytics.DefaultGroupWriters), "with --group-beacons, how many transactions of grouped batches run at once, each beyond the first for half a group at least (`n`)")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	logger, err := observability.NewLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "portico analytics:", err)
		return 1
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "portico analytics:", err)
		return 1
	}
	s, err := f.settings()
	if err != nil {
		return fail(err)
	}
	o := analyticsOptions{configsURL: configsURL, countryHeader: countryHeader, ispHeader: ispHeader, natsURL: natsURL}
	if o.natsWriters, err = strconv.Atoi(natsWriters); err != nil || o.natsWriters < 0 || o.natsWriters > 64 {
		return fail(fmt.Errorf("--nats-writers: %q is not a number from 0 to 64", natsWriters))
	}
	if o.natsFetch, err = strconv.Atoi(natsFetch); err != nil || o.natsFetch < 1 || o.natsFetch > analyticsnats.DefaultMaxAckPending {
		return fail(fmt.Errorf("--nats-fetch: %q is not a number from 1 to %d", natsFetch, analyticsnats.DefaultMaxAckPending))
	}
	if o.groupBeacons, err = strconv.Atoi(groupBeacons); err != nil || o.groupBeacons < 0 || o.groupBeacons > 100_000 {
		return fail(fmt.Errorf("--group-beacons: %q is not a number from 0 to 100000", groupBeacons))
	}
	if o.groupWriters, err = strconv.Atoi(groupWriters); err != nil || o.groupWriters < 1 || o.groupWriters > 64 {
		return fail(fmt.Errorf("--group-writers: %q is not a number from 1 to 64", groupWriters))
	}
	if o.groupQueue, err = strconv.Atoi(groupQueue); err != nil || o.groupQueue != 0 && (o.groupQueue < o.groupBeacons || o.groupQueue > 10_000_000) {
		return fail(fmt.Errorf("--group-queue: %q is not 0 or a number from --group-beacons (%d) to 10000000", groupQueue, o.groupBeacons))
	}
	if o.natsStream = natsStream; !validStreamName(natsStream) {
		return fail(fmt.Errorf("--nats-stream: %q is not 1 to 64 letters, digits, '-' or '_'", natsStream))
	}
	if configsURL == "" || configsTokenFile == "" {
		return fail(errors.New("--configs-url and --configs-token-file are required: delivery keys are resolved at the configs service"))
	}
	o.configsClient = workloadClient(workload.NewFileSource(configsTokenFile, 0))
	if (accountsURL == "") != (accountsTokenFile == "") {
		return fail(errors.New("--accounts-url and --accounts-token-file go together: the accounts service admits analytics by its workload token"))
	}
	if accountsURL != "" {
		o.accountsURL, o.accountsClient = accountsURL, workloadClient(workload.NewFileSource(accountsTokenFile, 0))
	}
	if o.capRefresh, err = time.ParseDuration(capRefresh); err != nil || o.capRefresh <= 0 {
		return fail(fmt.Errorf("--viewer-cap-refresh: %q is not a positive duration", capRefresh))
	}
	if o.rawRetention, err = time.ParseDuration(retention); err != nil || o.rawRetention <= 0 {
		return fail(fmt.Errorf("--raw-retention: %q is not a positive duration", retention))
	}
	if o.minuteRetention, err = time.ParseDuration(minuteRetention); err != nil || o.minuteRetention < o.rawRetention {
		return fail(fmt.Errorf("--minute-retention: %q is not a duration of at least --raw-retention", minuteRetention))
	}
	if o.lateWindow, err = time.ParseDuration(late); err != nil || o.lateWindow <= 0 {
		return fail(fmt.Errorf("--late-window: %q is not a positive duration", late))
	}
	if s.workload, err = f.workload.guard(workload.Analytics, logger); err != nil {
		return fail(err)
	}
	return runService(ctx, s, logger, analyticsBuild(o))
}

// analyticsOptions are the analytics service's own settings.
type analyticsOptions struct {
	configsURL    string
	configsClient *http.Client
	// accountsURL, when set, applies plans' viewer caps, read every
	// capRefresh with accountsClient.
	accountsURL              string
	accountsClient           *http.Client
	capRefresh               time.Duration
	rawRetention, lateWindow time.Duration
	minuteRetention          time.Duration
	countryHeader, ispHeader string
	// natsURL, when set, routes accepted beacons through JetStream, and
	// natsWriters consumers run in this process.
	natsURL, natsStream string
	natsWriters         int
	// natsFetch is how many messages a writer takes per transaction.
	natsFetch int
	// groupBeacons, when not zero, groups the batches written directly
	// (without natsURL) into transactions of up to that many beacons,
	// groupWriters of them at once.
	groupBeacons, groupWriters int
	// groupQueue bounds the beacons waiting for those writers.
	groupQueue int
	// onService, when set, is given the service (portico all --demo).
	onService func(*analytics.Service)
}

// validStreamName reports whether s can name a JetStream stream (and a
// subject token): 1 to 64 letters, digits, '-' and '_'.
func validStreamName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// analyticsBuild returns the build function of the analytics service.
func analyticsBuild(o analyticsOptions) func(context.Context, serviceDeps) (serviceParts, error) {
	return func(ctx context.Context, d serviceDeps) (serviceParts, error) {
		store, err := analyticsstore.Open(ctx, d.db)
		if err != nil {
			return serviceParts{}, err
		}
		keys, err := analytics.NewHTTPKeyResolver(analytics.KeyResolverOptions{URL: o.configsURL, Client: o.configsClient})
		if err != nil {
			return serviceParts{}, err
		}
		var ingestStore analytics.Store = store
		var background []func(context.Context)
		switch {
		case o.natsURL != "":
			pub, writers, err := analyticsStream(ctx, o, store, d)
			if err != nil {
				return serviceParts{}, err
			}
			ingestStore = analyticsnats.NewPublishingStore(pub, store)
			background = writers
		case o.groupBeacons > 0:
			ingestStore = analytics.NewGroupCommit(store, analytics.GroupOptions{MaxBeacons: o.groupBeacons, Writers: o.groupWriters, MaxQueued: o.groupQueue})
		}
		refused := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_analytics_beacons_refused_total",
			Help: "Beacons refused at ingest, by reason (api/analytics.yaml): a whole batch's counts each of its beacons."},
			[]string{"reason"})
		d.registry.MustRegister(refused)
		opts := []analytics.Option{analytics.WithRawRetention(o.rawRetention), analytics.WithLateWindow(o.lateWindow),
			analytics.WithMinuteRetention(o.minuteRetention), analytics.WithLogger(d.logger),
			analytics.WithRefusalCounter(func(reason string, n int) { refused.WithLabelValues(reason).Add(float64(n)) })}
		if o.accountsURL != "" {
			plans, err := analytics.NewHTTPPlanSource(o.accountsURL, o.accountsClient, 0)
			if err != nil {
				return serviceParts{}, err
			}
			opts = append(opts, analytics.WithViewerCaps(plans, o.capRefresh))
		}
		svc := analytics.NewService(ingestStore, analyticshttp.NewResolver(keys), opts...)
		if o.onService != nil {
			o.onService(svc)
		}
		h, err := analyticshttp.NewHandler(svc, analyticshttp.Options{
			Verifier: d.verifier, Workload: d.workload, Logger: d.logger,
			CountryHeader: o.countryHeader, ISPHeader: o.ispHeader,
		})
		if err != nil {
			return serviceParts{}, err
		}
		maintain := func(ctx context.Context) { maintainAnalytics(ctx, store, svc, d.logger) }
		return serviceParts{handler: h, background: append(background, maintain)}, nil
	}
}

// analyticsStream connects to NATS, provisions the beacon stream and
// returns its publisher and the runs of this replica's writers; the
// connection is drained when the last of them ends (or at once, with no
// writer, when the service stops).
func analyticsStream(ctx context.Context, o analyticsOptions, store analytics.Store, d serviceDeps) (*analyticsnats.Publisher, []func(context.Context), error) {
	nc, err := nats.Connect(o.natsURL, nats.Name("portico-analytics"), nats.MaxReconnects(-1))
	if err != nil {
		return nil, nil, fmt.Errorf("--nats-url: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	d.health.AddCheck("nats", func(context.Context) error {
		if !nc.IsConnected() {
			return errors.New("not connected to NATS")
		}
		return nil
	})
	no := analyticsnats.Options{Stream: o.natsStream, FetchBatch: o.natsFetch, Logger: d.logger, Metrics: streamMetrics(d.registry)}
	if o.natsStream != analyticsnats.DefaultStream {
		// Another stream, other subjects: streams may not share them.
		no.SubjectPrefix = "portico.analytics." + strings.ToLower(o.natsStream)
	}
	pub, err := analyticsnats.NewPublisher(ctx, js, no)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("beacon stream: %w", err)
	}
	var wg sync.WaitGroup
	runs := make([]func(context.Context), 0, o.natsWriters+1)
	for range o.natsWriters {
		w, err := analyticsnats.NewWriter(ctx, js, store, no)
		if err != nil {
			nc.Close()
			return nil, nil, fmt.Errorf("beacon stream writer: %w", err)
		}
		wg.Add(1)
		runs = append(runs, func(ctx context.Context) {
			defer wg.Done()
			if err := w.Run(ctx); err != nil {
				d.logger.Error("beacon stream writer stopped", slog.String("error", err.Error()))
			}
		})
	}
	runs = append(runs, func(ctx context.Context) {
		<-ctx.Done()
		wg.Wait()
		nc.Drain()
	})
	return pub, runs, nil
}

// streamMetrics counts what the beacon stream does, as Prometheus
// counters in reg.
func streamMetrics(reg prometheus.Registerer) analyticsnats.Metrics {
	published := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_analytics_stream_published_beacons_total",
		Help: "Beacons published to the stream, by whether the stream had the message already (a retried publish)."}, []string{"duplicate"})
	consumed := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_analytics_stream_consumed_beacons_total",
		Help: "Beacons the stream's writers inserted, by outcome: stored now, or already stored."}, []string{"outcome"})
	redelivered := prometheus.NewCounter(prometheus.CounterOpts{Name: "portico_analytics_stream_redelivered_messages_total",
		Help: "Stream messages delivered again (after a nak, an ack wait or a writer's crash)."})
	failed := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_analytics_stream_failures_total",
		Help: "Stream messages or batches that failed, by stage: publish, decode, store, ack."}, []string{"stage"})
	reg.MustRegister(published, consumed, redelivered, failed)
	return analyticsnats.Metrics{
		Published: func(beacons int, duplicate bool) {
			published.WithLabelValues(strconv.FormatBool(duplicate)).Add(float64(beacons))
		},
		Consumed: func(_, stored, duplicates int) {
			consumed.WithLabelValues("stored").Add(float64(stored))
			consumed.WithLabelValues("duplicate").Add(float64(duplicates))
		},
		Redelivered: func(messages int) { redelivered.Add(float64(messages)) },
		Failed:      func(stage string, n int) { failed.WithLabelValues(stage).Add(float64(n)) },
	}
}

// maintainAnalytics prepares raw storage for the days beacons may arrive
// in (PostgreSQL partitions) and drops what the raw retention no longer
// keeps, now and every analyticsMaintainEvery, and merges appended rollup
// rows every analyticsCompactEvery and whenever enough beacons were stored
// since the last merge (off the ingest requests' path), until ctx ends.
func maintainAnalytics(ctx context.Context, store *analyticsstore.Store, svc *analytics.Service, logger *slog.Logger) {
	go store.RunCompactions(ctx, analyticsCompactEvery, func(err error) {
		logger.Error("merge appended rollup rows", slog.String("error", err.Error()))
	})
	t := time.NewTicker(analyticsMaintainEvery)
	defer t.Stop()
	for {
		now := time.Now()
		w := svc.Window()
		if err := store.PrepareRaw(ctx, now.Add(-w.Late), now.Add(48*time.Hour)); err != nil && ctx.Err() == nil {
			logger.Error("prepare raw beacon storage", slog.String("error", err.Error()))
		}
		if err := store.DropRawBefore(ctx, svc.RawHorizon()); err != nil && ctx.Err() == nil {
			logger.Error("drop aged raw beacons", slog.String("error", err.Error()))
		}
		if err := store.DropMinuteRollupsBefore(ctx, svc.MinuteHorizon()); err != nil && ctx.Err() == nil {
			logger.Error("drop aged minute rollups", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
