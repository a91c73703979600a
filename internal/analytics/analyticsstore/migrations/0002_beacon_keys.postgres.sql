-- Beacon identity moves out of the raw partitions. A partition's unique
-- key had to hold the event time, so (org_id, session_id, sequence) was
-- made unique across partitions by a NOT EXISTS over every partition under
-- a per-organization advisory lock: the slowest part of ingest, and one
-- batch of an organization at a time. beacon_keys holds each stored
-- beacon's key and the UTC day (Unix day number) of its event time, so
-- one insert into it decides which beacons of a batch are new, whatever
-- the partitions, and concurrent batches wait only on the keys they share
-- (the package documentation tells how). Retention deletes the keys of
-- the days whose partitions it drops.
-- The key's text columns compare bytewise (COLLATE "C"): nothing reads
-- them in order, and a locale's collation made every probe slower.
CREATE TABLE beacon_keys (
	org_id TEXT COLLATE "C" NOT NULL,
	session_id TEXT COLLATE "C" NOT NULL,
	sequence BIGINT NOT NULL,
	day INTEGER NOT NULL,
	PRIMARY KEY (org_id, session_id, sequence)
);

INSERT INTO beacon_keys (org_id, session_id, sequence, day)
SELECT DISTINCT ON (org_id, session_id, sequence) org_id, session_id, sequence, (t / 86400000000)::INTEGER
FROM beacons
ORDER BY org_id, session_id, sequence, t;

-- The raw rows are unique by beacon_keys now; their own unique index only
-- cost every insert a B-tree probe and write.
ALTER TABLE beacons DROP CONSTRAINT IF EXISTS beacons_org_id_session_id_sequence_t_key;
