// Package observability builds the logging, metrics and tracing plumbing that
// every Portico component shares: a slog logger that stamps records with the
// request and trace ids and keeps secrets out of the output, a Prometheus
// registry with HTTP server metrics, and an OpenTelemetry tracer provider and
// W3C propagator. Nothing here is global: each component builds its own and
// passes it along.
package observability
