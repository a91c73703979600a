-- Configs service schema. One text for SQLite and PostgreSQL: timestamps
-- are BIGINT microseconds since the Unix epoch, UTC (in psql:
-- to_timestamp(created_at / 1e6)); domains and bundle ids are JSON arrays
-- of strings; a settings document is JSON text kept byte for byte.
-- Organizations and identities belong to other services: org_id and
-- author refer to no table here.

CREATE TABLE integrations (
	id                      TEXT   PRIMARY KEY,
	org_id                  TEXT   NOT NULL,
	name                    TEXT   NOT NULL,
	environment             TEXT   NOT NULL CHECK (environment IN ('production', 'staging')),
	status                  TEXT   NOT NULL CHECK (status IN ('active', 'disabled', 'bypassed')),
	delivery_key            TEXT   NOT NULL,
	-- Both NULL until the first rotation.
	previous_delivery_key   TEXT,
	previous_key_expires_at BIGINT,
	domains                 TEXT   NOT NULL,
	bundle_ids              TEXT   NOT NULL,
	created_at              BIGINT NOT NULL,
	updated_at              BIGINT NOT NULL,
	CHECK ((previous_delivery_key IS NULL) = (previous_key_expires_at IS NULL))
);
CREATE UNIQUE INDEX integrations_delivery_key ON integrations (delivery_key);
-- NULLs are distinct in a unique index on both backends.
CREATE UNIQUE INDEX integrations_previous_delivery_key ON integrations (previous_delivery_key);
CREATE INDEX integrations_org_created_idx ON integrations (org_id, created_at, id);

-- Immutable settings versions, numbered 1, 2, 3... per integration. The
-- primary key is what makes two concurrent appends of the same number
-- fail but one.
CREATE TABLE settings_versions (
	integration_id TEXT   NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
	version        BIGINT NOT NULL CHECK (version >= 1),
	document       TEXT   NOT NULL,
	author         TEXT   NOT NULL,
	message        TEXT   NOT NULL,
	created_at     BIGINT NOT NULL,
	PRIMARY KEY (integration_id, version)
);
