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
// Service applies the permission rules to the Store for a Principal built
// from verified internal-token claims; accountsstore is the SQL store (with
// the conformance suite in accountstest) and accountshttp the HTTP API.
// The subcommand that wires them is planned.
package accounts
