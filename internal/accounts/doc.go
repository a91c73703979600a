// Package accounts is the accounts service's domain: organizations (the
// operator's customers and its own staff organization), memberships of
// identities in them with roles, user profiles, and invitations; the Store
// interface the service keeps them behind; and one error vocabulary
// (Error: a sentinel code, a message safe for clients, and sometimes a
// reason).
//
// Identities themselves belong to the auth service. This package knows an
// identity only by its ID, an opaque string, so a change to the shape of
// identities needs no change here. It reaches the auth service through
// interfaces it defines: IdentityProvisioner creates the identity of a
// person who accepts an invitation without an account (package authclient
// implements it over HTTP), and the membership hook (WithMembershipHook)
// tells whoever wires the service of every committed membership change.
// The auth service does not need it: it reads memberships from this
// service on every credential exchange, so a removed or demoted member's
// tokens lose the old role within its cache times.
//
// Invitations. A manager invites an address with a role, never above
// their own (staff invite owners). The token, 256 bits from crypto/rand,
// is only in the mail (Mailer; LogMailer for local use); the store keeps
// its SHA-256 and finds invitations by it. Tokens expire
// (WithInvitationTTL), are replaced on resend (at most once per
// WithResendInterval), and are spent on acceptance, which makes the
// membership and marks the invitation accepted in one store transaction.
// Accepting without an account creates the identity with an idempotency
// key derived from the invitation, so a retry creates no second identity.
//
// Service applies the permission rules to the Store for a Principal built
// from verified internal-token claims; accountsstore is the SQL store (with
// the conformance suite in accountstest) and accountshttp the HTTP API.
// BootstrapStaff makes the staff organization and its first owner at
// start; `portico accounts` and `portico all` wire them.
package accounts
