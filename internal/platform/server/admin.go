package server

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/http/pprof"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portico-gw/portico/internal/platform/problem"
)

// DefaultReadyTimeout bounds the readiness checks of one /readyz request
// when AdminOptions.ReadyTimeout is zero.
const DefaultReadyTimeout = 2 * time.Second

// AdminOptions configures AdminHandler.
type AdminOptions struct {
	// Health decides /readyz; nil means ready whenever the process serves.
	Health *Health
	// Gatherer is exposed at /metrics; nil means no /metrics.
	Gatherer prometheus.Gatherer
	// Pprof mounts net/http/pprof under /debug/pprof/.
	Pprof bool
	// Extra maps ServeMux patterns to handlers mounted as they are, such
	// as a component's own admin pages. A pattern that conflicts with the
	// built-in ones makes AdminHandler panic, as http.ServeMux does.
	Extra map[string]http.Handler
	// ReadyTimeout bounds all readiness checks of one /readyz request;
	// zero means DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// Logger receives failed readiness checks with their errors and
	// metrics exposition errors; nil discards them.
	Logger *slog.Logger
}

// AdminHandler returns the handler of a component's admin listener:
//   - GET /healthz: 200 {"status":"ok"} while the process serves;
//   - GET /readyz: 200 {"status":"ready"} when Health is ready and every
//     check passes within ReadyTimeout, else a 503 problem of type
//     not-ready whose failed_checks member lists the failed checks by name
//     (their errors are logged, never sent);
//   - /metrics: Prometheus exposition, OpenMetrics when asked for;
//   - /debug/pprof/...: only when Pprof is set;
//   - the Extra patterns;
//   - anything else: a 404 problem.
func AdminHandler(o AdminOptions) http.Handler {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &admin{health: o.Health, timeout: orDuration(o.ReadyTimeout, DefaultReadyTimeout), logger: logger}

	mux := http.NewServeMux()
	mux.Handle("/healthz", getOnly(http.HandlerFunc(a.healthz)))
	mux.Handle("/readyz", getOnly(http.HandlerFunc(a.readyz)))
	if o.Gatherer != nil {
		mux.Handle("/metrics", getOnly(promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{
			EnableOpenMetrics: true,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
			ErrorHandling:     promhttp.ContinueOnError,
		})))
	}
	if o.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	for _, pattern := range slices.Sorted(maps.Keys(o.Extra)) {
		mux.Handle(pattern, o.Extra[pattern])
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, r, problem.NotFound("No admin endpoint at this path."))
	})
	return mux
}

type admin struct {
	health  *Health
	timeout time.Duration
	logger  *slog.Logger
}

func (a *admin) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, `{"status":"ok"}`)
}

func (a *admin) readyz(w http.ResponseWriter, r *http.Request) {
	if a.health == nil {
		writeJSON(w, http.StatusOK, `{"status":"ready"}`)
		return
	}
	if !a.health.Ready() {
		problem.Write(w, r, notReady("The component is starting or shutting down.", []string{}))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	failed := a.health.Check(ctx)
	if len(failed) == 0 {
		writeJSON(w, http.StatusOK, `{"status":"ready"}`)
		return
	}
	names := slices.Sorted(maps.Keys(failed))
	for _, name := range names {
		a.logger.WarnContext(r.Context(), "readiness check failed", "check", name, "err", failed[name])
	}
	problem.Write(w, r, notReady("Readiness checks failed: "+strings.Join(names, ", ")+".", names))
}

// notReady is the problem /readyz answers with; failed lists the failed
// checks by name.
func notReady(detail string, failed []string) *problem.Problem {
	return problem.Unavailable("not-ready", detail).With("failed_checks", failed)
}

// getOnly answers methods other than GET and HEAD with a 405 problem.
func getOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			problem.Write(w, r, problem.MethodNotAllowed("Use GET."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(body + "\n"))
}
