package accounts

import (
	"context"
	"errors"
)

// ProfileUpdate is what a person writes of their profile.
type ProfileUpdate struct {
	DisplayName string
	Timezone    string
	Locale      string
	Preferences map[string]any
}

// Profile returns the caller's own profile; one never written is empty,
// with a zero UpdatedAt.
func (s *Service) Profile(ctx context.Context, p Principal) (Profile, error) {
	pr, err := s.store.GetProfile(ctx, p.IdentityID)
	if errors.Is(err, ErrNotFound) {
		return Profile{IdentityID: p.IdentityID, Preferences: map[string]any{}}, nil
	}
	return pr, err
}

// PutProfile replaces the caller's own profile.
func (s *Service) PutProfile(ctx context.Context, p Principal, u ProfileUpdate) (Profile, error) {
	return s.store.PutProfile(ctx, Profile{IdentityID: p.IdentityID, DisplayName: u.DisplayName,
		Timezone: u.Timezone, Locale: u.Locale, Preferences: u.Preferences, UpdatedAt: s.now()})
}
