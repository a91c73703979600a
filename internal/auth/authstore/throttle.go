package authstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// RecordLoginFailure implements auth.Store.
func (s *Store) RecordLoginFailure(ctx context.Context, f auth.LoginFailure) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("record login failure: %w", err)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO login_failures (id, account, ip, at) VALUES ($1, $2, $3, $4)`,
		f.ID, f.Account, f.IP, toDB(f.At))
	if err != nil {
		return insertError("record login failure", err)
	}
	return nil
}

// LoginFailureStats implements auth.Store.
func (s *Store) LoginFailureStats(ctx context.Context, account, ip string, since time.Time) (auth.LoginFailureStats, error) {
	var st auth.LoginFailureStats
	for _, q := range []struct {
		into  *auth.FailureCount
		where string
		args  []any
	}{
		{&st.Account, `account = $1`, []any{account}},
		{&st.Pair, `account = $1 AND ip = $2`, []any{account, ip}},
		{&st.IP, `ip = $1`, []any{ip}},
	} {
		args := append(q.args, toDB(since))
		var last sql.NullInt64
		err := s.db.QueryRowContext(ctx,
			fmt.Sprintf(`SELECT COUNT(*), MAX(at) FROM login_failures WHERE %s AND at >= $%d`, q.where, len(args)),
			args...).Scan(&q.into.Count, &last)
		if err != nil {
			return auth.LoginFailureStats{}, fmt.Errorf("login failure stats: %w", err)
		}
		if last.Valid {
			q.into.Last = fromDB(last.Int64)
		}
	}
	return st, nil
}

// ClearLoginFailures implements auth.Store.
func (s *Store) ClearLoginFailures(ctx context.Context, account, ip string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM login_failures WHERE account = $1 AND ip = $2`, account, ip); err != nil {
		return fmt.Errorf("clear login failures: %w", err)
	}
	return nil
}

// PruneLoginFailures implements auth.Store.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM login_failures WHERE at < $1`, toDB(before))
	if err != nil {
		return 0, fmt.Errorf("prune login failures: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune login failures: %w", err)
	}
	return n, nil
}
