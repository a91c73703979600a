package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticshttp"
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

const analyticsUsage = `usage: portico analytics [flags]

Runs the analytics service: players' beacons in (POST /v1/beacons, public
through the gateway, identified by the integration's delivery key and
checked against its allowed domains), rollups by minute, hour and day, and
the metric queries of the dashboard (api/analytics.yaml; the formulas are in
docs/metrics.md). Delivery keys are resolved at the configs service
(--configs-url), presenting the workload token in --configs-token-file.
Queries come through the gateway, whose internal tokens it verifies
(--auth-issuer, --auth-jwks-url).

Raw beacons are kept --raw-retention (viewers are exact within it, estimated
from HyperLogLog sketches beyond); beacons older than --late-window are
refused and counted. Country and ISP come from the request headers the edge
in front of the gateway sets (--country-header, --isp-header).

The admin listener serves /healthz, /readyz (the database answers) and
/metrics.

Flags (each may also be set by the environment variable named with it):
`

func runAnalytics(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	fs := newFlagSet("analytics", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), analyticsUsage)
		fs.PrintDefaults()
	}
	f := serviceFlags{name: "analytics", defaultListen: "127.0.0.1:8084", defaultAdmin: "127.0.0.1:9094", dbFile: analyticsDBFile}
	f.define(fs, getenv)
	var configsURL, configsTokenFile, retention, late, countryHeader, ispHeader string
	stringFlag(fs, getenv, &configsURL, "configs-url", "PORTICO_CONFIGS_URL", "", "base `URL` of the configs service, which resolves delivery keys (required)")
	stringFlag(fs, getenv, &configsTokenFile, "configs-token-file", "PORTICO_ANALYTICS_CONFIGS_TOKEN_FILE", "", "`file` of the analytics service's workload token for the configs service (audience portico-configs), re-read when it changes (required)")
	stringFlag(fs, getenv, &retention, "raw-retention", "PORTICO_ANALYTICS_RAW_RETENTION", analytics.DefaultRawRetention.String(), "how long raw beacons are kept (`duration`)")
	stringFlag(fs, getenv, &late, "late-window", "PORTICO_ANALYTICS_LATE_WINDOW", analytics.DefaultLateWindow.String(), "how old a beacon's event time may be (`duration`)")
	stringFlag(fs, getenv, &countryHeader, "country-header", "PORTICO_ANALYTICS_COUNTRY_HEADER", analyticshttp.DefaultCountryHeader, "request `header` holding the viewer's country, set by the edge")
	stringFlag(fs, getenv, &ispHeader, "isp-header", "PORTICO_ANALYTICS_ISP_HEADER", analyticshttp.DefaultISPHeader, "request `header` holding the viewer's ISP, set by the edge")
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
	o := analyticsOptions{configsURL: configsURL, countryHeader: countryHeader, ispHeader: ispHeader}
	if configsURL == "" || configsTokenFile == "" {
		return fail(errors.New("--configs-url and --configs-token-file are required: delivery keys are resolved at the configs service"))
	}
	o.configsClient = workloadClient(workload.NewFileSource(configsTokenFile, 0))
	if o.rawRetention, err = time.ParseDuration(retention); err != nil || o.rawRetention <= 0 {
		return fail(fmt.Errorf("--raw-retention: %q is not a positive duration", retention))
	}
	if o.lateWindow, err = time.ParseDuration(late); err != nil || o.lateWindow <= 0 {
		return fail(fmt.Errorf("--late-window: %q is not a positive duration", late))
	}
	if s.workload, err = f.workload.guard(workload.Analytics, logger); err != nil {
		return fail(err)
	}
	c, err := startService(ctx, s, logger, analyticsBuild(o))
	if err != nil {
		logger.Error("analytics did not start", slog.String("error", err.Error()))
		return 1
	}
	c.announce()
	if err := c.serve(ctx); err != nil {
		logger.Error("analytics stopped", slog.String("error", err.Error()))
		return 1
	}
	return 0
}

// analyticsOptions are the analytics service's own settings.
type analyticsOptions struct {
	configsURL               string
	configsClient            *http.Client
	rawRetention, lateWindow time.Duration
	countryHeader, ispHeader string
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
		svc := analytics.NewService(store, analyticshttp.NewResolver(keys),
			analytics.WithRawRetention(o.rawRetention), analytics.WithLateWindow(o.lateWindow), analytics.WithLogger(d.logger))
		h, err := analyticshttp.NewHandler(svc, analyticshttp.Options{
			Verifier: d.verifier, Workload: d.workload, Logger: d.logger,
			CountryHeader: o.countryHeader, ISPHeader: o.ispHeader,
		})
		if err != nil {
			return serviceParts{}, err
		}
		maintain := func(ctx context.Context) { maintainAnalytics(ctx, store, svc, d.logger) }
		return serviceParts{handler: h, background: []func(context.Context){maintain}}, nil
	}
}

// maintainAnalytics prepares raw storage for the days beacons may arrive
// in (PostgreSQL partitions) and drops what the raw retention no longer
// keeps, now and every analyticsMaintainEvery, until ctx ends.
func maintainAnalytics(ctx context.Context, store *analyticsstore.Store, svc *analytics.Service, logger *slog.Logger) {
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
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
