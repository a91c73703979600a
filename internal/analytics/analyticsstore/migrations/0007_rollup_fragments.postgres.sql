-- Rollup rows become additive fragments. A batch appends the rows of the
-- cells it adds to, with its own figures, where it used to lock each
-- existing row, read it, merge its sketches in Go and write it back: that
-- read-merge-write of a few hundred hot rows (the hours, days and
-- projections every batch touches) was most of ingest's cost. Readers
-- already add the sums and merge the histograms and sketches of every row
-- they select, so a cell held in several rows reads the same as one row.
-- The store merges a cell's rows back into one in the background
-- (CompactRollups), from the buckets listed in rollup_pending, one
-- transaction deleting the rows it merged and inserting their merge, so a
-- reader sees either the rows or their merge, never both or neither.
--
-- The primary keys give way to plain indexes on the same columns: reads
-- and the merge find a bucket's rows through them; nothing needs them
-- unique any more.
ALTER TABLE rollup_minute DROP CONSTRAINT rollup_minute_pkey;
CREATE INDEX rollup_minute_key ON rollup_minute (org_id, bucket, integration_id, content_id, stream_type, platform, country, isp);
ALTER TABLE rollup_hour DROP CONSTRAINT rollup_hour_pkey;
CREATE INDEX rollup_hour_key ON rollup_hour (org_id, bucket, integration_id, content_id, stream_type, platform, country, isp);
ALTER TABLE rollup_day DROP CONSTRAINT rollup_day_pkey;
CREATE INDEX rollup_day_key ON rollup_day (org_id, bucket, integration_id, content_id, stream_type, platform, country, isp);
ALTER TABLE rollup_hour_proj DROP CONSTRAINT rollup_hour_proj_pkey;
CREATE INDEX rollup_hour_proj_key ON rollup_hour_proj (org_id, projection, bucket, integration_id, content_id, stream_type,
	platform, country, isp);
ALTER TABLE rollup_day_proj DROP CONSTRAINT rollup_day_proj_pkey;
CREATE INDEX rollup_day_proj_key ON rollup_day_proj (org_id, projection, bucket, integration_id, content_id, stream_type,
	platform, country, isp);

-- The buckets that batches appended rows to, one row per batch, table
-- and bucket; the merge takes them (SKIP LOCKED, so replicas share the
-- work) and deletes them with the rows it merged. tbl numbers the tables:
-- 1 rollup_minute, 2 rollup_hour, 3 rollup_day, 4 rollup_hour_proj,
-- 5 rollup_day_proj.
CREATE TABLE rollup_pending (
	tbl SMALLINT NOT NULL,
	org_id TEXT NOT NULL,
	bucket BIGINT NOT NULL
);
