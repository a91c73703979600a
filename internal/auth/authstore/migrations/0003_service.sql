-- Tables of the auth service's flows: brute-force throttling, pending
-- second-factor logins, TOTP, recovery codes, machine clients, refresh
-- tokens, revoked access tokens and password resets. Same conventions as
-- 0001: BIGINT microseconds, hashes as 64 lower-case hex characters, lists
-- as JSON text.

-- login_failures holds one row per failed sign-in attempt; rows older than
-- the throttling window are pruned. account is the normalised e-mail
-- address tried (known or not), ip the client address.
CREATE TABLE login_failures (
	id      TEXT   PRIMARY KEY,
	account TEXT   NOT NULL,
	ip      TEXT   NOT NULL,
	at      BIGINT NOT NULL
);
CREATE INDEX login_failures_account_idx ON login_failures (account, at);
CREATE INDEX login_failures_ip_idx ON login_failures (ip, at);
CREATE INDEX login_failures_at_idx ON login_failures (at);

CREATE TABLE login_challenges (
	id          TEXT    PRIMARY KEY,
	identity_id TEXT    NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
	token_hash  TEXT    NOT NULL CHECK (length(token_hash) = 64),
	ip          TEXT    NOT NULL,
	user_agent  TEXT    NOT NULL,
	created_at  BIGINT  NOT NULL,
	expires_at  BIGINT  NOT NULL,
	attempts    INTEGER NOT NULL,
	used_at     BIGINT
);
CREATE UNIQUE INDEX login_challenges_token_hash_key ON login_challenges (token_hash);

CREATE TABLE totp_credentials (
	identity_id  TEXT   PRIMARY KEY REFERENCES identities (id) ON DELETE CASCADE,
	secret       TEXT   NOT NULL,
	created_at   BIGINT NOT NULL,
	confirmed_at BIGINT,
	last_step    BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
	identity_id TEXT   NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
	code_hash   TEXT   NOT NULL CHECK (length(code_hash) = 64),
	created_at  BIGINT NOT NULL,
	used_at     BIGINT,
	PRIMARY KEY (identity_id, code_hash)
);

CREATE TABLE clients (
	id             TEXT    PRIMARY KEY,
	org_id         TEXT    NOT NULL,
	name           TEXT    NOT NULL,
	secret_hash    TEXT    NOT NULL CHECK (length(secret_hash) = 64),
	scopes         TEXT    NOT NULL,
	refresh_tokens BOOLEAN NOT NULL,
	created_by     TEXT    NOT NULL,
	created_at     BIGINT  NOT NULL,
	revoked_at     BIGINT
);
CREATE INDEX clients_org_created_idx ON clients (org_id, created_at, id);

CREATE TABLE refresh_tokens (
	id              TEXT   PRIMARY KEY,
	family_id       TEXT   NOT NULL,
	client_id       TEXT   NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	subject         TEXT   NOT NULL,
	scopes          TEXT   NOT NULL,
	token_hash      TEXT   NOT NULL CHECK (length(token_hash) = 64),
	created_at      BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL,
	used_at         BIGINT,
	successor_nonce TEXT   NOT NULL,
	revoked_at      BIGINT
);
CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

-- revoked_access_tokens lists access tokens (by jti) revoked before their
-- expiry; rows past expires_at can be pruned.
CREATE TABLE revoked_access_tokens (
	jti        TEXT   PRIMARY KEY,
	expires_at BIGINT NOT NULL
);

CREATE TABLE password_resets (
	id          TEXT   PRIMARY KEY,
	identity_id TEXT   NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
	token_hash  TEXT   NOT NULL CHECK (length(token_hash) = 64),
	created_at  BIGINT NOT NULL,
	expires_at  BIGINT NOT NULL,
	used_at     BIGINT
);
CREATE UNIQUE INDEX password_resets_token_hash_key ON password_resets (token_hash);
