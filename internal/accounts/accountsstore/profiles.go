package accountsstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/portico-gw/portico/internal/accounts"
)

const profileColumns = `identity_id, display_name, timezone, locale, preferences, updated_at`

func scanProfile(r rowScanner) (accounts.Profile, error) {
	var (
		p       accounts.Profile
		prefs   string
		updated int64
	)
	if err := r.Scan(&p.IdentityID, &p.DisplayName, &p.Timezone, &p.Locale, &prefs, &updated); err != nil {
		return accounts.Profile{}, err
	}
	if err := json.Unmarshal([]byte(prefs), &p.Preferences); err != nil {
		return accounts.Profile{}, fmt.Errorf("stored preferences: %w", err)
	}
	p.UpdatedAt = fromDB(updated)
	return p, nil
}

// GetProfile implements accounts.Store.
func (s *Store) GetProfile(ctx context.Context, identityID string) (accounts.Profile, error) {
	p, err := scanProfile(s.db.QueryRowContext(ctx,
		`SELECT `+profileColumns+` FROM profiles WHERE identity_id = $1`, identityID))
	if err != nil {
		return accounts.Profile{}, notFound("get profile", err)
	}
	return p, nil
}

// PutProfile implements accounts.Store.
func (s *Store) PutProfile(ctx context.Context, p accounts.Profile) (accounts.Profile, error) {
	if err := p.Validate(); err != nil {
		return accounts.Profile{}, fmt.Errorf("put profile: %w", err)
	}
	locale, err := accounts.CanonicalLocale(p.Locale)
	if err != nil {
		return accounts.Profile{}, fmt.Errorf("put profile: %w", err)
	}
	prefs, err := accounts.EncodePreferences(p.Preferences)
	if err != nil {
		return accounts.Profile{}, fmt.Errorf("put profile: %w", err)
	}
	got, err := scanProfile(s.db.QueryRowContext(ctx,
		`INSERT INTO profiles (`+profileColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (identity_id) DO UPDATE SET display_name = excluded.display_name, timezone = excluded.timezone,
			locale = excluded.locale, preferences = excluded.preferences, updated_at = excluded.updated_at
		RETURNING `+profileColumns,
		p.IdentityID, p.DisplayName, p.Timezone, locale, string(prefs), toDB(p.UpdatedAt)))
	if err != nil {
		return accounts.Profile{}, fmt.Errorf("put profile: %w", err)
	}
	return got, nil
}
