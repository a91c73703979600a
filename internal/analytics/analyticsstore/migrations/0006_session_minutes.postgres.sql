-- session_hours.minutes: bit i is set when the row's session had a beacon
-- in minute i (0 to 59) of the row's hour, with the row's dimensions.
-- Distinct sessions minute by minute (peak and average concurrent
-- viewers) are then read from these rows, about 60 times fewer than the
-- beacons, by OR-ing the masks of a session and counting the bits. Filled
-- here from the raw beacons already stored; a process of an earlier
-- version must not ingest once this has run, since its rows would have no
-- minutes.
ALTER TABLE session_hours ADD COLUMN minutes BIGINT NOT NULL DEFAULT 0;

UPDATE session_hours s SET minutes = m.mask
FROM (
	SELECT org_id, t - t % 3600000000 AS bucket, session_id, integration_id, content_id, stream_type, platform, country, isp,
		bit_or(CAST(1 AS BIGINT) << CAST((t % 3600000000) / 60000000 AS INTEGER)) AS mask
	FROM beacons
	GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
) m
WHERE s.org_id = m.org_id AND s.bucket = m.bucket AND s.session_id = m.session_id AND s.integration_id = m.integration_id
	AND s.content_id = m.content_id AND s.stream_type = m.stream_type AND s.platform = m.platform AND s.country = m.country
	AND s.isp = m.isp;
