-- session_hours: one row per organization, UTC hour, session and
-- combination of the dimensions its beacons had in that hour, and whether
-- one of them had an error. Exact viewers of hour-aligned buckets count
-- these rows (a day of beacons is about 60 times as many rows), the raw
-- beacons only for buckets that are not whole hours. Kept as long as the
-- raw beacons. Filled here from the raw beacons already stored.
CREATE TABLE session_hours (
	org_id TEXT NOT NULL,
	bucket BIGINT NOT NULL,
	session_id TEXT NOT NULL,
	integration_id TEXT NOT NULL,
	content_id TEXT NOT NULL,
	stream_type TEXT NOT NULL,
	platform TEXT NOT NULL,
	country TEXT NOT NULL,
	isp TEXT NOT NULL,
	errors INTEGER NOT NULL,
	PRIMARY KEY (org_id, bucket, session_id, integration_id, content_id, stream_type, platform, country, isp)
);

INSERT INTO session_hours (org_id, bucket, session_id, integration_id, content_id, stream_type, platform, country, isp, errors)
SELECT org_id, t - t % 3600000000, session_id, integration_id, content_id, stream_type, platform, country, isp,
	MAX(CASE WHEN error_code <> '' THEN 1 ELSE 0 END)
FROM beacons
GROUP BY org_id, t - t % 3600000000, session_id, integration_id, content_id, stream_type, platform, country, isp;
