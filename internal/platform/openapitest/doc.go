// Package openapitest checks, in tests, that an HTTP API is what its OpenAPI
// 3.1 document says: the routes a handler serves against the operations
// the document describes (Doc.CheckRoutes), every response a test sees
// against the response the document describes for its operation and
// status (Doc.CheckResponse), body validated against its JSON Schema
// (Draft 2020-12, the dialect of OpenAPI 3.1), and every request a test
// sends against the operation's parameters, security requirements and
// request body (Doc.CheckRequest), the operation found from the request's
// path by Doc.Match.
//
// It is for tests only: every check reports through testing.TB. A service's
// test helper that sends requests calls CheckResponse on each answer, so no
// test can see a response the document does not describe. A client that
// goes through the gateway wraps its transport to call Match, CheckRequest
// and CheckResponse on each exchange (cmd/portico's public API walk).
//
// Request validation is here rather than in kin-openapi (whose OpenAPI 3.1
// support is partial: its schemas are 3.0's) or libopenapi-validator (a
// second document model and its dependencies), because this package
// already validates with a JSON Schema 2020-12 implementation: one
// validator and one reading of a document for both directions, the same
// the services' handler tests use.
//
// Formats are asserted (a date-time must be RFC 3339, a uri a URI), which
// OpenAPI leaves optional: a test is the place to be strict.
package openapitest
