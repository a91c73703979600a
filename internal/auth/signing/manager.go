package signing

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// Manager holds the auth service's signing keys: it makes, rotates,
// retires and deletes them in a KeyStore, signs tokens with the active one,
// and publishes their public halves. It is safe for concurrent use.
type Manager struct {
	store  KeyStore
	sealer *sealer
	o      Options
	// state is the keys as last read from the store; signing and serving
	// read it without a lock.
	state atomic.Pointer[snapshot]
	// mu serialises reloads and the writes that decide on new keys.
	mu sync.Mutex
}

// key is one stored key, decoded.
type key struct {
	rec KeyRecord // SealedPrivateKey cleared
	pub jose.JSONWebKey
	// access and internal sign with the private key, each setting its
	// "typ"; nil once the key has retired, or never could sign.
	access, internal jose.Signer
}

// snapshot is an immutable view of the store's keys.
type snapshot struct {
	keys  []*key // ascending generation
	byKID map[string]*key
	jwks  []byte // the JWK Set document
	etag  string
}

// current returns the key that signs at now: the highest generation whose
// activation has come and whose retirement has not.
func (s *snapshot) current(now time.Time) *key {
	for i := len(s.keys) - 1; i >= 0; i-- {
		k := s.keys[i]
		if !now.Before(k.rec.ActivatesAt) && now.Before(k.rec.RetiresAt) && k.internal != nil {
			return k
		}
	}
	return nil
}

func (s *snapshot) maxGeneration() int64 {
	if len(s.keys) == 0 {
		return 0
	}
	return s.keys[len(s.keys)-1].rec.Generation
}

// New returns a Manager over store whose private keys are sealed under
// kek (KEKSize bytes; see LoadOrCreateKEK and ParseKEK). It reads the
// stored keys and, when none is active, makes one, so that the Manager
// can sign as soon as New returns.
func New(ctx context.Context, store KeyStore, kek []byte, o Options) (*Manager, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new signing manager: %w", err)
	}
	s, err := newSealer(kek)
	if err != nil {
		return nil, fmt.Errorf("new signing manager: %w", err)
	}
	m := &Manager{store: store, sealer: s, o: o}
	m.state.Store(&snapshot{byKID: map[string]*key{}})
	if err := m.ensure(ctx); err != nil {
		return nil, fmt.Errorf("new signing manager: %w", err)
	}
	return m, nil
}

// reloadLocked reads the store's keys into a new snapshot; m.mu must be
// held. Private keys are opened only for keys that have not retired, and
// only once: keys already open in the old snapshot are carried over.
func (m *Manager) reloadLocked(ctx context.Context) error {
	recs, err := m.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("reload signing keys: %w", err)
	}
	now := m.o.Now()
	prev := m.state.Load()
	next := &snapshot{keys: make([]*key, 0, len(recs)), byKID: make(map[string]*key, len(recs))}
	var published []json.RawMessage
	for _, rec := range recs {
		k, err := m.decode(rec, prev.byKID[rec.KID], now)
		if err != nil {
			return fmt.Errorf("reload signing keys: key %s: %w", rec.KID, err)
		}
		next.keys = append(next.keys, k)
		next.byKID[k.rec.KID] = k
		if now.Before(rec.ExpiresAt) {
			published = append(published, rec.PublicKey)
		}
	}
	if published == nil {
		published = []json.RawMessage{}
	}
	doc, err := json.Marshal(struct {
		Keys []json.RawMessage `json:"keys"`
	}{published})
	if err != nil {
		return fmt.Errorf("reload signing keys: encode jwks: %w", err)
	}
	sum := sha256.Sum256(doc)
	next.jwks, next.etag = doc, `"`+base64.RawURLEncoding.EncodeToString(sum[:18])+`"`
	m.state.Store(next)
	return nil
}

// decode turns a stored record into a key, reusing prev's signers when it
// is the same key.
func (m *Manager) decode(rec KeyRecord, prev *key, now time.Time) (*key, error) {
	pub, err := parsePublicJWK(rec.KID, rec.Algorithm, rec.PublicKey)
	if err != nil {
		return nil, err
	}
	k := &key{rec: rec, pub: pub}
	k.rec.SealedPrivateKey = nil
	if !now.Before(rec.RetiresAt) || !rec.ActivatesAt.Before(rec.RetiresAt) {
		return k, nil // will never sign again: leave the private key sealed
	}
	if prev != nil && prev.internal != nil && prev.rec.Algorithm == rec.Algorithm {
		k.access, k.internal = prev.access, prev.internal
		return k, nil
	}
	der, err := m.sealer.open(rec.KID, rec.SealedPrivateKey)
	if err != nil {
		return nil, err
	}
	priv, err := parsePrivateKey(rec.Algorithm, der, pub.Key)
	clear(der)
	if err != nil {
		return nil, err
	}
	if k.access, err = newSigner(rec, priv, identity.AccessTokenType); err != nil {
		return nil, err
	}
	if k.internal, err = newSigner(rec, priv, identity.InternalTokenType); err != nil {
		return nil, err
	}
	return k, nil
}

func newSigner(rec KeyRecord, priv any, typ string) (jose.Signer, error) {
	s, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(rec.Algorithm), Key: jose.JSONWebKey{Key: priv, KeyID: rec.KID, Algorithm: rec.Algorithm}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	return s, nil
}

// KeyInfo describes a key without its private half, for operators and
// tests.
type KeyInfo struct {
	KID         string
	Generation  int64
	Algorithm   string
	CreatedAt   time.Time
	ActivatesAt time.Time
	RetiresAt   time.Time
	ExpiresAt   time.Time
}

// Keys returns the keys the Manager knows, by ascending generation, as of
// its last reload.
func (m *Manager) Keys() []KeyInfo {
	s := m.state.Load()
	out := make([]KeyInfo, len(s.keys))
	for i, k := range s.keys {
		r := k.rec
		out[i] = KeyInfo{
			KID: r.KID, Generation: r.Generation, Algorithm: r.Algorithm,
			CreatedAt: r.CreatedAt, ActivatesAt: r.ActivatesAt, RetiresAt: r.RetiresAt, ExpiresAt: r.ExpiresAt,
		}
	}
	return out
}

// Key implements identity.KeySource with the keys the Manager publishes,
// so that a process holding the Manager can verify its tokens without
// fetching the JWK Set.
func (m *Manager) Key(_ context.Context, kid string) (jose.JSONWebKey, error) {
	k, ok := m.state.Load().byKID[kid]
	if !ok || !m.o.Now().Before(k.rec.ExpiresAt) {
		return jose.JSONWebKey{}, fmt.Errorf("kid %.64q: %w", kid, identity.ErrUnknownKey)
	}
	return k.pub, nil
}

var _ identity.KeySource = (*Manager)(nil)
