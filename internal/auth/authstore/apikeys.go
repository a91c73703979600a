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

const apiKeyColumns = `id, org_id, identity_id, name, secret_hash, scopes, created_at, expires_at, last_used_at, revoked_at`

func scanAPIKey(r rowScanner) (auth.APIKey, error) {
	var (
		k                          auth.APIKey
		secretHash, scopes         string
		created                    int64
		expires, lastUsed, revoked sql.NullInt64
	)
	if err := r.Scan(&k.ID, &k.OrgID, &k.IdentityID, &k.Name, &secretHash, &scopes, &created, &expires, &lastUsed, &revoked); err != nil {
		return auth.APIKey{}, err
	}
	h, err := hex.DecodeString(secretHash)
	if err != nil {
		return auth.APIKey{}, fmt.Errorf("api key %s: stored secret hash: %w", k.ID, err)
	}
	if err := json.Unmarshal([]byte(scopes), &k.Scopes); err != nil {
		return auth.APIKey{}, fmt.Errorf("api key %s: stored scopes: %w", k.ID, err)
	}
	if k.Scopes == nil {
		k.Scopes = []string{}
	}
	k.SecretHash = h
	k.CreatedAt = fromDB(created)
	k.ExpiresAt, k.LastUsedAt, k.RevokedAt = fromNullDB(expires), fromNullDB(lastUsed), fromNullDB(revoked)
	return k, nil
}

// CreateAPIKey implements auth.Store.
func (s *Store) CreateAPIKey(ctx context.Context, k auth.APIKey) (auth.APIKey, error) {
	if err := k.Validate(); err != nil {
		return auth.APIKey{}, fmt.Errorf("create api key: %w", err)
	}
	k.Scopes = append([]string{}, k.Scopes...)
	k.SecretHash = append([]byte(nil), k.SecretHash...)
	k.CreatedAt, k.ExpiresAt = stored(k.CreatedAt), storedPtr(k.ExpiresAt)
	scopes, err := json.Marshal(k.Scopes)
	if err != nil {
		return auth.APIKey{}, fmt.Errorf("create api key: encode scopes: %w", err)
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO api_keys (`+apiKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)`,
		k.ID, k.OrgID, k.IdentityID, k.Name, hex.EncodeToString(k.SecretHash), string(scopes),
		toDB(k.CreatedAt), toNullDB(k.ExpiresAt))
	if err != nil {
		return auth.APIKey{}, insertError("create api key", err)
	}
	return k, nil
}

// GetAPIKey implements auth.Store.
func (s *Store) GetAPIKey(ctx context.Context, id string) (auth.APIKey, error) {
	k, err := scanAPIKey(s.db.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = $1`, id))
	if err != nil {
		return auth.APIKey{}, notFound("get api key", err)
	}
	return k, nil
}

// ListAPIKeys implements auth.Store.
func (s *Store) ListAPIKeys(ctx context.Context, orgID string, page auth.PageRequest) (auth.Page[auth.APIKey], error) {
	return listQuery[auth.APIKey]{
		what:       "list api keys",
		selectSQL:  `SELECT ` + apiKeyColumns + ` FROM api_keys`,
		where:      `org_id = $1`,
		args:       []any{orgID},
		timeColumn: "created_at",
		idPrefix:   auth.APIKeyIDPrefix,
		scan:       func(r *sql.Rows) (auth.APIKey, error) { return scanAPIKey(r) },
		cursor:     func(k auth.APIKey) auth.Cursor { return auth.Cursor{At: k.CreatedAt, ID: k.ID} },
	}.run(ctx, s.db, page)
}

// RevokeAPIKey implements auth.Store.
func (s *Store) RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time) error {
	return s.execOne(ctx, "revoke api key",
		`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE org_id = $1 AND id = $2`, orgID, id, toDB(at))
}

// TouchAPIKey implements auth.Store.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return s.execOne(ctx, "touch api key", `UPDATE api_keys SET
		last_used_at = CASE WHEN last_used_at > $2 THEN last_used_at ELSE $2 END
		WHERE id = $1`, id, toDB(at))
}
