-- Projections: hour and day rollups also kept over fewer dimensions (the
-- total, each dimension alone, the integration with each other one, the
-- stream type with the content), one table per level, the projection's
-- number in the key and the dimensions it does not keep empty. A question
-- that filters and groups on no dimension outside a projection reads its
-- few rows instead of one per combination of six dimensions (see
-- analytics.Projection). Rollups that exist before this migration are
-- projected once by the store when it opens (projection_backfill).

CREATE TABLE rollup_hour_proj (
	org_id TEXT NOT NULL,
	projection SMALLINT NOT NULL,
	bucket BIGINT NOT NULL,
	integration_id TEXT NOT NULL,
	content_id TEXT NOT NULL,
	stream_type TEXT NOT NULL,
	platform TEXT NOT NULL,
	country TEXT NOT NULL,
	isp TEXT NOT NULL,
	beacons BIGINT NOT NULL,
	cdn_bytes BIGINT NOT NULL,
	p2p_bytes BIGINT NOT NULL,
	upload_bytes BIGINT NOT NULL,
	played_ms BIGINT NOT NULL,
	buffered_ms BIGINT NOT NULL,
	startups BIGINT NOT NULL,
	startup_ms_sum BIGINT NOT NULL,
	error_beacons BIGINT NOT NULL,
	startup_hist BYTEA NOT NULL,
	sessions BYTEA NOT NULL,
	error_sessions BYTEA NOT NULL,
	PRIMARY KEY (org_id, projection, bucket, integration_id, content_id, stream_type, platform, country, isp)
);

CREATE TABLE rollup_day_proj (
	org_id TEXT NOT NULL,
	projection SMALLINT NOT NULL,
	bucket BIGINT NOT NULL,
	integration_id TEXT NOT NULL,
	content_id TEXT NOT NULL,
	stream_type TEXT NOT NULL,
	platform TEXT NOT NULL,
	country TEXT NOT NULL,
	isp TEXT NOT NULL,
	beacons BIGINT NOT NULL,
	cdn_bytes BIGINT NOT NULL,
	p2p_bytes BIGINT NOT NULL,
	upload_bytes BIGINT NOT NULL,
	played_ms BIGINT NOT NULL,
	buffered_ms BIGINT NOT NULL,
	startups BIGINT NOT NULL,
	startup_ms_sum BIGINT NOT NULL,
	error_beacons BIGINT NOT NULL,
	startup_hist BYTEA NOT NULL,
	sessions BYTEA NOT NULL,
	error_sessions BYTEA NOT NULL,
	PRIMARY KEY (org_id, projection, bucket, integration_id, content_id, stream_type, platform, country, isp)
);

CREATE TABLE projection_backfill (pending INTEGER PRIMARY KEY);
INSERT INTO projection_backfill (pending) SELECT 1 WHERE EXISTS (SELECT 1 FROM rollup_hour) OR EXISTS (SELECT 1 FROM rollup_day);
