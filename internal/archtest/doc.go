// Package archtest holds the tests that keep Portico's architecture what
// docs/architecture.md says it is: which packages may import which.
package archtest
