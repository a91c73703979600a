// Package auth holds the domain of Portico's auth service: identities,
// sessions, API keys and the audit log, the credential formats they use,
// password hashing, and the Store interface the service keeps them in. It
// knows neither HTTP nor SQL; authstore implements Store and authhttp
// serves the service.
package auth
