package signing

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// maxCreateAttempts bounds how often one decision to make a key is
// retried after losing a race to another replica.
const maxCreateAttempts = 4

// KIDPrefix starts every kid the Manager makes.
const KIDPrefix = "sk_"

// ensure reloads the keys and makes the one that is missing, if any: an
// active key when none is, or the active key's successor once its
// retirement is PublishAhead away.
func (m *Manager) ensure(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range maxCreateAttempts {
		if err := m.reloadLocked(ctx); err != nil {
			return err
		}
		now := m.o.Now()
		s := m.state.Load()
		cur := s.current(now)
		var activates time.Time
		switch {
		case cur == nil:
			activates = now // nothing signs: start at once, without pre-publication
		case s.maxGeneration() == cur.rec.Generation && !now.Before(cur.rec.RetiresAt.Add(-m.o.PublishAhead)):
			activates = cur.rec.RetiresAt
		default:
			return nil
		}
		err := m.createLocked(ctx, s.maxGeneration()+1, now, activates)
		if errors.Is(err, ErrConflict) {
			continue // another replica made it; the reload picks it up
		}
		if err != nil {
			return err
		}
	}
	if err := m.reloadLocked(ctx); err != nil {
		return err
	}
	if m.state.Load().current(m.o.Now()) == nil {
		return fmt.Errorf("ensure signing key: gave up after %d attempts: %w", maxCreateAttempts, ErrNoSigningKey)
	}
	return nil
}

// createLocked makes and stores a key of the given generation that
// activates at activates and signs for RotateEvery.
func (m *Manager) createLocked(ctx context.Context, gen int64, now, activates time.Time) error {
	kid := newKID()
	priv, err := generateKey(m.o.Algorithm, m.o.RSABits)
	if err != nil {
		return fmt.Errorf("create signing key: %w", err)
	}
	pub, err := publicJWK(kid, m.o.Algorithm, priv)
	if err != nil {
		return fmt.Errorf("create signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("create signing key: encode private key: %w", err)
	}
	sealed := m.sealer.seal(kid, der)
	clear(der)
	retires := activates.Add(m.o.RotateEvery)
	rec, err := m.store.CreateSigningKey(ctx, KeyRecord{
		KID: kid, Generation: gen, Algorithm: m.o.Algorithm,
		PublicKey: pub, SealedPrivateKey: sealed,
		CreatedAt: now, ActivatesAt: activates, RetiresAt: retires, ExpiresAt: retires.Add(m.o.retention()),
	})
	if err != nil {
		return fmt.Errorf("create signing key: %w", err)
	}
	m.o.Logger.LogAttrs(ctx, slog.LevelInfo, "signing key created",
		slog.String("kid", rec.KID), slog.String("alg", rec.Algorithm), slog.Int64("generation", rec.Generation),
		slog.Time("activates_at", rec.ActivatesAt), slog.Time("retires_at", rec.RetiresAt))
	return nil
}

// newKID returns a new random kid: KIDPrefix and 128 random bits in
// base64url.
func newKID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return KIDPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// Rotate replaces the signing key now: a new key starts signing at once
// and every other key that has not retired retires, staying published
// until the tokens it signed have expired. It returns the new key's kid.
//
// It is for operators who suspect a key, and for tests. Scheduled rotation
// (Run) pre-publishes keys instead; an immediate one does not, so for a
// short while verifiers meet a kid they do not know: each finds it at its
// next refetch (at most identity.JWKSOptions.RefetchInterval away), and
// other replicas publish and sign with the new key after their next
// Maintain (at most CheckInterval away).
func (m *Manager) Rotate(ctx context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range maxCreateAttempts {
		if err := m.reloadLocked(ctx); err != nil {
			return "", fmt.Errorf("rotate: %w", err)
		}
		now := m.o.Now()
		s := m.state.Load()
		err := m.createLocked(ctx, s.maxGeneration()+1, now, now)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("rotate: %w", err)
		}
		// The new key signs from now as the highest generation; retiring
		// the others keeps them from signing again should it be retired.
		for _, k := range s.keys {
			if now.Before(k.rec.RetiresAt) {
				if err := m.store.RetireSigningKey(ctx, k.rec.KID, now, now.Add(m.o.retention())); err != nil {
					return "", fmt.Errorf("rotate: retire %s: %w", k.rec.KID, err)
				}
				m.o.Logger.LogAttrs(ctx, slog.LevelInfo, "signing key retired", slog.String("kid", k.rec.KID))
			}
		}
		if err := m.reloadLocked(ctx); err != nil {
			return "", fmt.Errorf("rotate: %w", err)
		}
		cur := m.state.Load().current(m.o.Now())
		if cur == nil {
			return "", fmt.Errorf("rotate: %w", ErrNoSigningKey)
		}
		return cur.rec.KID, nil
	}
	return "", fmt.Errorf("rotate: lost the race to create a key %d times: %w", maxCreateAttempts, ErrConflict)
}

// Maintain runs one round of upkeep: it reloads the keys, makes a missing
// active key or successor, and deletes keys past their ExpiresAt. Run
// calls it every CheckInterval.
func (m *Manager) Maintain(ctx context.Context) error {
	if err := m.ensure(ctx); err != nil {
		return fmt.Errorf("maintain signing keys: %w", err)
	}
	n, err := m.store.DeleteExpiredSigningKeys(ctx, m.o.Now())
	if err != nil {
		return fmt.Errorf("maintain signing keys: %w", err)
	}
	if n == 0 {
		return nil
	}
	m.o.Logger.LogAttrs(ctx, slog.LevelInfo, "expired signing keys deleted", slog.Int64("count", n))
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.reloadLocked(ctx); err != nil {
		return fmt.Errorf("maintain signing keys: %w", err)
	}
	return nil
}

// Run calls Maintain every CheckInterval until ctx ends, logging its
// errors: a store that is briefly unreachable must not stop signing, since
// the cached keys keep working. It returns nil when ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.o.CheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := m.Maintain(ctx); err != nil && ctx.Err() == nil {
				m.o.Logger.LogAttrs(ctx, slog.LevelError, "signing key upkeep failed", slog.String("error", err.Error()))
			}
		}
	}
}
