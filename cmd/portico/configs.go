package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/configs/configshttp"
	"github.com/portico-gw/portico/internal/configs/configsstore"
	"github.com/portico-gw/portico/internal/platform/observability"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// configsDBFile is the configs service's default SQLite database in the
// data directory.
const configsDBFile = "configs.db"

const configsUsage = `usage: portico configs [flags]

Runs the configs service: integrations (the sites and apps that use the
player SDK), their allowed domains and bundle ids, delivery keys, versioned
delivery settings with diff and restore, and the audit trail of their
changes (api/configs.yaml). Behind the gateway, which authenticates every
caller and forwards an internal token that this service verifies
(--auth-issuer, --auth-jwks-url); players fetch their settings from
GET /v1/sdk/config/{key}, served from memory. The analytics service resolves
delivery keys at /internal/v1/delivery-keys/{key}, admitted by its workload
token (--workload-issuer and the flags with it).

The admin listener serves /healthz, /readyz (the database answers) and
/metrics.

Flags (each may also be set by the environment variable named with it):
`

func runConfigs(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	fs := newFlagSet("configs", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), configsUsage)
		fs.PrintDefaults()
	}
	f := serviceFlags{name: "configs", defaultListen: "127.0.0.1:8083", defaultAdmin: "127.0.0.1:9093", dbFile: configsDBFile}
	f.define(fs, getenv)
	var poll string
	stringFlag(fs, getenv, &poll, "poll-interval", "PORTICO_CONFIGS_POLL_INTERVAL", configshttp.DefaultPollInterval.String(),
		"how often the SDK config served from memory checks the database for other replicas' changes (`duration`)")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	logger, err := observability.NewLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "portico configs:", err)
		return 1
	}
	s, err := f.settings()
	if err != nil {
		fmt.Fprintln(stderr, "portico configs:", err)
		return 1
	}
	every, err := time.ParseDuration(poll)
	if err != nil || every <= 0 {
		fmt.Fprintf(stderr, "portico configs: --poll-interval: %q is not a positive duration\n", poll)
		return 1
	}
	if s.workload, err = f.workload.guard(workload.Configs, logger); err != nil {
		fmt.Fprintln(stderr, "portico configs:", err)
		return 1
	}
	return runService(ctx, s, logger, configsBuild(configsOptions{pollInterval: every}))
}

// configsOptions are the configs service's own settings.
type configsOptions struct {
	pollInterval time.Duration
	// onService, when set, is given the service (portico all --demo).
	onService func(*configs.Service)
}

// configsBuild returns the build function of the configs service.
func configsBuild(o configsOptions) func(context.Context, serviceDeps) (serviceParts, error) {
	return func(ctx context.Context, d serviceDeps) (serviceParts, error) {
		store, err := configsstore.Open(ctx, d.db)
		if err != nil {
			return serviceParts{}, err
		}
		svc := configs.NewService(store, configs.WithLogger(d.logger))
		if o.onService != nil {
			o.onService(svc)
		}
		h, err := configshttp.NewHandler(svc, configshttp.Options{
			Verifier: d.verifier, Workload: d.workload, Logger: d.logger, PollInterval: o.pollInterval,
		})
		if err != nil {
			return serviceParts{}, err
		}
		if err := h.Load(ctx); err != nil {
			return serviceParts{}, fmt.Errorf("load the SDK configs: %w", err)
		}
		return serviceParts{handler: h, background: []func(context.Context){h.Run}}, nil
	}
}
