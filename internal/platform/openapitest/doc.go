// Package openapitest checks, in tests, that an HTTP API is what its OpenAPI
// 3.1 document says: the routes a handler serves against the operations
// the document describes (Doc.CheckRoutes), and every response a test sees
// against the response the document describes for its operation and
// status (Doc.CheckResponse), body validated against its JSON Schema
// (Draft 2020-12, the dialect of OpenAPI 3.1).
//
// It is for tests only: every check reports through testing.TB. A service's
// test helper that sends requests calls CheckResponse on each answer, so no
// test can see a response the document does not describe.
//
// Formats are asserted (a date-time must be RFC 3339, a uri a URI), which
// OpenAPI leaves optional: a test is the place to be strict.
package openapitest
