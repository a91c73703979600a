// Package api holds Portico's OpenAPI 3.1 documents: one per service
// (auth.yaml, accounts.yaml, configs.yaml, analytics.yaml), which each
// service's handler tests hold its routes and answers to, and portico.yaml,
// the public API as the gateway serves it.
//
// portico.yaml is generated, never edited: api/gen builds it from the
// gateway configuration portico all runs (cmd/portico/all-gateway.yaml) and
// the services' documents, so that a route added to the configuration or an
// operation changed in a service's document reaches it by running
//
//	go generate ./api/...
//
// A test of api/gen fails while the committed file differs from what the
// generator makes, and cmd/portico's public API test holds the running
// gateway to it: every route documented and every documented operation
// routed, and every request and answer of a walk through the public API
// valid against it.
package api

//go:generate go run ./gen
