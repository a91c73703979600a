package analyticsstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/portico-gw/portico/internal/analytics"
)

// lockNamespace prefixes the organization in the name of the advisory
// lock that serialises its batches (hashed to 64 bits by PostgreSQL).
const lockNamespace = "portico-analytics-ingest:"

const createStaging = `CREATE TEMP TABLE IF NOT EXISTS beacons_staging (LIKE beacons) ON COMMIT DELETE ROWS`

// insertMoved moves the staged beacons whose keys no partition holds yet,
// in key order, returning their keys. The advisory lock taken before it
// makes the NOT EXISTS see every committed beacon of the organization.
var insertMoved = `INSERT INTO beacons (` + strings.Join(rawColumns, ", ") + `)
SELECT ` + strings.Join(rawColumns, ", ") + ` FROM beacons_staging s
WHERE NOT EXISTS (SELECT 1 FROM beacons b
	WHERE b.org_id = s.org_id AND b.session_id = s.session_id AND b.sequence = s.sequence)
ORDER BY org_id, session_id, sequence
ON CONFLICT DO NOTHING
RETURNING org_id, session_id, sequence`

const rollupKeyColumns = "org_id, bucket, integration_id, content_id, stream_type, platform, country, isp"

const unnestKeys = `unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
	AS k(org_id, bucket, integration_id, content_id, stream_type, platform, country, isp)`

func (s *Store) insertPostgres(ctx context.Context, beacons []analytics.Ingested) ([]analytics.Ingested, error) {
	var orgs []string
	for i := range beacons {
		if err := s.ensurePartition(ctx, dayNumber(beacons[i].Time)); err != nil {
			return nil, err
		}
		orgs = append(orgs, beacons[i].OrgID)
	}
	slices.Sort(orgs)
	orgs = slices.Compact(orgs)

	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("insert beacons: %w", err)
	}
	defer conn.Close()
	var stored []analytics.Ingested
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		return pgx.BeginFunc(ctx, pc, func(tx pgx.Tx) error {
			for _, org := range orgs {
				if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, lockNamespace+org); err != nil {
					return fmt.Errorf("lock organization: %w", err)
				}
			}
			if _, err := tx.Exec(ctx, createStaging); err != nil {
				return fmt.Errorf("create staging table: %w", err)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"beacons_staging"}, rawColumns,
				pgx.CopyFromSlice(len(beacons), func(i int) ([]any, error) { return beaconArgs(&beacons[i]), nil })); err != nil {
				return fmt.Errorf("copy beacons: %w", err)
			}
			rows, err := tx.Query(ctx, insertMoved)
			if err != nil {
				return fmt.Errorf("insert beacons: %w", err)
			}
			keys := map[beaconKey]bool{}
			var k beaconKey
			if _, err := pgx.ForEachRow(rows, []any{&k.org, &k.session, &k.seq}, func() error {
				keys[k] = true
				return nil
			}); err != nil {
				return fmt.Errorf("insert beacons: %w", err)
			}
			stored = onlyKeys(beacons, keys)
			for _, l := range analytics.Levels {
				if err := upsertRollupsPostgres(ctx, tx, l, analytics.Rollups(l, stored)); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return stored, nil
}

// upsertRollupsPostgres adds rollups to level l's rows: the existing rows
// are read and locked with one statement, merged in Go, and written with
// one.
func upsertRollupsPostgres(ctx context.Context, tx pgx.Tx, l analytics.Level, rollups []analytics.Rollup) error {
	if len(rollups) == 0 {
		return nil
	}
	table := rollupTable(l)
	n := len(rollups)
	var (
		orgs, integ, content, st, pf, country, isp = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		buckets = make([]int64, n)
	)
	index := make(map[rowKey]int, n)
	for i := range rollups {
		k := &rollups[i].Key
		orgs[i], buckets[i], integ[i], content[i] = k.OrgID, toDB(k.Bucket), k.IntegrationID, k.ContentID
		st[i], pf[i], country[i], isp[i] = string(k.StreamType), string(k.Platform), k.Country, k.ISP
		index[rowKeyOf(k)] = i
	}
	rows, err := tx.Query(ctx, `SELECT `+prefixed("r.", rollupKeyColumns)+`, r.startup_hist, r.sessions, r.error_sessions
		FROM `+table+` r JOIN `+unnestKeys+` USING (`+rollupKeyColumns+`)
		ORDER BY `+prefixed("r.", rollupKeyColumns)+` FOR UPDATE OF r`,
		orgs, buckets, integ, content, st, pf, country, isp)
	if err != nil {
		return fmt.Errorf("lock %s: %w", table, err)
	}
	var (
		key                         analytics.RollupKey
		bucket                      int64
		stream, platform            string
		hist, sessions, errSessions []byte
	)
	if _, err := pgx.ForEachRow(rows, []any{&key.OrgID, &bucket, &key.IntegrationID, &key.ContentID, &stream, &platform,
		&key.Country, &key.ISP, &hist, &sessions, &errSessions}, func() error {
		key.Bucket, key.StreamType, key.Platform = fromDB(bucket), analytics.StreamType(stream), analytics.Platform(platform)
		i, ok := index[rowKeyOf(&key)]
		if !ok {
			return fmt.Errorf("locked a row of %s that was not asked for", table)
		}
		return mergeStored(&rollups[i], hist, sessions, errSessions)
	}); err != nil {
		return fmt.Errorf("lock %s: %w", table, err)
	}

	sums := make([][]int64, 9)
	for j := range sums {
		sums[j] = make([]int64, n)
	}
	hists, sk, esk := make([][]byte, n), make([][]byte, n), make([][]byte, n)
	for i := range rollups {
		r := &rollups[i]
		s := &r.Sums
		for j, v := range []int64{s.Beacons, s.CDNBytes, s.P2PBytes, s.UploadBytes, s.PlayedMS, s.BufferedMS,
			s.Startups, s.StartupMSSum, s.ErrorBeacons} {
			sums[j][i] = v
		}
		hists[i] = encodeHist(&r.Startup)
		if sk[i], err = encodeSketch(r.Sessions); err != nil {
			return err
		}
		if esk[i], err = encodeSketch(r.ErrorSessions); err != nil {
			return err
		}
	}
	up := rollupUpsert(table)
	up = up[:strings.Index(up, "VALUES")] + `SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[],
	$5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[],
	$13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bytea[], $19::bytea[], $20::bytea[])
` + up[strings.Index(up, "ON CONFLICT"):]
	args := []any{orgs, buckets, integ, content, st, pf, country, isp}
	for _, c := range sums {
		args = append(args, c)
	}
	args = append(args, hists, sk, esk)
	if _, err := tx.Exec(ctx, up, args...); err != nil {
		return fmt.Errorf("upsert %s: %w", table, err)
	}
	return nil
}

// prefixed returns the comma-separated columns each with prefix p.
func prefixed(p, columns string) string {
	parts := strings.Split(columns, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// rowKey is a RollupKey usable as a map key whatever the representation
// of its time.
type rowKey struct {
	org    string
	bucket int64
	dims   [6]string
}

func rowKeyOf(k *analytics.RollupKey) rowKey {
	return rowKey{k.OrgID, toDB(k.Bucket), [6]string{k.IntegrationID, k.ContentID, string(k.StreamType), string(k.Platform), k.Country, k.ISP}}
}
