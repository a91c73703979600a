package configshttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// Defaults of Options.
const (
	// DefaultMaxBodyBytes caps request bodies: 1 MiB, room for a settings
	// document with a hundred properties and long ISP and site lists.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxPageLimit caps the limit query parameter of lists.
	DefaultMaxPageLimit = 100
	// DefaultPollInterval is how often Run asks the store whether another
	// replica changed something.
	DefaultPollInterval = 2 * time.Second
	// DefaultPruneInterval is how often Run deletes expired idempotency
	// records.
	DefaultPruneInterval = 10 * time.Minute
)

// Options configure a Handler. Verifier is required; the zero value of
// every other field is the default its comment names.
type Options struct {
	// Verifier checks the internal tokens the gateway forwards to the
	// /v1/orgs routes: the auth service's issuer and keys, audience
	// identity.InternalAudience.
	Verifier *identity.Verifier
	// Workload admits callers of /internal/ endpoints: the analytics
	// service only. Default: a Guard that trusts no workload issuer and
	// refuses every call.
	Workload *workload.Guard
	// MaxBodyBytes caps request bodies. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxPageLimit caps list page sizes, at most configs.MaxPageLimit.
	// Default DefaultMaxPageLimit.
	MaxPageLimit int
	// PollInterval is how often Run polls the store's revision and reloads
	// the SDK config snapshot when it moved. Default DefaultPollInterval.
	PollInterval time.Duration
	// PruneInterval is how often Run prunes expired idempotency records.
	// Default DefaultPruneInterval.
	PruneInterval time.Duration
	// AuditRetention, when positive, makes Run delete audit entries older
	// than it, at each prune. Default 0: the trail is kept.
	AuditRetention time.Duration
	// Logger receives refused and failed requests with the request id,
	// and failed polls. Default slog.Default().
	Logger *slog.Logger
}

// Handler serves the configs service's HTTP API.
type Handler struct {
	svc *configs.Service
	o   Options
	mux *http.ServeMux
	sdk sdkHeaders
}

// NewHandler returns a Handler serving svc with o, or an error when o has
// no Verifier or an out-of-range MaxPageLimit. It does not load the SDK
// config snapshot: call Load before serving (or Run, which loads it
// first); until then the SDK config endpoint answers 503.
func NewHandler(svc *configs.Service, o Options) (*Handler, error) {
	if o.Verifier == nil {
		return nil, errors.New("configshttp: a Verifier of internal tokens is required")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	switch {
	case o.MaxPageLimit == 0:
		o.MaxPageLimit = DefaultMaxPageLimit
	case o.MaxPageLimit < 0 || o.MaxPageLimit > configs.MaxPageLimit:
		return nil, fmt.Errorf("configshttp: max page limit %d is not 1 to %d", o.MaxPageLimit, configs.MaxPageLimit)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.PruneInterval <= 0 {
		o.PruneInterval = DefaultPruneInterval
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Workload == nil {
		g, err := workload.NewGuard(workload.GuardOptions{Name: workload.Configs, Logger: o.Logger})
		if err != nil {
			return nil, fmt.Errorf("configshttp: %w", err)
		}
		o.Workload = g
	}
	h := &Handler{svc: svc, o: o, mux: http.NewServeMux(), sdk: newSDKHeaders()}
	for _, rt := range h.routes() {
		h.mux.Handle(rt.pattern, rt.handler)
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Load loads the SDK config snapshot from the store. Call it once before
// serving, so that the first player requests find their integrations; an
// error means the store could not be read (or some integration's stored
// settings could not be made into responses, which the error names; the
// others are served).
func (h *Handler) Load(ctx context.Context) error { return h.svc.LoadSnapshot(ctx) }

// Run keeps the SDK config snapshot current and prunes expired records
// until ctx ends: it loads the snapshot if it was never loaded, then
// every PollInterval reloads it if the store's revision moved (another
// replica's change; this replica's own changes reload it at once), and
// every PruneInterval deletes expired idempotency records (and audit
// entries older than AuditRetention, when set). Failures are logged and
// retried at the next tick. It returns when ctx ends.
func (h *Handler) Run(ctx context.Context) {
	poll := time.NewTicker(h.o.PollInterval)
	defer poll.Stop()
	prune := time.NewTicker(h.o.PruneInterval)
	defer prune.Stop()
	h.poll(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
			h.poll(ctx)
		case <-prune.C:
			h.prune(ctx)
		}
	}
}

func (h *Handler) poll(ctx context.Context) {
	if _, err := h.svc.RefreshSnapshot(ctx); err != nil && ctx.Err() == nil {
		h.o.Logger.ErrorContext(ctx, "configs snapshot refresh failed", "error", err)
	}
}

func (h *Handler) prune(ctx context.Context) {
	if n, err := h.svc.PruneIdempotencyRecords(ctx); err != nil && ctx.Err() == nil {
		h.o.Logger.ErrorContext(ctx, "configs idempotency prune failed", "error", err)
	} else if n > 0 {
		h.o.Logger.InfoContext(ctx, "configs idempotency records pruned", "count", n)
	}
	if h.o.AuditRetention > 0 {
		if n, err := h.svc.PruneAuditEntries(ctx, h.o.AuditRetention); err != nil && ctx.Err() == nil {
			h.o.Logger.ErrorContext(ctx, "configs audit prune failed", "error", err)
		} else if n > 0 {
			h.o.Logger.InfoContext(ctx, "configs audit entries pruned", "count", n)
		}
	}
}

var _ http.Handler = (*Handler)(nil)
