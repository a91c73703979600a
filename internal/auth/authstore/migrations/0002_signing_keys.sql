-- Signing keys of the auth service. The public key is its JWK (JSON text);
-- the private key is PKCS #8 sealed with AES-256-GCM under the
-- key-encryption key, which never reaches the database, stored as
-- standard base64. The unique generation is what lets replicas racing to
-- make the same next key agree on one. Times are BIGINT microseconds.

CREATE TABLE signing_keys (
	kid          TEXT   PRIMARY KEY,
	generation   BIGINT NOT NULL CHECK (generation > 0),
	algorithm    TEXT   NOT NULL,
	public_key   TEXT   NOT NULL,
	private_key  TEXT   NOT NULL,
	created_at   BIGINT NOT NULL,
	activates_at BIGINT NOT NULL,
	retires_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	CHECK (retires_at <= expires_at)
);
CREATE UNIQUE INDEX signing_keys_generation_key ON signing_keys (generation);
CREATE INDEX signing_keys_expires_idx ON signing_keys (expires_at);
