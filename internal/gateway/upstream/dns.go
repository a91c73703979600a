package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// errNoAddresses reports a resolution that returned nothing.
var errNoAddresses = errors.New("no addresses")

// Resolve looks the service's DNS name up once and replaces its targets
// with the addresses found. Targets whose address stays keep their state.
// When the lookup fails or finds nothing, the previous targets stay, the
// problem is logged and returned. The lookup is bounded by the refresh
// period. Resolve does nothing for a service with static targets.
func (s *Service) Resolve(ctx context.Context) error {
	if s.dns == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.dns.Refresh)
	defer cancel()
	addrs, err := s.resolver.LookupHost(ctx, s.dns.Name)
	if err == nil && len(addrs) == 0 {
		err = errNoAddresses
	}
	if err != nil {
		err = fmt.Errorf("resolve %s: %w", s.dns.Name, err)
		s.log.Warn("upstream discovery failed; keeping previous targets", "error", err)
		return err
	}
	urls := make([]string, 0, len(addrs))
	for _, a := range addrs {
		u := url.URL{Scheme: s.dns.Scheme, Host: net.JoinHostPort(a, strconv.Itoa(s.dns.Port))}
		urls = append(urls, u.String())
	}
	slices.Sort(urls)
	urls = slices.Compact(urls)
	s.replaceTargets(urls)
	return nil
}

// replaceTargets makes urls, sorted and unique, the service's targets.
func (s *Service) replaceTargets(urls []string) {
	s.mu.Lock()
	current := make(map[string]*Target, len(s.targets))
	for _, t := range s.targets {
		current[t.str] = t
	}
	next := make([]*Target, 0, len(urls))
	var added []string
	for _, raw := range urls {
		if t, ok := current[raw]; ok {
			next = append(next, t)
			delete(current, raw)
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			// A resolver returned something that is not a host; skip it.
			s.log.Warn("upstream discovery returned an unusable address", "address", raw, "error", err)
			continue
		}
		next = append(next, newTarget(u, s.healthPath))
		added = append(added, raw)
	}
	if len(next) == 0 {
		s.mu.Unlock()
		s.log.Warn("upstream discovery found no usable address; keeping previous targets")
		return
	}
	var removed []string
	for _, t := range s.targets {
		if _, gone := current[t.str]; gone {
			t.removed = true
			removed = append(removed, t.str)
		}
	}
	s.targets = next
	returned := s.rebuildLocked(s.clock.nanos())
	s.mu.Unlock()
	s.announceReturned(returned)
	if len(added) > 0 || len(removed) > 0 {
		s.log.Info("upstream targets changed", "added", added, "removed", removed, "targets", len(next))
	}
	if o, ok := s.observer.(RemovalObserver); ok && len(removed) > 0 {
		o.TargetsRemoved(s.name, removed)
	}
}

func (s *Service) refreshLoop(ctx context.Context) {
	defer s.wg.Done()
	tick := time.NewTicker(s.dns.Refresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			_ = s.Resolve(ctx) // logged; the previous targets stay
		}
	}
}

// *net.Resolver is the production Resolver.
var _ Resolver = (*net.Resolver)(nil)
