package analyticsstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/portico-gw/portico/internal/analytics"
)

// rawColumns are the raw table's columns, in the order beaconArgs gives
// them.
var rawColumns = []string{"org_id", "session_id", "sequence", "t", "integration_id", "content_id", "stream_type",
	"platform", "country", "isp", "player", "sdk_version", "network", "cdn_bytes", "p2p_bytes", "upload_bytes",
	"played_ms", "buffered_ms", "startup_ms", "error_code", "received_at"}

// sqliteInsertRows is how many beacons one INSERT carries: 21 columns
// each, well under SQLite's 32,766 parameters.
const sqliteInsertRows = 200

func beaconArgs(b *analytics.Ingested) []any {
	return []any{b.OrgID, b.SessionID, b.Sequence, toDB(b.Time), b.IntegrationID, b.ContentID, string(b.StreamType),
		string(b.Platform), b.Country, b.ISP, b.Player, b.SDKVersion, string(b.Network), b.CDNBytes, b.P2PBytes,
		b.UploadBytes, b.PlayedMS, b.BufferedMS, b.StartupMS, b.ErrorCode, toDB(b.ReceivedAt)}
}

func (s *Store) insertSQLite(ctx context.Context, beacons []analytics.Ingested) ([]analytics.Ingested, error) {
	var stored []analytics.Ingested
	err := s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		keys := map[beaconKey]bool{}
		for start := 0; start < len(beacons); start += sqliteInsertRows {
			chunk := beacons[start:min(len(beacons), start+sqliteInsertRows)]
			var q strings.Builder
			q.WriteString("INSERT INTO beacons (" + strings.Join(rawColumns, ", ") + ") VALUES ")
			args := make([]any, 0, len(chunk)*len(rawColumns))
			for i := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString(rowPlaceholders)
				args = append(args, beaconArgs(&chunk[i])...)
			}
			q.WriteString(" ON CONFLICT DO NOTHING RETURNING org_id, session_id, sequence")
			rows, err := tx.QueryContext(ctx, q.String(), args...)
			if err != nil {
				return fmt.Errorf("insert beacons: %w", err)
			}
			for rows.Next() {
				var k beaconKey
				if err := rows.Scan(&k.org, &k.session, &k.seq); err != nil {
					rows.Close()
					return fmt.Errorf("insert beacons: %w", err)
				}
				keys[k] = true
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return fmt.Errorf("insert beacons: %w", err)
			}
		}
		stored = onlyKeys(beacons, keys)
		for _, l := range analytics.Levels {
			if err := upsertRollupsSQLite(ctx, tx, l, analytics.Rollups(l, stored)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return stored, nil
}

// rowPlaceholders are one beacon's parameters in a multi-row INSERT.
// They are anonymous ('?'): SQLite looks numbered ones ($N) up by name in
// a list, which made a 200-row statement spend most of its time parsing
// (1,800 beacons/s instead of 17,000 in BenchmarkInsertBeacons).
var rowPlaceholders = "(" + strings.Repeat("?, ", len(rawColumns)-1) + "?)"

const rollupKeyWhere = `org_id = $1 AND bucket = $2 AND integration_id = $3 AND content_id = $4 AND stream_type = $5
	AND platform = $6 AND country = $7 AND isp = $8`

// rollupUpsert returns the statement that adds a row's sums and sets its
// merged histogram and sketches.
func rollupUpsert(table string) string {
	return `INSERT INTO ` + table + ` (org_id, bucket, integration_id, content_id, stream_type, platform, country, isp,
	beacons, cdn_bytes, p2p_bytes, upload_bytes, played_ms, buffered_ms, startups, startup_ms_sum, error_beacons,
	startup_hist, sessions, error_sessions)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
ON CONFLICT (org_id, bucket, integration_id, content_id, stream_type, platform, country, isp) DO UPDATE SET
	beacons = ` + table + `.beacons + excluded.beacons,
	cdn_bytes = ` + table + `.cdn_bytes + excluded.cdn_bytes,
	p2p_bytes = ` + table + `.p2p_bytes + excluded.p2p_bytes,
	upload_bytes = ` + table + `.upload_bytes + excluded.upload_bytes,
	played_ms = ` + table + `.played_ms + excluded.played_ms,
	buffered_ms = ` + table + `.buffered_ms + excluded.buffered_ms,
	startups = ` + table + `.startups + excluded.startups,
	startup_ms_sum = ` + table + `.startup_ms_sum + excluded.startup_ms_sum,
	error_beacons = ` + table + `.error_beacons + excluded.error_beacons,
	startup_hist = excluded.startup_hist,
	sessions = excluded.sessions,
	error_sessions = excluded.error_sessions`
}

func keyArgs(k *analytics.RollupKey) []any {
	return []any{k.OrgID, toDB(k.Bucket), k.IntegrationID, k.ContentID, string(k.StreamType), string(k.Platform), k.Country, k.ISP}
}

// upsertRollupsSQLite adds rollups to level l's rows: each row is read,
// merged and written back under the transaction's write lock.
func upsertRollupsSQLite(ctx context.Context, tx *sql.Tx, l analytics.Level, rollups []analytics.Rollup) error {
	table := rollupTable(l)
	sel, err := tx.PrepareContext(ctx, `SELECT startup_hist, sessions, error_sessions FROM `+table+` WHERE `+rollupKeyWhere)
	if err != nil {
		return fmt.Errorf("upsert %s: %w", table, err)
	}
	defer sel.Close()
	ups, err := tx.PrepareContext(ctx, rollupUpsert(table))
	if err != nil {
		return fmt.Errorf("upsert %s: %w", table, err)
	}
	defer ups.Close()
	for i := range rollups {
		r := &rollups[i]
		var hist, sessions, errSessions []byte
		err := sel.QueryRowContext(ctx, keyArgs(&r.Key)...).Scan(&hist, &sessions, &errSessions)
		switch {
		case err == nil:
			if err := mergeStored(r, hist, sessions, errSessions); err != nil {
				return fmt.Errorf("upsert %s: %w", table, err)
			}
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("upsert %s: %w", table, err)
		}
		args, err := rollupArgs(r)
		if err != nil {
			return err
		}
		if _, err := ups.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("upsert %s: %w", table, err)
		}
	}
	return nil
}

// rollupArgs returns the 20 arguments of rollupUpsert for r.
func rollupArgs(r *analytics.Rollup) ([]any, error) {
	sessions, err := encodeSketch(r.Sessions)
	if err != nil {
		return nil, err
	}
	errSessions, err := encodeSketch(r.ErrorSessions)
	if err != nil {
		return nil, err
	}
	s := &r.Sums
	return append(keyArgs(&r.Key), s.Beacons, s.CDNBytes, s.P2PBytes, s.UploadBytes, s.PlayedMS, s.BufferedMS,
		s.Startups, s.StartupMSSum, s.ErrorBeacons, encodeHist(&r.Startup), sessions, errSessions), nil
}
