package analyticsstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
		if err := upsertSessionHoursSQLite(ctx, tx, sessionHoursOf(stored)); err != nil {
			return err
		}
		for _, l := range analytics.Levels {
			full := analytics.Rollups(l, stored)
			if slices.Contains(analytics.ProjectedLevels, l) {
				// Projected before the full rows are merged with what is
				// stored.
				rows, err := analytics.Project(full)
				if err != nil {
					return err
				}
				if err := upsertRollupsEach(ctx, tx, projTable(l), true, rows); err != nil {
					return err
				}
			}
			if err := upsertRollupsEach(ctx, tx, rollupTable(l), false, full); err != nil {
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

// rollupKeyWhere returns the condition selecting one row of a table by
// its key columns, $1 onwards.
func rollupKeyWhere(proj bool) string {
	cols := keyColumns(proj)
	conds := make([]string, len(cols))
	for i, c := range cols {
		conds[i] = c + " = $" + strconv.Itoa(i+1)
	}
	return strings.Join(conds, " AND ")
}

// rollupUpsert returns the statement that adds a row's sums and sets its
// merged histogram and sketches.
func rollupUpsert(table string, proj bool) string {
	keys := keyColumns(proj)
	cols := append(slices.Clone(keys), rollupSumColumns...)
	cols = append(cols, "startup_hist", "sessions", "error_sessions")
	params := make([]string, len(cols))
	for i := range cols {
		params[i] = "$" + strconv.Itoa(i+1)
	}
	set := make([]string, 0, len(rollupSumColumns)+3)
	for _, c := range rollupSumColumns {
		set = append(set, c+" = "+table+"."+c+" + excluded."+c)
	}
	set = append(set, "startup_hist = excluded.startup_hist", "sessions = excluded.sessions",
		"error_sessions = excluded.error_sessions")
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(params, ", ") + ")" +
		" ON CONFLICT (" + strings.Join(keys, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
}

func keyArgs(k *analytics.RollupKey, proj bool) []any {
	if proj {
		return []any{k.OrgID, int64(k.Projection), toDB(k.Bucket), k.IntegrationID, k.ContentID, string(k.StreamType),
			string(k.Platform), k.Country, k.ISP}
	}
	return []any{k.OrgID, toDB(k.Bucket), k.IntegrationID, k.ContentID, string(k.StreamType), string(k.Platform), k.Country, k.ISP}
}

// upsertRollupsEach adds rollups to a table's rows: each row is read,
// merged and written back under the transaction's write lock.
func upsertRollupsEach(ctx context.Context, tx *sql.Tx, table string, proj bool, rollups []analytics.Rollup) error {
	sel, err := tx.PrepareContext(ctx, `SELECT startup_hist, sessions, error_sessions FROM `+table+` WHERE `+rollupKeyWhere(proj))
	if err != nil {
		return fmt.Errorf("upsert %s: %w", table, err)
	}
	defer sel.Close()
	ups, err := tx.PrepareContext(ctx, rollupUpsert(table, proj))
	if err != nil {
		return fmt.Errorf("upsert %s: %w", table, err)
	}
	defer ups.Close()
	for i := range rollups {
		r := &rollups[i]
		var hist, sessions, errSessions []byte
		err := sel.QueryRowContext(ctx, keyArgs(&r.Key, proj)...).Scan(&hist, &sessions, &errSessions)
		switch {
		case err == nil:
			if err := mergeStored(r, hist, sessions, errSessions); err != nil {
				return fmt.Errorf("upsert %s: %w", table, err)
			}
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("upsert %s: %w", table, err)
		}
		args, err := rollupArgs(r, proj)
		if err != nil {
			return err
		}
		if _, err := ups.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("upsert %s: %w", table, err)
		}
	}
	return nil
}

// rollupArgs returns the arguments of rollupUpsert for r.
func rollupArgs(r *analytics.Rollup, proj bool) ([]any, error) {
	sessions, err := encodeSketch(r.Sessions)
	if err != nil {
		return nil, err
	}
	errSessions, err := encodeSketch(r.ErrorSessions)
	if err != nil {
		return nil, err
	}
	s := &r.Sums
	return append(keyArgs(&r.Key, proj), s.Beacons, s.CDNBytes, s.P2PBytes, s.UploadBytes, s.PlayedMS, s.BufferedMS,
		s.Startups, s.StartupMSSum, s.ErrorBeacons, encodeHist(&r.Startup), sessions, errSessions), nil
}
