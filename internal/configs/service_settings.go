package configs

import (
	"context"
	"encoding/json"
	"strconv"
)

// settingsError returns the ErrInvalidDocument error of a document that
// fails ValidateSettings, or nil. prefix is the pointer of the document in
// the request ("/document"), so that each field's pointer locates it there.
func settingsError(doc []byte, prefix string) error {
	errs := ValidateSettings(doc)
	if len(errs) == 0 {
		return nil
	}
	for i := range errs {
		errs[i].Pointer = prefix + errs[i].Pointer
	}
	return &Error{Code: ErrInvalidDocument, Message: "the settings document is not valid", Fields: errs}
}

// SettingsDocumentPointer is where the settings document sits in the
// requests that carry one; the Fields of their errors start with it.
const SettingsDocumentPointer = "/document"

// CurrentSettings returns an integration's current settings version.
func (s *Service) CurrentSettings(ctx context.Context, p Principal, orgID, id string) (SettingsVersion, error) {
	if _, err := s.integration(ctx, p, orgID, id, accessRead); err != nil {
		return SettingsVersion{}, err
	}
	v, err := s.store.CurrentSettings(ctx, orgID, id)
	if Code(err) == ErrNotFound {
		return SettingsVersion{}, errNoIntegration(err)
	}
	return v, err
}

// checkMessage checks a version message as a client sent it.
func checkMessage(msg string) error {
	if len(msg) > MaxVersionMessageLen || !printable(msg) {
		return &Error{Code: ErrInvalid, Message: "fields of the request are invalid",
			Fields: []FieldError{{"/message", "must be at most 1000 bytes of printable text"}}}
	}
	return nil
}

// SetSettings stores doc as the next settings version of an integration
// if expected is still its current version (ErrStale otherwise). Editors,
// ScopeWrite and above may. An invalid doc is ErrInvalidDocument with the
// problems under SettingsDocumentPointer.
func (s *Service) SetSettings(ctx context.Context, p Principal, orgID, id string, expected int, doc []byte, message string) (SettingsVersion, error) {
	in, err := s.integration(ctx, p, orgID, id, accessWrite)
	if err != nil {
		return SettingsVersion{}, err
	}
	if err := settingsError(doc, SettingsDocumentPointer); err != nil {
		return SettingsVersion{}, err
	}
	if err := checkMessage(message); err != nil {
		return SettingsVersion{}, err
	}
	return s.appendVersion(ctx, p, in, expected, doc, message, ActionSettingsChanged)
}

// RestoreSettingsVersion makes the document of an earlier version the
// next version, with a message naming it, if expected is still the current
// version (ErrStale otherwise). Editors, ScopeWrite and above may.
func (s *Service) RestoreSettingsVersion(ctx context.Context, p Principal, orgID, id string, version, expected int, message string) (SettingsVersion, error) {
	in, err := s.integration(ctx, p, orgID, id, accessWrite)
	if err != nil {
		return SettingsVersion{}, err
	}
	old, err := s.store.GetSettingsVersion(ctx, orgID, id, version)
	if Code(err) == ErrNotFound {
		return SettingsVersion{}, &Error{Code: ErrNotFound, Message: "no such settings version", Err: err}
	}
	if err != nil {
		return SettingsVersion{}, err
	}
	msg := "restored version " + strconv.Itoa(version)
	if message != "" {
		msg += ": " + message
	}
	if err := checkMessage(msg); err != nil {
		return SettingsVersion{}, err
	}
	return s.appendVersion(ctx, p, in, expected, old.Document, msg, ActionSettingsRestored)
}

// appendVersion appends doc as the version after expected, with its audit
// entry.
func (s *Service) appendVersion(ctx context.Context, p Principal, in Integration, expected int, doc []byte, msg string, action AuditAction) (SettingsVersion, error) {
	cur, err := s.store.CurrentSettings(ctx, in.OrgID, in.ID)
	if err != nil {
		return SettingsVersion{}, err
	}
	if cur.Version != expected {
		return SettingsVersion{}, errStale(nil)
	}
	diff, err := Diff(cur.Document, doc)
	if err != nil {
		return SettingsVersion{}, err
	}
	now := s.now()
	v, err := s.store.AppendSettingsVersion(ctx, in.OrgID, in.ID, expected,
		SettingsVersion{Document: doc, Author: p.ID, Message: msg, CreatedAt: now},
		s.auditEntry(p, in, action, msg, diff, now))
	switch Code(err) {
	case nil:
		s.changed(ctx)
		return v, nil
	case ErrConflict:
		return SettingsVersion{}, errStale(err)
	case ErrNotFound:
		return SettingsVersion{}, errNoIntegration(err)
	}
	return SettingsVersion{}, err
}

func errStale(cause error) error {
	return &Error{Code: ErrStale, Message: "the settings changed since the version you started from", Err: cause}
}

// ValidateSettingsDocument checks doc as SetSettings would, without
// storing anything, and returns the effective settings of its defaults
// (EffectiveSettings with no property). Whoever may read the integration
// may.
func (s *Service) ValidateSettingsDocument(ctx context.Context, p Principal, orgID, id string, doc []byte) (json.RawMessage, error) {
	if _, err := s.integration(ctx, p, orgID, id, accessRead); err != nil {
		return nil, err
	}
	if err := settingsError(doc, SettingsDocumentPointer); err != nil {
		return nil, err
	}
	return EffectiveSettings(doc, "")
}

// ListSettingsVersions returns one page of an integration's versions,
// highest first.
func (s *Service) ListSettingsVersions(ctx context.Context, p Principal, orgID, id string, page PageRequest) (Page[SettingsVersion], error) {
	if _, err := s.integration(ctx, p, orgID, id, accessRead); err != nil {
		return Page[SettingsVersion]{}, err
	}
	return s.store.ListSettingsVersions(ctx, orgID, id, page)
}

// GetSettingsVersion returns one version of an integration's settings.
func (s *Service) GetSettingsVersion(ctx context.Context, p Principal, orgID, id string, version int) (SettingsVersion, error) {
	if _, err := s.integration(ctx, p, orgID, id, accessRead); err != nil {
		return SettingsVersion{}, err
	}
	v, err := s.store.GetSettingsVersion(ctx, orgID, id, version)
	if Code(err) == ErrNotFound {
		return SettingsVersion{}, &Error{Code: ErrNotFound, Message: "no such settings version", Err: err}
	}
	return v, err
}

// DiffSettings returns the RFC 6902 JSON Patch from version from to
// version to of an integration's settings.
func (s *Service) DiffSettings(ctx context.Context, p Principal, orgID, id string, from, to int) (json.RawMessage, error) {
	a, err := s.GetSettingsVersion(ctx, p, orgID, id, from)
	if err != nil {
		return nil, err
	}
	b, err := s.store.GetSettingsVersion(ctx, orgID, id, to)
	if Code(err) == ErrNotFound {
		return nil, &Error{Code: ErrNotFound, Message: "no such settings version", Err: err}
	}
	if err != nil {
		return nil, err
	}
	return Diff(a.Document, b.Document)
}

// ListAuditEntries returns one page of the organization's audit trail,
// newest first; only integrationID's entries when it is not empty.
// Whoever may read the organization may.
func (s *Service) ListAuditEntries(ctx context.Context, p Principal, orgID, integrationID string, page PageRequest) (Page[AuditEntry], error) {
	if err := authorize(p, orgID, accessRead); err != nil {
		return Page[AuditEntry]{}, err
	}
	if integrationID != "" && !ValidIntegrationID(integrationID) {
		return Page[AuditEntry]{}, &Error{Code: ErrInvalid, Message: "integration is not an integration id",
			Fields: []FieldError{{"/integration", "must be an integration id"}}}
	}
	return s.store.ListAuditEntries(ctx, orgID, integrationID, page)
}
