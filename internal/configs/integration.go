package configs

import (
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of an integration's fields.
const (
	MaxIntegrationNameLen = 200
	MaxDomains            = 100
	MaxBundleIDs          = 100
)

// Environment says whether an integration serves real viewers.
type Environment string

// The environments.
const (
	EnvProduction Environment = "production"
	EnvStaging    Environment = "staging"
)

// Valid reports whether e is one of the environments.
func (e Environment) Valid() bool { return e == EnvProduction || e == EnvStaging }

// IntegrationStatus says how the SDK config endpoint treats an
// integration's players.
type IntegrationStatus string

// The integration statuses.
const (
	// StatusActive integrations deliver with their settings.
	StatusActive IntegrationStatus = "active"
	// StatusDisabled integrations are refused a config.
	StatusDisabled IntegrationStatus = "disabled"
	// StatusBypassed integrations get a config that sends every viewer
	// to the CDN alone, without peer-to-peer.
	StatusBypassed IntegrationStatus = "bypassed"
)

// Valid reports whether s is one of the statuses.
func (s IntegrationStatus) Valid() bool {
	return s == StatusActive || s == StatusDisabled || s == StatusBypassed
}

// Integration is one site or app of an organization that uses the player
// SDK, known to players by its public delivery key.
type Integration struct {
	// ID is "int_" and 26 characters, from NewIntegrationID.
	ID string
	// OrgID is the owning organization; every store method is scoped by it.
	OrgID string
	// Name is what the dashboard shows: 1 to MaxIntegrationNameLen bytes of
	// printable text.
	Name        string
	Environment Environment
	Status      IntegrationStatus
	// DeliveryKey is the current public key, from NewDeliveryKey.
	DeliveryKey string
	// PreviousDeliveryKey is the key before the last rotation, still
	// accepted until PreviousKeyExpiresAt so that pages cached with it keep
	// working; empty (with a zero PreviousKeyExpiresAt) when the key was
	// never rotated.
	PreviousDeliveryKey  string
	PreviousKeyExpiresAt time.Time
	// Domains are the allowed web origins; none allows only loopback.
	Domains Domains
	// BundleIDs are the allowed apps.
	BundleIDs []BundleID
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate returns an *Error of code ErrInvalid naming the first field of
// in that is malformed, or nil. Domains and bundle ids are trusted to come
// from ParseDomain and ParseBundleID; only their number is checked here,
// and that a domain is not the zero Domain.
func (in Integration) Validate() error {
	switch {
	case !ValidIntegrationID(in.ID):
		return invalid("integration id is malformed")
	case !ValidForeignID(in.OrgID):
		return invalid("organization id is malformed")
	case in.Name == "" || len(in.Name) > MaxIntegrationNameLen || !printable(in.Name):
		return invalid("name must be 1 to 200 bytes of printable text")
	case !in.Environment.Valid():
		return invalid("environment must be production or staging")
	case !in.Status.Valid():
		return invalid("status must be active, disabled or bypassed")
	case !ValidDeliveryKey(in.DeliveryKey):
		return invalid("delivery key is malformed")
	case in.PreviousDeliveryKey == "" != in.PreviousKeyExpiresAt.IsZero():
		return invalid("previous delivery key and its expiry must be set together")
	case in.PreviousDeliveryKey != "" && !ValidDeliveryKey(in.PreviousDeliveryKey):
		return invalid("previous delivery key is malformed")
	case in.PreviousDeliveryKey == in.DeliveryKey:
		return invalid("previous delivery key must differ from the current one")
	case len(in.Domains) > MaxDomains:
		return invalid("an integration may have at most 100 domains")
	case len(in.BundleIDs) > MaxBundleIDs:
		return invalid("an integration may have at most 100 bundle ids")
	case in.CreatedAt.IsZero() || in.UpdatedAt.IsZero():
		return invalid("times must be set")
	}
	for _, d := range in.Domains {
		if d.name == "" {
			return invalid("a domain is empty")
		}
	}
	for _, b := range in.BundleIDs {
		if _, err := ParseBundleID(string(b)); err != nil {
			return err
		}
	}
	return nil
}

// AcceptsKey reports whether key is in's current delivery key, or its
// previous one before PreviousKeyExpiresAt at now, and which of them.
func (in Integration) AcceptsKey(key string, now time.Time) (ok, previous bool) {
	switch {
	case key == "":
		return false, false
	case key == in.DeliveryKey:
		return true, false
	case key == in.PreviousDeliveryKey && now.Before(in.PreviousKeyExpiresAt):
		return true, true
	}
	return false, false
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
