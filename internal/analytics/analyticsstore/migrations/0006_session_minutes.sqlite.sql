-- session_hours.minutes: bit i is set when the row's session had a beacon
-- in minute i (0 to 59) of the row's hour, with the row's dimensions.
-- Distinct sessions minute by minute (peak and average concurrent
-- viewers) are then read from these rows, about 60 times fewer than the
-- beacons, by OR-ing the masks of a session and counting the bits. Filled
-- here from the raw beacons already stored (SQLite has no bitwise OR
-- aggregate; the sum of distinct powers of two is the same number); a
-- process of an earlier version must not ingest once this has run, since
-- its rows would have no minutes.
ALTER TABLE session_hours ADD COLUMN minutes INTEGER NOT NULL DEFAULT 0;

UPDATE session_hours SET minutes = m.mask
FROM (
	SELECT org_id, t - t % 3600000000 AS bucket, session_id, integration_id, content_id, stream_type, platform, country, isp,
		SUM(DISTINCT 1 << ((t % 3600000000) / 60000000)) AS mask
	FROM beacons
	GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
) AS m
WHERE session_hours.org_id = m.org_id AND session_hours.bucket = m.bucket AND session_hours.session_id = m.session_id
	AND session_hours.integration_id = m.integration_id AND session_hours.content_id = m.content_id
	AND session_hours.stream_type = m.stream_type AND session_hours.platform = m.platform
	AND session_hours.country = m.country AND session_hours.isp = m.isp;
