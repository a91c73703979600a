package accountsstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/portico-gw/portico/internal/accounts"
)

// listQuery describes one paginated list: a SELECT with an optional
// filter and its arguments, ordered by created_at then keyColumn, both
// descending.
type listQuery[T any] struct {
	what      string
	selectSQL string // "SELECT ... FROM t"
	where     string // a condition using $1..$len(args), or empty
	args      []any
	keyColumn string // a constant column name, never a value
	validKey  func(string) bool
	scan      func(rowScanner) (T, error)
	cursor    func(T) accounts.Cursor
}

// run fetches the page page asks for. It reads one row more than the limit
// to know whether a next page exists.
func (q listQuery[T]) run(ctx context.Context, db *sql.DB, page accounts.PageRequest) (accounts.Page[T], error) {
	limit, err := page.EffectiveLimit()
	if err != nil {
		return accounts.Page[T]{}, err
	}
	var conds []string
	if q.where != "" {
		conds = append(conds, q.where)
	}
	args := q.args[:len(q.args):len(q.args)] // appends must not write into q.args
	if page.Cursor != "" {
		c, err := accounts.ParseCursor(page.Cursor, q.validKey)
		if err != nil {
			return accounts.Page[T]{}, err
		}
		n := len(args)
		conds = append(conds, "(created_at, "+q.keyColumn+") < ($"+strconv.Itoa(n+1)+", $"+strconv.Itoa(n+2)+")")
		args = append(args, toDB(c.At), c.Key)
	}
	query := q.selectSQL
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	query += " ORDER BY created_at DESC, " + q.keyColumn + " DESC LIMIT $" + strconv.Itoa(len(args)+1)
	args = append(args, limit+1)

	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return accounts.Page[T]{}, fmt.Errorf("%s: %w", q.what, err)
	}
	defer rows.Close()
	items := make([]T, 0, min(limit+1, 64))
	for rows.Next() {
		item, err := q.scan(rows)
		if err != nil {
			return accounts.Page[T]{}, fmt.Errorf("%s: %w", q.what, err)
		}
		items = append(items, item)
	}
	if err := rows.Err(); err != nil {
		return accounts.Page[T]{}, fmt.Errorf("%s: %w", q.what, err)
	}
	var next string
	if len(items) > limit {
		items = items[:limit]
		next = q.cursor(items[limit-1]).String()
	}
	return accounts.Page[T]{Items: items, NextCursor: next}, nil
}
