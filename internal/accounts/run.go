package accounts

import (
	"context"
	"log/slog"
	"time"
)

// PruneInterval is how often Run prunes expired idempotency records and
// ended invitations.
const PruneInterval = time.Hour

// InvitationRetention is how long an invitation is kept after it ended
// (accepted, revoked or expired): long enough for an administrator to see
// what became of it, not for ever.
const InvitationRetention = 90 * 24 * time.Hour

// WithLogger makes the Service log its background work (see Run) to
// logger instead of slog.Default().
func WithLogger(logger *slog.Logger) Option { return func(s *Service) { s.logger = logger } }

// Run does the Service's background work until ctx is done: it prunes
// expired idempotency records, and invitations that ended more than
// InvitationRetention ago, at once and then every PruneInterval,
// logging failures. Expired records are ignored whether pruned or not, so
// one Run per process is harmless even with several processes; it only
// keeps the table small.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(PruneInterval)
	defer t.Stop()
	for {
		n, err := s.PruneIdempotencyRecords(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.logger.WarnContext(ctx, "pruning idempotency records failed", "error", err)
		case n > 0:
			s.logger.DebugContext(ctx, "pruned idempotency records", "count", n)
		}
		n, err = s.store.PruneInvitations(ctx, s.now().Add(-InvitationRetention))
		switch {
		case err != nil && ctx.Err() == nil:
			s.logger.WarnContext(ctx, "pruning invitations failed", "error", err)
		case n > 0:
			s.logger.DebugContext(ctx, "pruned ended invitations", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
