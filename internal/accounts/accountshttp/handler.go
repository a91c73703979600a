package accountshttp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// Defaults of Options.
const (
	// DefaultMaxBodyBytes caps request bodies: 64 KiB, room for the
	// largest profile (accounts.MaxPreferencesLen) and its JSON overhead.
	DefaultMaxBodyBytes = 64 << 10
	// DefaultMaxPageLimit caps the limit query parameter of lists.
	DefaultMaxPageLimit = 100
)

// Options configure a Handler. Verifier is required; the zero value of
// every other field is the default its comment names.
type Options struct {
	// Verifier checks the internal tokens the gateway forwards to /v1
	// routes: the auth service's issuer and keys, audience
	// identity.InternalAudience.
	Verifier *identity.Verifier
	// Workload admits callers of /internal/ endpoints: the auth service
	// only. Default: a Guard that trusts no workload issuer and refuses
	// every call.
	Workload *workload.Guard
	// MaxBodyBytes caps request bodies. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxPageLimit caps list page sizes, at most accounts.MaxPageLimit.
	// Default DefaultMaxPageLimit.
	MaxPageLimit int
	// Logger receives refused and failed requests with the request id.
	// Default slog.Default().
	Logger *slog.Logger
}

// Handler serves the accounts service's HTTP API.
type Handler struct {
	svc *accounts.Service
	o   Options
	mux *http.ServeMux
}

// NewHandler returns a Handler serving svc with o, or an error when o has
// no Verifier or an out-of-range MaxPageLimit.
func NewHandler(svc *accounts.Service, o Options) (*Handler, error) {
	if o.Verifier == nil {
		return nil, errors.New("accountshttp: a Verifier of internal tokens is required")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	switch {
	case o.MaxPageLimit == 0:
		o.MaxPageLimit = DefaultMaxPageLimit
	case o.MaxPageLimit < 0 || o.MaxPageLimit > accounts.MaxPageLimit:
		return nil, fmt.Errorf("accountshttp: max page limit %d is not 1 to %d", o.MaxPageLimit, accounts.MaxPageLimit)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Workload == nil {
		g, err := workload.NewGuard(workload.GuardOptions{Name: workload.Accounts, Logger: o.Logger})
		if err != nil {
			return nil, fmt.Errorf("accountshttp: %w", err)
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
