package authstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

const clientColumns = `id, org_id, name, secret_hash, scopes, refresh_tokens, created_by, created_at, revoked_at`

func scanClient(r rowScanner) (auth.Client, error) {
	var (
		c                  auth.Client
		secretHash, scopes string
		created            int64
		revoked            sql.NullInt64
	)
	if err := r.Scan(&c.ID, &c.OrgID, &c.Name, &secretHash, &scopes, &c.RefreshTokens, &c.CreatedBy, &created, &revoked); err != nil {
		return auth.Client{}, err
	}
	h, err := hex.DecodeString(secretHash)
	if err != nil {
		return auth.Client{}, fmt.Errorf("client %s: stored secret hash: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(scopes), &c.Scopes); err != nil {
		return auth.Client{}, fmt.Errorf("client %s: stored scopes: %w", c.ID, err)
	}
	if c.Scopes == nil {
		c.Scopes = []string{}
	}
	c.SecretHash, c.CreatedAt, c.RevokedAt = h, fromDB(created), fromNullDB(revoked)
	return c, nil
}

// CreateClient implements auth.Store.
func (s *Store) CreateClient(ctx context.Context, c auth.Client) (auth.Client, error) {
	if err := c.Validate(); err != nil {
		return auth.Client{}, fmt.Errorf("create client: %w", err)
	}
	c.Scopes = append([]string{}, c.Scopes...)
	c.SecretHash = append([]byte(nil), c.SecretHash...)
	c.CreatedAt = stored(c.CreatedAt)
	scopes, err := json.Marshal(c.Scopes)
	if err != nil {
		return auth.Client{}, fmt.Errorf("create client: encode scopes: %w", err)
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO clients (`+clientColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)`,
		c.ID, c.OrgID, c.Name, hex.EncodeToString(c.SecretHash), string(scopes), c.RefreshTokens, c.CreatedBy, toDB(c.CreatedAt))
	if err != nil {
		return auth.Client{}, insertError("create client", err)
	}
	return c, nil
}

// GetClient implements auth.Store.
func (s *Store) GetClient(ctx context.Context, id string) (auth.Client, error) {
	c, err := scanClient(s.db.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = $1`, id))
	if err != nil {
		return auth.Client{}, notFound("get client", err)
	}
	return c, nil
}

// ListClients implements auth.Store.
func (s *Store) ListClients(ctx context.Context, orgID string, page auth.PageRequest) (auth.Page[auth.Client], error) {
	return listQuery[auth.Client]{
		what:       "list clients",
		selectSQL:  `SELECT ` + clientColumns + ` FROM clients`,
		where:      `org_id = $1`,
		args:       []any{orgID},
		timeColumn: "created_at",
		idPrefix:   auth.ClientIDPrefix,
		scan:       func(r *sql.Rows) (auth.Client, error) { return scanClient(r) },
		cursor:     func(c auth.Client) auth.Cursor { return auth.Cursor{At: c.CreatedAt, ID: c.ID} },
	}.run(ctx, s.db, page)
}

// RevokeClient implements auth.Store.
func (s *Store) RevokeClient(ctx context.Context, orgID, id string, at time.Time) error {
	return s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE clients SET revoked_at = COALESCE(revoked_at, $3) WHERE org_id = $1 AND id = $2`, orgID, id, toDB(at))
		if err != nil {
			return fmt.Errorf("revoke client: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("revoke client: %w", err)
		} else if n == 0 {
			return fmt.Errorf("revoke client: %w", auth.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE refresh_tokens SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL`, id, toDB(at)); err != nil {
			return fmt.Errorf("revoke client refresh tokens: %w", err)
		}
		return nil
	})
}
