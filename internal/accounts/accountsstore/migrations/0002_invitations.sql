-- Invitations and idempotency records. One text for SQLite and PostgreSQL,
-- as 0001: times are BIGINT microseconds since the Unix epoch, UTC; 0 is
-- "not set". Hashes are lower-case hex TEXT, the same on both backends.

CREATE TABLE invitations (
	id          TEXT   PRIMARY KEY,
	org_id      TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	email       TEXT   NOT NULL,
	-- email_key is the address in lower case (accounts.EmailKey), computed
	-- by the store: SQL's lower() differs between the two backends beyond
	-- ASCII.
	email_key   TEXT   NOT NULL,
	role        TEXT   NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
	status      TEXT   NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
	-- token_hash is the SHA-256 of the current token; the token itself is
	-- never stored.
	token_hash  TEXT   NOT NULL,
	invited_by  TEXT   NOT NULL,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	sent_at     BIGINT NOT NULL,
	expires_at  BIGINT NOT NULL,
	accepted_at BIGINT NOT NULL,
	accepted_by TEXT   NOT NULL,
	revoked_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX invitations_token_key ON invitations (token_hash);
-- At most one pending invitation per organization and address.
CREATE UNIQUE INDEX invitations_pending_email_key ON invitations (org_id, email_key) WHERE status = 'pending';
CREATE INDEX invitations_org_created_idx ON invitations (org_id, created_at, id);

CREATE TABLE idempotency_records (
	scope       TEXT   NOT NULL,
	idem_key    TEXT   NOT NULL,
	fingerprint TEXT   NOT NULL,
	resource_id TEXT   NOT NULL,
	created_at  BIGINT NOT NULL,
	expires_at  BIGINT NOT NULL,
	PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_records_expires_idx ON idempotency_records (expires_at);
