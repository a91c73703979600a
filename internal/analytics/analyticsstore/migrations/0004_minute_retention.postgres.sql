-- Minute rollups are kept for the minute retention only (the service's
-- --minute-retention); the retention job deletes older rows in chunks,
-- found through this index. Rows arrive roughly in bucket order, so a
-- BRIN index finds them at a fraction of a B-tree's size and upkeep.
CREATE INDEX rollup_minute_bucket_brin ON rollup_minute USING BRIN (bucket);
