package configs

import (
	"context"
	"fmt"
	"time"
)

// Snapshot returns the snapshot the SDK config endpoint serves; never
// nil, empty (Revision -1) until one is loaded.
func (s *Service) Snapshot() *Snapshot { return s.snap.Load() }

// LoadSnapshot loads every integration from the store and makes the
// snapshot of them current. Integrations whose documents cannot be made
// are left out, and reported in the error, with the others served.
func (s *Service) LoadSnapshot(ctx context.Context) error {
	s.reload.Lock()
	defer s.reload.Unlock()
	return s.load(ctx)
}

// RefreshSnapshot loads the snapshot again if the store's revision is
// newer than the current snapshot's (or none was loaded), and reports
// whether it did. Every replica calls it every poll interval, so that it
// serves the changes other replicas made; this one calls it after each of
// its own changes.
func (s *Service) RefreshSnapshot(ctx context.Context) (bool, error) {
	s.reload.Lock()
	defer s.reload.Unlock()
	rev, err := s.store.Revision(ctx)
	if err != nil {
		return false, fmt.Errorf("refresh snapshot: %w", err)
	}
	if cur := s.snap.Load(); cur.Revision >= 0 && rev <= cur.Revision {
		return false, nil
	}
	return true, s.load(ctx)
}

// load builds and stores the snapshot; the caller holds s.reload.
func (s *Service) load(ctx context.Context) error {
	st, err := s.store.LoadDeliveryState(ctx)
	if err != nil {
		return fmt.Errorf("load snapshot: %w", err)
	}
	snap, err := BuildSnapshot(st, s.snap.Load())
	s.snap.Store(snap)
	return err
}

// LookupDeliveryKey returns the integration whose delivery key is key,
// current or previous within its overlap (previous reports which), from
// the store. It checks no principal: the analytics service calls it by
// its workload identity, which the HTTP layer admits. ErrNotFound for a
// malformed or unknown key.
func (s *Service) LookupDeliveryKey(ctx context.Context, key string) (in Integration, previous bool, err error) {
	if !ValidDeliveryKey(key) {
		return Integration{}, false, &Error{Code: ErrNotFound, Message: "no such delivery key"}
	}
	in, previous, err = s.store.GetIntegrationByDeliveryKey(ctx, key, s.now())
	if err != nil {
		if Code(err) == ErrNotFound {
			return Integration{}, false, &Error{Code: ErrNotFound, Message: "no such delivery key", Err: err}
		}
		return Integration{}, false, err
	}
	return in, previous, nil
}

// PruneIdempotencyRecords deletes the idempotency records that have
// expired. Call it periodically (every few minutes) from one place.
func (s *Service) PruneIdempotencyRecords(ctx context.Context) (int64, error) {
	return s.store.PruneIdempotencyRecords(ctx, s.now())
}

// PruneAuditEntries deletes the audit entries older than retention. The
// trail is kept for ever unless this is called.
func (s *Service) PruneAuditEntries(ctx context.Context, retention time.Duration) (int64, error) {
	if retention <= 0 {
		return 0, NewError(ErrInvalid, "audit retention must be positive")
	}
	return s.store.PruneAuditEntries(ctx, s.now().Add(-retention))
}
