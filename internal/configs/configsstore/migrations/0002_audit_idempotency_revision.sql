-- The audit trail, idempotency records and the change revision. Same
-- conventions as 0001: BIGINT microseconds, JSON as text, hashes as 64
-- lower-case hex characters.

-- One row per change to an integration or its settings, written in the
-- transaction of the change. integration_id refers to no table: the trail
-- outlives a deleted integration. diff is an RFC 6902 JSON Patch.
CREATE TABLE audit_entries (
	id               TEXT   PRIMARY KEY,
	org_id           TEXT   NOT NULL,
	integration_id   TEXT   NOT NULL,
	actor_kind       TEXT   NOT NULL,
	actor_id         TEXT   NOT NULL,
	actor_credential TEXT   NOT NULL,
	action           TEXT   NOT NULL,
	message          TEXT   NOT NULL,
	diff             TEXT   NOT NULL,
	created_at       BIGINT NOT NULL
);
CREATE INDEX audit_entries_org_created_idx ON audit_entries (org_id, created_at, id);
CREATE INDEX audit_entries_integration_created_idx ON audit_entries (org_id, integration_id, created_at, id);
CREATE INDEX audit_entries_created_idx ON audit_entries (created_at);

-- The outcome of a POST made with an Idempotency-Key, per organization,
-- principal and key, kept until expires_at.
CREATE TABLE idempotency_records (
	org_id          TEXT   NOT NULL,
	principal       TEXT   NOT NULL,
	idempotency_key TEXT   NOT NULL,
	fingerprint     TEXT   NOT NULL CHECK (length(fingerprint) = 64),
	integration_id  TEXT   NOT NULL,
	created_at      BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL CHECK (expires_at > created_at),
	PRIMARY KEY (org_id, principal, idempotency_key)
);
CREATE INDEX idempotency_records_expires_idx ON idempotency_records (expires_at);

-- The change revision: one row, incremented by every transaction that
-- changes an integration or its settings, which replicas poll to know when
-- to reload what the SDK config endpoint serves.
CREATE TABLE change_revision (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	revision BIGINT  NOT NULL
);
INSERT INTO change_revision (id, revision) VALUES (1, 0);
