-- Password resets become the record of every reset request, for an address
-- an identity has or not, so that a request does the same work either way
-- and the limits per address and per client address can count them.
-- identity_id is NULL for an address no identity has (such a code never
-- works); account is the normalised address asked for and ip the client
-- address ('' when unknown); suppressed marks a request over the
-- per-address limit, which sent nothing and whose code never works.
-- Codes outstanding when this migration runs are dropped: they live 30
-- minutes, and a person whose code stops working asks for another.
-- Same conventions as 0001: BIGINT microseconds, hashes as 64 lower-case
-- hex characters.

DROP TABLE password_resets;

CREATE TABLE password_resets (
	id          TEXT    PRIMARY KEY,
	identity_id TEXT    REFERENCES identities (id) ON DELETE CASCADE,
	account     TEXT    NOT NULL,
	ip          TEXT    NOT NULL,
	token_hash  TEXT    NOT NULL CHECK (length(token_hash) = 64),
	created_at  BIGINT  NOT NULL,
	expires_at  BIGINT  NOT NULL CHECK (expires_at > created_at),
	used_at     BIGINT,
	suppressed  BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX password_resets_token_hash_key ON password_resets (token_hash);
CREATE INDEX password_resets_identity_idx ON password_resets (identity_id) WHERE used_at IS NULL;
CREATE INDEX password_resets_account_idx ON password_resets (account, created_at);
CREATE INDEX password_resets_ip_idx ON password_resets (ip, created_at);
CREATE INDEX password_resets_created_idx ON password_resets (created_at);
