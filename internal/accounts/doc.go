// Package accounts is the accounts service's domain: organizations (the
// operator's customers and its own staff organization), memberships of
// identities in them with roles, and user profiles; the Store interface the
// service keeps them behind; and one error vocabulary (Error: a sentinel
// code and a message safe for clients).
//
// Identities themselves belong to the auth service. This package knows an
// identity only by its ID, an opaque string, so a change to the shape of
// identities needs no change here.
//
// This is the service's foundation: the domain and its store
// (accountsstore, with the conformance suite in accountstest). The service
// type, its HTTP handlers and its subcommand are planned.
package accounts
