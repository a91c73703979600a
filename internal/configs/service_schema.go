package configs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"
)

// SchemaDocument is a JSON Schema as the service serves it.
type SchemaDocument struct {
	// Body is the schema's JSON; callers may not modify it.
	Body []byte
	// ETag is a strong entity tag of Body: the same bytes, the same tag.
	ETag string
}

// settingsSchemaDocument is the embedded schema and its tag, made once:
// like compiledSettingsSchema it depends on nothing but the embedded
// bytes.
var settingsSchemaDocument = sync.OnceValue(func() SchemaDocument {
	sum := sha256.Sum256(settingsSchemaJSON)
	return SchemaDocument{Body: settingsSchemaJSON, ETag: `"` + hex.EncodeToString(sum[:16]) + `"`}
})

// DeliverySettingsSchema returns the JSON Schema of delivery settings
// documents (see SettingsSchema), the same for every caller, to any
// person and to a machine principal with ScopeRead or ScopeWrite; a
// machine principal without either is ErrForbidden.
func (s *Service) DeliverySettingsSchema(_ context.Context, p Principal) (SchemaDocument, error) {
	if p.machine() && !slices.Contains(p.Scopes, ScopeRead) && !slices.Contains(p.Scopes, ScopeWrite) {
		return SchemaDocument{}, NewError(ErrForbidden, "reading the settings schema needs the configs:read scope")
	}
	return settingsSchemaDocument(), nil
}
