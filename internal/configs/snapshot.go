package configs

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Snapshot is an immutable view of what the SDK config endpoint serves:
// every integration by its delivery keys, with the response of every
// property computed ahead. It is built from a Store's DeliveryState, so a
// request reads memory only. Its zero value, and a nil *Snapshot, hold
// nothing.
type Snapshot struct {
	// Revision is the store revision the snapshot is at least as new as;
	// -1 for a snapshot never loaded.
	Revision int64
	keys     map[string]snapshotKey
	byID     map[string]*SDKIntegration
}

type snapshotKey struct {
	in       *SDKIntegration
	previous bool
}

// SDKIntegration is an integration as the SDK config endpoint sees it.
type SDKIntegration struct {
	ID          string
	OrgID       string
	Environment Environment
	Status      IntegrationStatus
	Domains     Domains
	BundleIDs   []BundleID
	// PreviousKeyExpiresAt ends the overlap of the previous delivery key.
	PreviousKeyExpiresAt time.Time
	// SettingsVersion is the version the documents were made from.
	SettingsVersion int
	// docs are the responses by property; "" is the defaults.
	docs map[string]*SDKDocument
	// updatedAt and deliveryKey tell whether a later state may reuse docs.
	updatedAt time.Time
}

// SDKDocument is one response of the SDK config endpoint, made once per
// snapshot: the JSON body (see sdkBody) and its strong ETag.
type SDKDocument struct {
	Body []byte
	// ETag is a strong entity tag of Body: a quoted base64url SHA-256
	// prefix of it.
	ETag string
	// ContentLength is len(Body) in decimal.
	ContentLength string
}

// Len returns the number of integrations in s.
func (s *Snapshot) Len() int {
	if s == nil {
		return 0
	}
	return len(s.byID)
}

// Lookup returns the integration whose current delivery key is key, or
// whose previous key is key until its overlap ends at now; previous
// reports the latter.
func (s *Snapshot) Lookup(key string, now time.Time) (in *SDKIntegration, previous, ok bool) {
	if s == nil {
		return nil, false, false
	}
	k, ok := s.keys[key]
	if !ok || k.previous && !now.Before(k.in.PreviousKeyExpiresAt) {
		return nil, false, false
	}
	return k.in, k.previous, true
}

// Document returns the response for property, "" for the defaults; false
// when the settings have no such property.
func (in *SDKIntegration) Document(property string) (*SDKDocument, bool) {
	d, ok := in.docs[property]
	return d, ok
}

// AllowsBundleID reports whether id is one of the integration's apps.
func (in *SDKIntegration) AllowsBundleID(id string) bool {
	return id != "" && slices.Contains(in.BundleIDs, BundleID(id))
}

// sdkBody is the JSON body the SDK config endpoint answers a player
// with: which integration and settings version it is, the status, and the
// effective settings of the property asked for (with peer-to-peer off
// when the integration is bypassed).
type sdkBody struct {
	IntegrationID   string          `json:"integration_id"`
	Environment     string          `json:"environment"`
	Status          string          `json:"status"`
	Property        string          `json:"property,omitempty"`
	SettingsVersion int             `json:"settings_version"`
	Settings        json.RawMessage `json:"settings"`
}

// BuildSnapshot returns the snapshot of st. It reuses the documents of
// prev (which may be nil) for every integration whose settings version,
// status, environment and update time have not changed, so that a reload
// after one change recomputes one integration. An integration whose
// documents cannot be made (a stored document that no longer decodes) is
// left out, and its error returned with the snapshot of the others.
func BuildSnapshot(st DeliveryState, prev *Snapshot) (*Snapshot, error) {
	s := &Snapshot{Revision: st.Revision, keys: make(map[string]snapshotKey, 2*len(st.Integrations)),
		byID: make(map[string]*SDKIntegration, len(st.Integrations))}
	var errs []error
	for _, is := range st.Integrations {
		in := is.Integration
		e := &SDKIntegration{ID: in.ID, OrgID: in.OrgID, Environment: in.Environment, Status: in.Status,
			Domains: in.Domains, BundleIDs: in.BundleIDs, PreviousKeyExpiresAt: in.PreviousKeyExpiresAt,
			SettingsVersion: is.Settings.Version, updatedAt: in.UpdatedAt}
		if old, ok := prev.reusable(e); ok {
			e.docs = old.docs
		} else {
			docs, err := sdkDocuments(e, is.Settings.Document)
			if err != nil {
				errs = append(errs, fmt.Errorf("integration %s: %w", in.ID, err))
				continue
			}
			e.docs = docs
		}
		s.byID[in.ID] = e
		s.keys[in.DeliveryKey] = snapshotKey{in: e}
		if in.PreviousDeliveryKey != "" {
			if _, taken := s.keys[in.PreviousDeliveryKey]; !taken {
				s.keys[in.PreviousDeliveryKey] = snapshotKey{in: e, previous: true}
			}
		}
	}
	if len(errs) > 0 {
		return s, fmt.Errorf("build snapshot: %d integrations left out, first: %w", len(errs), errs[0])
	}
	return s, nil
}

// reusable returns the entry of prev with e's ID if its documents are
// those e would get.
func (s *Snapshot) reusable(e *SDKIntegration) (*SDKIntegration, bool) {
	if s == nil {
		return nil, false
	}
	old, ok := s.byID[e.ID]
	if !ok || old.SettingsVersion != e.SettingsVersion || old.Status != e.Status ||
		old.Environment != e.Environment || !old.updatedAt.Equal(e.updatedAt) {
		return nil, false
	}
	return old, true
}

// sdkDocuments makes the response of the defaults and of every property
// of doc. An integration without settings (version 0) serves
// DefaultSettings.
func sdkDocuments(e *SDKIntegration, doc []byte) (map[string]*SDKDocument, error) {
	if e.SettingsVersion == 0 {
		doc = defaultSettings
	}
	var root struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(doc, &root); err != nil {
		return nil, fmt.Errorf("decode settings: %w", err)
	}
	docs := make(map[string]*SDKDocument, 1+len(root.Properties))
	for _, prop := range append([]string{""}, sortedKeys(root.Properties)...) {
		settings, err := EffectiveSettings(doc, prop)
		if err != nil {
			return nil, err
		}
		if e.Status == StatusBypassed {
			if settings, err = BypassSettings(settings); err != nil {
				return nil, err
			}
		}
		body, err := json.Marshal(sdkBody{IntegrationID: e.ID, Environment: string(e.Environment), Status: string(e.Status),
			Property: prop, SettingsVersion: e.SettingsVersion, Settings: settings})
		if err != nil {
			return nil, err
		}
		docs[prop] = newSDKDocument(body)
	}
	return docs, nil
}

func newSDKDocument(body []byte) *SDKDocument {
	sum := sha256.Sum256(body)
	var b bytes.Buffer
	b.WriteByte('"')
	b.WriteString(base64.RawURLEncoding.EncodeToString(sum[:18]))
	b.WriteByte('"')
	return &SDKDocument{Body: body, ETag: b.String(), ContentLength: strconv.Itoa(len(body))}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
