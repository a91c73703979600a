-- Accounts service schema. One text for SQLite and PostgreSQL:
-- timestamps are BIGINT microseconds since the Unix epoch, UTC (in psql:
-- to_timestamp(created_at / 1e6)); preferences are JSON text. Identities
-- belong to the auth service: identity_id refers to no table here.

CREATE TABLE organizations (
	id              TEXT    PRIMARY KEY,
	name            TEXT    NOT NULL,
	slug            TEXT    NOT NULL,
	plan_name       TEXT    NOT NULL,
	plan_viewer_cap BIGINT  NOT NULL CHECK (plan_viewer_cap >= 0),
	status          TEXT    NOT NULL CHECK (status IN ('active', 'suspended')),
	staff           BOOLEAN NOT NULL,
	created_at      BIGINT  NOT NULL,
	updated_at      BIGINT  NOT NULL
);
CREATE UNIQUE INDEX organizations_slug_key ON organizations (slug);
-- At most one staff organization: the operator's own.
CREATE UNIQUE INDEX organizations_staff_key ON organizations (staff) WHERE staff;
CREATE INDEX organizations_created_idx ON organizations (created_at, id);

CREATE TABLE memberships (
	org_id      TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	identity_id TEXT   NOT NULL,
	role        TEXT   NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	PRIMARY KEY (org_id, identity_id)
);
CREATE INDEX memberships_org_created_idx ON memberships (org_id, created_at, identity_id);
CREATE INDEX memberships_identity_idx ON memberships (identity_id, org_id);

CREATE TABLE profiles (
	identity_id  TEXT   PRIMARY KEY,
	display_name TEXT   NOT NULL,
	timezone     TEXT   NOT NULL,
	locale       TEXT   NOT NULL,
	preferences  TEXT   NOT NULL,
	updated_at   BIGINT NOT NULL
);
