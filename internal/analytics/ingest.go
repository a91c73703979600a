package analytics

import (
	"context"
	"fmt"
	"time"
)

// IngestRequest is one batch of beacons and where it came from.
type IngestRequest struct {
	// DeliveryKey is the integration's public key the batch names.
	DeliveryKey string
	// Origin is the batch's Origin header (a page), "" when none.
	Origin string
	// BundleID is the app's bundle id when the batch comes from an app
	// (no Origin), "" otherwise.
	BundleID string
	// Beacons are the decoded beacons; Refused are the ones the decoder
	// refused already, passed through with their indexes in the batch.
	// Indexes of Beacons are their positions in this slice unless
	// Indexes is set.
	Beacons []Beacon
	Refused []Refusal
	// Indexes, when not nil, gives each beacon's position in the batch
	// document (the decoder drops refused ones from Beacons).
	Indexes []int
	// Country and ISP come from the edge's trusted headers; the service
	// cleans them (NormalizeCountry, NormalizeISP).
	Country, ISP string
	// ReceivedAt is when the batch arrived; the Service's clock when
	// zero. The event-time window is checked against it.
	ReceivedAt time.Time
}

// IngestResult says what became of a batch.
type IngestResult struct {
	// Accepted counts the beacons stored now.
	Accepted int
	// Duplicates counts valid beacons that were stored already, or
	// repeated within the batch: they changed nothing.
	Duplicates int
	// Refused lists every refused beacon, the decoder's included, by
	// index.
	Refused []Refusal
}

// Ingest resolves the batch's delivery key, checks its origin (or app
// bundle id), validates each beacon and stores the valid ones
// idempotently: (organization, session id, sequence) identifies a beacon
// and the first one stored wins.
//
// A whole batch is refused with an *Error whose Reason says why: an
// unknown key (ErrNotFound), a disabled integration (ErrRefused), an
// origin or app the integration does not allow, or none (ErrForbidden),
// more than the maximum beacons (ErrTooLarge). A bypassed integration's
// beacons are ingested. With WithViewerCaps, the beacons that start a
// session (sequence 0) of an organization at its plan's viewer cap are
// refused one by one (ReasonOverCap); the others are ingested. Other errors are internal failures (the store or
// the resolver), and nothing of the batch is stored.
func (s *Service) Ingest(ctx context.Context, req IngestRequest) (IngestResult, error) {
	if n := len(req.Beacons) + len(req.Refused); n > s.maxBatch {
		s.onRefused(ReasonTooManyBeacons, n)
		return IngestResult{}, &Error{Code: ErrTooLarge, Reason: ReasonTooManyBeacons,
			Message: fmt.Sprintf("a batch may hold at most %d beacons", s.maxBatch)}
	}
	in, err := s.resolver.Resolve(ctx, req.DeliveryKey)
	if Code(err) == ErrNotFound {
		return s.refuseBatch(req, &Error{Code: ErrNotFound, Reason: ReasonUnknownKey, Message: "no integration has this delivery key", Err: err})
	}
	if err != nil {
		return IngestResult{}, fmt.Errorf("resolve delivery key: %w", err)
	}
	switch {
	case in.Status == StatusDisabled:
		return s.refuseBatch(req, &Error{Code: ErrRefused, Reason: ReasonDisabled, Message: "the integration is disabled"})
	case in.Status != StatusActive && in.Status != StatusBypassed:
		return IngestResult{}, fmt.Errorf("resolve delivery key: integration status %q", in.Status)
	case req.Origin != "":
		if !in.AllowsOrigin(req.Origin) {
			return s.refuseBatch(req, &Error{Code: ErrForbidden, Reason: ReasonOriginNotAllowed, Message: "the page's origin is not an allowed domain of the integration"})
		}
	case req.BundleID == "":
		return s.refuseBatch(req, &Error{Code: ErrForbidden, Reason: ReasonOriginMissing, Message: "send Origin from a page, or the bundle id from an app"})
	case !in.AllowsBundleID(req.BundleID):
		return s.refuseBatch(req, &Error{Code: ErrForbidden, Reason: ReasonBundleIDNotAllowed, Message: "the app's bundle id is not one of the integration"})
	}

	received := req.ReceivedAt
	if received.IsZero() {
		received = s.now()
	}
	received = received.UTC()
	country, isp := NormalizeCountry(req.Country), NormalizeISP(req.ISP)
	res := IngestResult{Refused: append([]Refusal(nil), req.Refused...)}
	counts := map[string]int{}
	for _, r := range req.Refused {
		counts[r.Reason]++
	}
	type key struct {
		session string
		seq     int64
	}
	seen := make(map[key]bool, len(req.Beacons))
	valid := make([]Ingested, 0, len(req.Beacons))
	over, capOf := s.overCap(ctx, in.OrgID)
	for i := range req.Beacons {
		b := req.Beacons[i]
		index := i
		if req.Indexes != nil && i < len(req.Indexes) {
			index = req.Indexes[i]
		}
		if e := b.Validate(received, s.window); e != nil {
			r := e.Refusal(index)
			res.Refused = append(res.Refused, r)
			counts[r.Reason]++
			continue
		}
		if over && b.Sequence == 0 {
			res.Refused = append(res.Refused, Refusal{Index: index, Pointer: BeaconPointer(index) + "/seq", Reason: ReasonOverCap,
				Detail: fmt.Sprintf("the organization's plan allows %d concurrent viewers, and they are all watching; new sessions start again below the cap", capOf)})
			counts[ReasonOverCap]++
			continue
		}
		k := key{b.SessionID, b.Sequence}
		if seen[k] {
			res.Duplicates++
			continue
		}
		seen[k] = true
		b.Time = b.Time.UTC()
		b.Country, b.ISP = country, isp
		valid = append(valid, Ingested{Beacon: b, OrgID: in.OrgID, IntegrationID: in.ID, ReceivedAt: received})
	}
	for reason, n := range counts {
		s.onRefused(reason, n)
	}
	if len(valid) == 0 {
		return res, nil
	}
	stored, err := s.store.InsertBeacons(ctx, valid)
	if err != nil {
		return IngestResult{}, fmt.Errorf("store beacons: %w", err)
	}
	res.Accepted = len(stored)
	res.Duplicates += len(valid) - len(stored)
	return res, nil
}

// refuseBatch counts every beacon of the batch as refused for e's reason
// and returns e.
func (s *Service) refuseBatch(req IngestRequest, e *Error) (IngestResult, error) {
	s.onRefused(e.Reason, len(req.Beacons)+len(req.Refused))
	return IngestResult{}, e
}
