package analytics

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// ReasonOverCap: the organization's plan caps its concurrent viewers and
// they are at the cap; beacons that start a session (sequence 0) are
// refused until they fall below it, while sessions already playing go on.
const ReasonOverCap = "over-cap"

// DefaultCapRefresh is how often a Service re-reads an organization's
// viewer cap and its concurrent viewers.
const DefaultCapRefresh = 15 * time.Second

// PlanSource says how many concurrent viewers an organization's plan
// allows. The service's implementation asks the accounts service
// (HTTPPlanSource); tests give a map.
type PlanSource interface {
	// ViewerCap returns the most concurrent viewers org's plan allows, 0
	// for no cap.
	ViewerCap(ctx context.Context, orgID string) (int64, error)
}

// capState is what a Service last learned of one organization.
type capState struct {
	cap, current int64
	expires      time.Time
}

// capGuard applies plans' viewer caps: an organization is over its cap
// when its distinct sessions in the last complete minute (the
// peak_concurrent definition, read from the minute rollups every replica
// writes, so all replicas agree) reach the cap. What it learns is reused
// for refresh; a failure to learn admits the batch (a cap is a commercial
// limit, not a safety one, and beacons are not to be lost for it) and is
// logged.
type capGuard struct {
	plans   PlanSource
	refresh time.Duration

	group singleflight.Group
	mu    sync.Mutex
	state map[string]capState
}

// WithViewerCaps makes the Service refuse beacons that start sessions
// (ReasonOverCap) for organizations at their plan's viewer cap, learnt
// from plans and re-read every refresh (DefaultCapRefresh when not
// positive). Without it no cap applies.
func WithViewerCaps(plans PlanSource, refresh time.Duration) Option {
	return func(s *Service) {
		if refresh <= 0 {
			refresh = DefaultCapRefresh
		}
		s.caps = &capGuard{plans: plans, refresh: refresh, state: map[string]capState{}}
	}
}

// overCap reports whether org is at its viewer cap, and the cap.
func (s *Service) overCap(ctx context.Context, org string) (bool, int64) {
	g := s.caps
	if g == nil {
		return false, 0
	}
	now := s.now()
	g.mu.Lock()
	st, ok := g.state[org]
	g.mu.Unlock()
	if !ok || !now.Before(st.expires) {
		v, err, _ := g.group.Do(org, func() (any, error) { return s.learnCap(ctx, org, now) })
		if err != nil {
			s.logger.Warn("viewer cap not checked", "org", org, "err", err)
			return false, 0
		}
		st = v.(capState)
	}
	return st.cap > 0 && st.current >= st.cap, st.cap
}

// learnCap reads org's cap and, when it has one, its concurrent viewers.
func (s *Service) learnCap(ctx context.Context, org string, now time.Time) (capState, error) {
	g := s.caps
	ctx = context.WithoutCancel(ctx)
	c, err := g.plans.ViewerCap(ctx, org)
	if err != nil {
		return capState{}, err
	}
	st := capState{cap: c, expires: now.Add(g.refresh)}
	if c > 0 {
		minute := LevelMinute.Bucket(now)
		rows, err := s.store.Sketches(ctx, RollupQuery{OrgID: org, Level: LevelMinute,
			Ranges: []Range{{From: minute.Add(-time.Minute), To: minute}}})
		if err != nil {
			return capState{}, err
		}
		for _, r := range rows {
			st.current += int64(r.Sketch.Estimate())
		}
	}
	g.mu.Lock()
	if len(g.state) >= DefaultKeyMaxEntries {
		clear(g.state)
	}
	g.state[org] = st
	g.mu.Unlock()
	return st, nil
}
