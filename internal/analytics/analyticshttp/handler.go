package analyticshttp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// Defaults of Options.
const (
	// DefaultMaxBodyBytes caps the body of a beacon batch: 256 KiB holds
	// about a thousand beacons of typical size, more than the default
	// maximum batch.
	DefaultMaxBodyBytes = 256 << 10
	// DefaultCountryHeader and DefaultISPHeader are the request headers
	// the edge in front of the gateway sets with the viewer's country
	// (ISO 3166-1 alpha-2) and ISP, such as a Google Cloud load balancer's
	// custom request headers "X-Client-Country: {client_region}". They
	// are not X-Portico-* names, which the gateway removes from every
	// peer; the gateway's beacon route must instead remove a client's own
	// copies where no edge sets them (portico all's configuration does).
	DefaultCountryHeader = "X-Client-Country"
	DefaultISPHeader     = "X-Client-ISP"
)

// Options configure a Handler. Verifier is required; the zero value of
// every other field is the default its comment names.
type Options struct {
	// Verifier checks the internal tokens the gateway forwards to the
	// /v1/orgs routes: the auth service's issuer and keys, audience
	// identity.InternalAudience.
	Verifier *identity.Verifier
	// Workload admits callers of /internal/ endpoints. The service has
	// none yet; the field keeps its wiring the same as every other
	// service's. Default: a Guard that trusts no workload issuer.
	Workload *workload.Guard
	// MaxBodyBytes caps the body of a beacon batch: more is 413.
	// Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxBatch is how many beacons a batch may hold: more is 413 with
	// the reason too-many-beacons. It should not exceed the Service's
	// maximum (analytics.WithMaxBatch), which refuses the same way.
	// Default analytics.DefaultMaxBatchBeacons.
	MaxBatch int
	// CountryHeader and ISPHeader name the trusted request headers the
	// viewer's country and ISP are read from. They must be headers the
	// edge sets and the gateway never passes from a client. Default
	// DefaultCountryHeader and DefaultISPHeader.
	CountryHeader, ISPHeader string
	// Logger receives refused and failed requests with the request id.
	// Default slog.Default().
	Logger *slog.Logger
	// Now is the clock a batch is received by (the event-time window is
	// checked against it) and relative query timeframes end at. Default
	// time.Now.
	Now func() time.Time
}

// Handler serves the analytics service's HTTP API.
type Handler struct {
	svc *analytics.Service
	o   Options
	mux *http.ServeMux
}

// NewHandler returns a Handler serving svc with o, or an error when o has
// no Verifier or a negative limit.
func NewHandler(svc *analytics.Service, o Options) (*Handler, error) {
	if svc == nil {
		return nil, errors.New("analyticshttp: a Service is required")
	}
	if o.Verifier == nil {
		return nil, errors.New("analyticshttp: a Verifier of internal tokens is required")
	}
	if o.MaxBodyBytes < 0 || o.MaxBatch < 0 {
		return nil, fmt.Errorf("analyticshttp: negative limit (max body %d, max batch %d)", o.MaxBodyBytes, o.MaxBatch)
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = analytics.DefaultMaxBatchBeacons
	}
	if o.CountryHeader == "" {
		o.CountryHeader = DefaultCountryHeader
	}
	if o.ISPHeader == "" {
		o.ISPHeader = DefaultISPHeader
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workload == nil {
		g, err := workload.NewGuard(workload.GuardOptions{Name: workload.Analytics, Logger: o.Logger})
		if err != nil {
			return nil, fmt.Errorf("analyticshttp: %w", err)
		}
		o.Workload = g
	}
	h := &Handler{svc: svc, o: o, mux: http.NewServeMux()}
	for _, rt := range h.routes() {
		h.mux.Handle(rt.pattern, rt.handler)
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

var _ http.Handler = (*Handler)(nil)
