-- Auth service schema. One text for SQLite and PostgreSQL:
-- timestamps are BIGINT microseconds since the Unix epoch, UTC (in psql:
-- to_timestamp(created_at / 1e6)); SHA-256 hashes are 64 lower-case hex
-- characters; lists of scopes and audit details are JSON text.

CREATE TABLE identities (
	id            TEXT   PRIMARY KEY,
	email         TEXT   NOT NULL,
	email_norm    TEXT   NOT NULL,
	status        TEXT   NOT NULL CHECK (status IN ('active', 'disabled')),
	password_hash TEXT   NOT NULL,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX identities_email_norm_key ON identities (email_norm);
CREATE INDEX identities_created_idx ON identities (created_at, id);

CREATE TABLE sessions (
	id              TEXT   PRIMARY KEY,
	identity_id     TEXT   NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
	token_hash      TEXT   NOT NULL CHECK (length(token_hash) = 64),
	created_at      BIGINT NOT NULL,
	last_seen_at    BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL,
	idle_expires_at BIGINT NOT NULL CHECK (idle_expires_at <= expires_at),
	user_agent      TEXT   NOT NULL,
	ip              TEXT   NOT NULL,
	revoked_at      BIGINT
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_identity_created_idx ON sessions (identity_id, created_at, id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE api_keys (
	id           TEXT   PRIMARY KEY,
	org_id       TEXT   NOT NULL,
	identity_id  TEXT   NOT NULL REFERENCES identities (id),
	name         TEXT   NOT NULL,
	secret_hash  TEXT   NOT NULL CHECK (length(secret_hash) = 64),
	scopes       TEXT   NOT NULL,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT,
	last_used_at BIGINT,
	revoked_at   BIGINT
);
CREATE INDEX api_keys_org_created_idx ON api_keys (org_id, created_at, id);
CREATE INDEX api_keys_identity_idx ON api_keys (identity_id);

CREATE TABLE audit_events (
	id       TEXT   PRIMARY KEY,
	at       BIGINT NOT NULL,
	org_id   TEXT   NOT NULL,
	actor_id TEXT   NOT NULL,
	kind     TEXT   NOT NULL,
	ip       TEXT   NOT NULL,
	detail   TEXT   NOT NULL
);
CREATE INDEX audit_events_org_at_idx ON audit_events (org_id, at, id);
