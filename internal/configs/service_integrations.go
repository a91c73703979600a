package configs

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Bounds of a delivery key rotation's overlap.
const (
	// DefaultKeyOverlap is how long the previous delivery key keeps
	// working when the caller names no overlap: a day, so that pages and
	// apps cached with it move on.
	DefaultKeyOverlap = 24 * time.Hour
	// MaxKeyOverlap is the longest overlap a rotation may ask for.
	MaxKeyOverlap = 30 * 24 * time.Hour
)

// NewIntegration is what CreateIntegration needs.
type NewIntegration struct {
	Name        string
	Environment Environment
	// Domains and BundleIDs are as the customer typed them; see
	// ParseDomain and ParseBundleID.
	Domains   []string
	BundleIDs []string
	// IdempotencyKey, when not empty, makes the request safe to retry: the
	// same key with the same Fingerprint within the idempotency lifetime
	// gets the integration the first request created.
	IdempotencyKey string
	// Fingerprint is the SHA-256 of the request (the HTTP layer hashes its
	// body); required with an IdempotencyKey.
	Fingerprint []byte
}

// CreatedIntegration is the answer to CreateIntegration.
type CreatedIntegration struct {
	Integration Integration
	Settings    SettingsVersion
	// Replayed is true when an earlier request with the same idempotency
	// key created the integration.
	Replayed bool
}

// IntegrationPatch changes some fields of an integration; a nil field
// stays as it is.
type IntegrationPatch struct {
	Name        *string
	Environment *Environment
	Domains     *[]string
	BundleIDs   *[]string
	Status      *IntegrationStatus
}

// parseLists parses domains and bundle ids as typed, each failure with its
// pointer.
func parseLists(fields []FieldError, domains, bundles *[]string) ([]FieldError, Domains, []BundleID) {
	var ds Domains
	var bs []BundleID
	if domains != nil {
		if len(*domains) > MaxDomains {
			fields = append(fields, FieldError{"/domains", "must have at most 100 items"})
		}
		seen := map[string]bool{}
		for i, d := range *domains {
			pd, err := ParseDomain(d)
			switch {
			case err != nil:
				fields = append(fields, FieldError{"/domains/" + strconv.Itoa(i), SafeMessage(err)})
			case seen[pd.String()]:
				fields = append(fields, FieldError{"/domains/" + strconv.Itoa(i), "is listed already"})
			default:
				seen[pd.String()] = true
				ds = append(ds, pd)
			}
		}
	}
	if bundles != nil {
		if len(*bundles) > MaxBundleIDs {
			fields = append(fields, FieldError{"/bundle_ids", "must have at most 100 items"})
		}
		seen := map[string]bool{}
		for i, b := range *bundles {
			pb, err := ParseBundleID(b)
			switch {
			case err != nil:
				fields = append(fields, FieldError{"/bundle_ids/" + strconv.Itoa(i), SafeMessage(err)})
			case seen[b]:
				fields = append(fields, FieldError{"/bundle_ids/" + strconv.Itoa(i), "is listed already"})
			default:
				seen[b] = true
				bs = append(bs, pb)
			}
		}
	}
	return fields, ds, bs
}

func checkName(fields []FieldError, name string) []FieldError {
	if name == "" || len(name) > MaxIntegrationNameLen || !printable(name) {
		return append(fields, FieldError{"/name", "must be 1 to 200 bytes of printable text"})
	}
	return fields
}

func checkEnvironment(fields []FieldError, e Environment) []FieldError {
	if !e.Valid() {
		return append(fields, FieldError{"/environment", "must be production or staging"})
	}
	return fields
}

func fieldsError(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: ErrInvalid, Message: "fields of the request are invalid", Fields: fields}
}

// auditView is the part of an integration its audit diffs show.
type auditView struct {
	Name        string   `json:"name"`
	Environment string   `json:"environment"`
	Status      string   `json:"status"`
	Domains     []string `json:"domains"`
	BundleIDs   []string `json:"bundle_ids"`
}

func viewOf(in Integration) []byte {
	v := auditView{Name: in.Name, Environment: string(in.Environment), Status: string(in.Status),
		Domains: make([]string, len(in.Domains)), BundleIDs: make([]string, len(in.BundleIDs))}
	for i, d := range in.Domains {
		v.Domains[i] = d.String()
	}
	for i, b := range in.BundleIDs {
		v.BundleIDs[i] = string(b)
	}
	b, _ := json.Marshal(v) // strings and slices of them always encode
	return b
}

// CreateIntegration creates an active integration with a new delivery key
// and DefaultSettings as its settings version 1. Admins and owners may.
func (s *Service) CreateIntegration(ctx context.Context, p Principal, orgID string, n NewIntegration) (CreatedIntegration, error) {
	if err := authorize(p, orgID, accessManage); err != nil {
		return CreatedIntegration{}, err
	}
	if n.IdempotencyKey != "" {
		if !ValidIdempotencyKey(n.IdempotencyKey) || len(n.Fingerprint) != FingerprintLen {
			return CreatedIntegration{}, NewError(ErrInvalid, "idempotency key is malformed")
		}
		if c, found, err := s.replay(ctx, p, orgID, n); found || err != nil {
			return c, err
		}
	}
	fields := checkEnvironment(checkName(nil, n.Name), n.Environment)
	fields, ds, bs := parseLists(fields, &n.Domains, &n.BundleIDs)
	if err := fieldsError(fields); err != nil {
		return CreatedIntegration{}, err
	}
	now := s.now()
	in := Integration{ID: NewIntegrationID(now), OrgID: orgID, Name: n.Name, Environment: n.Environment,
		Status: StatusActive, DeliveryKey: NewDeliveryKey(), Domains: ds, BundleIDs: bs, CreatedAt: now, UpdatedAt: now}
	diff, err := Diff([]byte(`{}`), viewOf(in))
	if err != nil {
		return CreatedIntegration{}, err
	}
	c := Creation{
		Integration: in,
		Settings:    SettingsVersion{Document: DefaultSettings(), Author: p.ID, Message: "default settings", CreatedAt: now},
		Audit:       s.auditEntry(p, in, ActionIntegrationCreated, "created "+in.Name, diff, now),
	}
	if n.IdempotencyKey != "" {
		c.Idempotency = &IdempotencyRecord{OrgID: orgID, Principal: p.ID, Key: n.IdempotencyKey, Fingerprint: n.Fingerprint,
			IntegrationID: in.ID, CreatedAt: now, ExpiresAt: now.Add(s.idempotency)}
	}
	got, v, err := s.store.CreateIntegration(ctx, c)
	if err != nil {
		if n.IdempotencyKey != "" && Code(err) == ErrConflict {
			// A concurrent request with the same key won: answer as a
			// retry would.
			if c, found, rerr := s.replay(ctx, p, orgID, n); found || rerr != nil {
				return c, rerr
			}
		}
		return CreatedIntegration{}, err
	}
	s.changed(ctx)
	return CreatedIntegration{Integration: got, Settings: v}, nil
}

// replay answers a creation whose idempotency key was used before; found
// is false when there is no live record of it.
func (s *Service) replay(ctx context.Context, p Principal, orgID string, n NewIntegration) (c CreatedIntegration, found bool, err error) {
	rec, err := s.store.GetIdempotencyRecord(ctx, orgID, p.ID, n.IdempotencyKey, s.now())
	switch {
	case Code(err) == ErrNotFound:
		return CreatedIntegration{}, false, nil
	case err != nil:
		return CreatedIntegration{}, true, fmt.Errorf("idempotency record: %w", err)
	case subtle.ConstantTimeCompare(rec.Fingerprint, n.Fingerprint) != 1:
		return CreatedIntegration{}, true, NewError(ErrIdempotencyKeyReused,
			"the idempotency key was used with another request")
	}
	in, err := s.store.GetIntegration(ctx, orgID, rec.IntegrationID)
	if Code(err) == ErrNotFound {
		return CreatedIntegration{}, true, &Error{Code: ErrConflict,
			Message: "the integration created with this idempotency key was deleted since", Err: err}
	}
	if err != nil {
		return CreatedIntegration{}, true, err
	}
	v, err := s.store.CurrentSettings(ctx, orgID, in.ID)
	if err != nil {
		return CreatedIntegration{}, true, err
	}
	return CreatedIntegration{Integration: in, Settings: v, Replayed: true}, true, nil
}

// GetIntegration returns an integration to whoever may read its
// organization.
func (s *Service) GetIntegration(ctx context.Context, p Principal, orgID, id string) (Integration, error) {
	return s.integration(ctx, p, orgID, id, accessRead)
}

// ListIntegrations returns one page of the organization's integrations,
// newest first.
func (s *Service) ListIntegrations(ctx context.Context, p Principal, orgID string, page PageRequest) (Page[Integration], error) {
	if err := authorize(p, orgID, accessRead); err != nil {
		return Page[Integration]{}, err
	}
	return s.store.ListIntegrations(ctx, orgID, page)
}

// UpdateIntegration changes the fields of u that are set. Name,
// environment, domains and bundle ids take an admin or owner; so does the
// status, active or disabled, of an integration that is not bypassed;
// staff may set any status anywhere. A patch that changes nothing writes
// nothing and returns the integration.
func (s *Service) UpdateIntegration(ctx context.Context, p Principal, orgID, id string, u IntegrationPatch) (Integration, error) {
	fieldsSet := u.Name != nil || u.Environment != nil || u.Domains != nil || u.BundleIDs != nil
	need := accessRead
	if fieldsSet {
		need = accessManage
	}
	in, err := s.integration(ctx, p, orgID, id, need)
	if err != nil {
		return Integration{}, err
	}
	next := in
	var fields []FieldError
	if u.Name != nil {
		fields, next.Name = checkName(fields, *u.Name), *u.Name
	}
	if u.Environment != nil {
		fields, next.Environment = checkEnvironment(fields, *u.Environment), *u.Environment
	}
	fields, ds, bs := parseLists(fields, u.Domains, u.BundleIDs)
	if u.Domains != nil {
		next.Domains = ds
	}
	if u.BundleIDs != nil {
		next.BundleIDs = bs
	}
	if u.Status != nil {
		if !u.Status.Valid() {
			fields = append(fields, FieldError{"/status", "must be active, disabled or bypassed"})
		} else if err := statusAllowed(p, orgID, in.Status, *u.Status); err != nil {
			return Integration{}, err
		}
		next.Status = *u.Status
	}
	if err := fieldsError(fields); err != nil {
		return Integration{}, err
	}
	before, after := viewOf(in), viewOf(next)
	if string(before) == string(after) {
		return in, nil
	}
	diff, err := Diff(before, after)
	if err != nil {
		return Integration{}, err
	}
	now := s.now()
	next.UpdatedAt = now
	action, msg := ActionIntegrationUpdated, "updated "+next.Name
	if !fieldsSet || string(viewOf(withStatus(in, next.Status))) == string(after) {
		action, msg = ActionStatusChanged, "status "+string(in.Status)+" to "+string(next.Status)
	}
	got, err := s.store.UpdateIntegration(ctx, next, s.auditEntry(p, in, action, msg, diff, now))
	if Code(err) == ErrNotFound {
		return Integration{}, errNoIntegration(err)
	}
	if err != nil {
		return Integration{}, err
	}
	s.changed(ctx)
	return got, nil
}

func withStatus(in Integration, st IntegrationStatus) Integration {
	in.Status = st
	return in
}

// statusAllowed says whether p may move an integration of orgID from one
// status to another: staff always; admins and owners between active and
// disabled, never to or from bypassed, which is support's switch.
func statusAllowed(p Principal, orgID string, from, to IntegrationStatus) error {
	if p.Staff || from == to {
		return nil
	}
	if err := authorize(p, orgID, accessManage); err != nil {
		return err
	}
	if from == StatusBypassed || to == StatusBypassed {
		return NewError(ErrForbidden, "only staff bypass an integration or end a bypass")
	}
	return nil
}

// DeleteIntegration deletes an integration, its settings and its keys;
// its audit trail stays. Owners may.
func (s *Service) DeleteIntegration(ctx context.Context, p Principal, orgID, id string) error {
	in, err := s.integration(ctx, p, orgID, id, accessOwn)
	if err != nil {
		return err
	}
	now := s.now()
	diff, err := Diff(viewOf(in), []byte(`{}`))
	if err != nil {
		return err
	}
	err = s.store.DeleteIntegration(ctx, orgID, id, s.auditEntry(p, in, ActionIntegrationDeleted, "deleted "+in.Name, diff, now))
	if Code(err) == ErrNotFound {
		return errNoIntegration(err)
	}
	if err != nil {
		return err
	}
	s.changed(ctx)
	return nil
}

// keyView is the part of an integration a key rotation's diff shows.
type keyView struct {
	DeliveryKey          string     `json:"delivery_key"`
	PreviousDeliveryKey  string     `json:"previous_delivery_key,omitempty"`
	PreviousKeyExpiresAt *time.Time `json:"previous_key_expires_at,omitempty"`
}

func keysOf(in Integration) []byte {
	v := keyView{DeliveryKey: in.DeliveryKey, PreviousDeliveryKey: in.PreviousDeliveryKey}
	if !in.PreviousKeyExpiresAt.IsZero() {
		t := in.PreviousKeyExpiresAt
		v.PreviousKeyExpiresAt = &t
	}
	b, _ := json.Marshal(v) // strings and a time always encode
	return b
}

// RotateDeliveryKey gives an integration a new delivery key; the current
// one keeps working for overlap (0: not at all, which ends it at once;
// at most MaxKeyOverlap). A key rotated out before, still in its overlap,
// stops working. Admins and owners may.
func (s *Service) RotateDeliveryKey(ctx context.Context, p Principal, orgID, id string, overlap time.Duration) (Integration, error) {
	in, err := s.integration(ctx, p, orgID, id, accessManage)
	if err != nil {
		return Integration{}, err
	}
	if overlap < 0 || overlap > MaxKeyOverlap {
		return Integration{}, &Error{Code: ErrInvalid, Message: "overlap must be 0 to 30 days",
			Fields: []FieldError{{"/overlap_seconds", "must be 0 to 2592000"}}}
	}
	now := s.now()
	// An overlap of 0 still needs an end time: now, which the key is
	// already not before.
	until := now.Add(overlap)
	after := in
	after.PreviousDeliveryKey, after.PreviousKeyExpiresAt, after.DeliveryKey = in.DeliveryKey, until, NewDeliveryKey()
	diff, err := Diff(keysOf(in), keysOf(after))
	if err != nil {
		return Integration{}, err
	}
	msg := "rotated the delivery key; the previous one works until " + until.UTC().Format(time.RFC3339)
	got, err := s.store.RotateDeliveryKey(ctx, orgID, id, after.DeliveryKey, until,
		s.auditEntry(p, in, ActionDeliveryKeyRotated, msg, diff, now))
	if errors.Is(err, ErrNotFound) {
		return Integration{}, errNoIntegration(err)
	}
	if err != nil {
		return Integration{}, err
	}
	s.changed(ctx)
	return got, nil
}
