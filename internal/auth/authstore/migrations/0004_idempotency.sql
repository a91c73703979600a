-- Idempotency records: the outcome of a POST made with an Idempotency-Key,
-- kept for a day so a retry gets the first answer. The key is unique per
-- scope (the caller and operation). fingerprint is the hex SHA-256 of the
-- request's non-secret fields; resource_id is what the request created.
-- Same conventions as 0001: BIGINT microseconds, hashes as 64 lower-case
-- hex characters.

CREATE TABLE idempotency_records (
	scope           TEXT   NOT NULL,
	idempotency_key TEXT   NOT NULL,
	fingerprint     TEXT   NOT NULL CHECK (length(fingerprint) = 64),
	resource_id     TEXT   NOT NULL,
	created_at      BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL CHECK (expires_at > created_at),
	PRIMARY KEY (scope, idempotency_key)
);
CREATE INDEX idempotency_records_expires_idx ON idempotency_records (expires_at);
