-- Raw beacons in daily RANGE partitions on the event time (microseconds
-- since the Unix epoch, UTC), created by the store ahead of time and on
-- demand, dropped whole for retention. A unique key of a partitioned table
-- must hold the partition key, so (org_id, session_id, sequence, t) is
-- the unique key; the store makes (org_id, session_id, sequence) unique
-- across partitions by checking it under a per-organization lock (see
-- the package documentation).
CREATE TABLE beacons (
	org_id TEXT NOT NULL,
	session_id TEXT NOT NULL,
	sequence BIGINT NOT NULL,
	t BIGINT NOT NULL,
	integration_id TEXT NOT NULL,
	content_id TEXT NOT NULL,
	stream_type TEXT NOT NULL,
	platform TEXT NOT NULL,
	country TEXT NOT NULL,
	isp TEXT NOT NULL,
	player TEXT NOT NULL,
	sdk_version TEXT NOT NULL,
	network TEXT NOT NULL,
	cdn_bytes BIGINT NOT NULL,
	p2p_bytes BIGINT NOT NULL,
	upload_bytes BIGINT NOT NULL,
	played_ms BIGINT NOT NULL,
	buffered_ms BIGINT NOT NULL,
	startup_ms BIGINT NOT NULL,
	error_code TEXT NOT NULL,
	received_at BIGINT NOT NULL,
	UNIQUE (org_id, session_id, sequence, t)
) PARTITION BY RANGE (t);
CREATE INDEX beacons_t_brin ON beacons USING BRIN (t);

CREATE TABLE rollup_minute (
	org_id TEXT NOT NULL,
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
	PRIMARY KEY (org_id, bucket, integration_id, content_id, stream_type, platform, country, isp)
);

CREATE TABLE rollup_hour (
	org_id TEXT NOT NULL,
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
	PRIMARY KEY (org_id, bucket, integration_id, content_id, stream_type, platform, country, isp)
);

CREATE TABLE rollup_day (
	org_id TEXT NOT NULL,
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
	PRIMARY KEY (org_id, bucket, integration_id, content_id, stream_type, platform, country, isp)
);
