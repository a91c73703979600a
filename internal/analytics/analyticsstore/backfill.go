package analyticsstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

// backfillProjections projects the hour and day rollups that existed
// before the projection tables did (migration 0003 leaves a row in
// projection_backfill when there were any), once, in one transaction that
// holds the rollup tables exclusively, so that no batch adds to a full
// row and its projections while they are being computed from it. A
// process of a version that writes no projections must not ingest
// meanwhile: its beacons would be missing from the projections.
func (s *Store) backfillProjections(ctx context.Context) error {
	var pending bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM projection_backfill)`).Scan(&pending); err != nil {
		return fmt.Errorf("backfill projections: %w", err)
	}
	if !pending {
		return nil
	}
	return s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		if s.db.Dialect() == sqldb.Postgres {
			tables := []string{}
			for _, l := range analytics.ProjectedLevels {
				tables = append(tables, rollupTable(l), projTable(l))
			}
			if _, err := tx.ExecContext(ctx, "LOCK TABLE "+strings.Join(tables, ", ")+" IN EXCLUSIVE MODE"); err != nil {
				return fmt.Errorf("backfill projections: %w", err)
			}
		}
		// Another process may have done it while this one waited.
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM projection_backfill)`).Scan(&pending); err != nil {
			return fmt.Errorf("backfill projections: %w", err)
		}
		if !pending {
			return nil
		}
		for _, l := range analytics.ProjectedLevels {
			if err := projectLevel(ctx, tx, l, s.db.Dialect() == sqldb.Postgres); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM projection_backfill`); err != nil {
			return fmt.Errorf("backfill projections: %w", err)
		}
		return nil
	})
}

// projectLevel computes the projections of level l's full rows, one
// organization's bucket at a time, and adds them to its projection table.
func projectLevel(ctx context.Context, tx *sql.Tx, l analytics.Level, pg bool) error {
	type orgBucket struct {
		org    string
		bucket int64
	}
	var buckets []orgBucket
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT org_id, bucket FROM `+rollupTable(l)+` ORDER BY org_id, bucket`)
	if err != nil {
		return fmt.Errorf("backfill %s projections: %w", l, err)
	}
	for rows.Next() {
		var b orgBucket
		if err := rows.Scan(&b.org, &b.bucket); err != nil {
			rows.Close()
			return fmt.Errorf("backfill %s projections: %w", l, err)
		}
		buckets = append(buckets, b)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("backfill %s projections: %w", l, err)
	}
	sel := `SELECT ` + strings.Join(fullKeyColumns, ", ") + `, ` + strings.Join(rollupSumColumns, ", ") +
		`, startup_hist, sessions, error_sessions FROM ` + rollupTable(l) + ` WHERE org_id = $1 AND bucket = $2`
	for _, b := range buckets {
		out, err := projectBucket(ctx, tx, sel, b.org, b.bucket)
		if err != nil {
			return fmt.Errorf("backfill %s projections: %w", l, err)
		}
		if err := addProjected(ctx, tx, l, pg, out); err != nil {
			return fmt.Errorf("backfill %s projections: %w", l, err)
		}
	}
	return nil
}

// projectBucket reads the full rows of one organization's bucket with sel
// and returns their projections (analytics.Project). The rows are read
// completely before the caller writes: one connection runs one statement
// at a time.
func projectBucket(ctx context.Context, tx *sql.Tx, sel, org string, bucket int64) ([]analytics.Rollup, error) {
	rows, err := tx.QueryContext(ctx, sel, org, bucket)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var full []analytics.Rollup
	for rows.Next() {
		var (
			kd                          keyDests
			r                           = analytics.Rollup{Sessions: analytics.NewSketch(), ErrorSessions: analytics.NewSketch()}
			sm                          = &r.Sums
			hist, sessions, errSessions []byte
		)
		if err := rows.Scan(append(kd.dests(false), &sm.Beacons, &sm.CDNBytes, &sm.P2PBytes, &sm.UploadBytes,
			&sm.PlayedMS, &sm.BufferedMS, &sm.Startups, &sm.StartupMSSum, &sm.ErrorBeacons,
			&hist, &sessions, &errSessions)...); err != nil {
			return nil, err
		}
		r.Key = kd.key()
		if err := mergeStored(&r, hist, sessions, errSessions); err != nil {
			return nil, err
		}
		full = append(full, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return analytics.Project(full)
}

// addProjected writes the projection rows of one bucket of level l: on
// SQLite an upsert per row; on PostgreSQL, whose rollup tables hold a
// cell in as many rows as were appended (migration 0007), one insert of
// them all.
func addProjected(ctx context.Context, tx *sql.Tx, l analytics.Level, pg bool, rows []analytics.Rollup) error {
	if len(rows) == 0 {
		return nil
	}
	if !pg {
		return upsertRollupsEach(ctx, tx, projTable(l), true, rows)
	}
	for _, t := range pgTables {
		if t.name == projTable(l) {
			args, err := rollupRowArgs(rows, allOf(len(rows)), true)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, t.appendRows, args...)
			return err
		}
	}
	return fmt.Errorf("no PostgreSQL table %s", projTable(l))
}
