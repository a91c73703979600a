package authstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// UpdateThrottleCounters implements auth.Store. Each key's row is read by
// an upsert that changes nothing: on PostgreSQL it takes the row's lock
// (creating the row if need be) until the transaction ends, so a second
// update of the same key, on any connection or replica, waits and then
// reads what the first wrote; on SQLite the transaction begins IMMEDIATE
// and holds the database's write lock (see sqldb). Keys are locked in
// sorted order, so two updates of overlapping keys cannot deadlock.
func (s *Store) UpdateThrottleCounters(ctx context.Context, keys []string,
	update func([]auth.ThrottleCounter) ([]auth.ThrottleCounter, error)) error {
	if len(keys) == 0 {
		return fmt.Errorf("update throttle counters: no keys: %w", auth.ErrInvalid)
	}
	index := make(map[string]int, len(keys))
	for i, k := range keys {
		if err := (auth.ThrottleCounter{Key: k}).Validate(); err != nil {
			return fmt.Errorf("update throttle counters: %w", err)
		}
		if _, dup := index[k]; dup {
			return fmt.Errorf("update throttle counters: duplicate key: %w", auth.ErrInvalid)
		}
		index[k] = i
	}
	sorted := slices.Sorted(slices.Values(keys))
	return s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		cur := make([]auth.ThrottleCounter, len(keys))
		for _, k := range sorted {
			c, err := lockThrottleCounter(ctx, tx, k)
			if err != nil {
				return fmt.Errorf("update throttle counters: %w", err)
			}
			cur[index[k]] = c
		}
		next, err := update(cur)
		if err != nil {
			return fmt.Errorf("update throttle counters: %w", err)
		}
		for _, c := range next {
			if _, ok := index[c.Key]; !ok {
				return fmt.Errorf("update throttle counters: counter of a key not asked for: %w", auth.ErrInvalid)
			}
			if err := c.Validate(); err != nil {
				return fmt.Errorf("update throttle counters: %w", err)
			}
			if _, err := tx.ExecContext(ctx,
				`UPDATE throttle_counters SET attempts = $2, since = $3, last_at = $4, until_at = $5 WHERE throttle_key = $1`,
				c.Key, c.Count, timeOrZero(c.Since), timeOrZero(c.Last), timeOrZero(c.Until)); err != nil {
				return fmt.Errorf("update throttle counters: %w", err)
			}
		}
		return nil
	})
}

// lockThrottleCounter reads a key's counter inside tx, creating a zero one,
// and holds its row lock until tx ends.
func lockThrottleCounter(ctx context.Context, tx *sql.Tx, key string) (auth.ThrottleCounter, error) {
	var since, last, until int64
	c := auth.ThrottleCounter{Key: key}
	err := tx.QueryRowContext(ctx, `INSERT INTO throttle_counters (throttle_key, attempts, since, last_at, until_at)
		VALUES ($1, 0, 0, 0, 0)
		ON CONFLICT (throttle_key) DO UPDATE SET attempts = throttle_counters.attempts
		RETURNING attempts, since, last_at, until_at`, key).Scan(&c.Count, &since, &last, &until)
	if err != nil {
		return auth.ThrottleCounter{}, err
	}
	c.Since, c.Last, c.Until = zeroOrTime(since), zeroOrTime(last), zeroOrTime(until)
	return c, nil
}

// PruneThrottleCounters implements auth.Store.
func (s *Store) PruneThrottleCounters(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM throttle_counters WHERE last_at < $1 AND until_at < $1`, toDB(before))
	if err != nil {
		return 0, fmt.Errorf("prune throttle counters: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune throttle counters: %w", err)
	}
	return n, nil
}

// timeOrZero stores t, the zero time as 0.
func timeOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return toDB(t)
}

// zeroOrTime reads what timeOrZero stored.
func zeroOrTime(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromDB(us)
}
