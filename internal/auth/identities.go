package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// generatedPasswordBytes is the entropy of a generated password: 144
// bits, 24 characters of base64url.
const generatedPasswordBytes = 18

// NewIdentity asks for an identity to be created.
type NewIdentity struct {
	// Email is the address, a bare local@domain (see ValidateEmail).
	Email string
	// Password is the first password, within the hasher's policy, or
	// empty where the operation allows an identity without one.
	Password string
	// IdempotencyKey, when set, makes the request safe to retry: within
	// IdempotencyLifetime, the same key with the same request gets the
	// identity the first one created (as it is now, with Replayed set),
	// and with another request ErrIdempotencyKeyReused. The same request
	// means the same address, byte for byte, and the same password, which
	// is checked against the identity's current password hash. Keys are
	// scoped to the caller. See ValidIdempotencyKey.
	IdempotencyKey string
	// IP is the client address, for the audit log; may be empty.
	IP string
}

// CreatedIdentity is the outcome of a request to create an identity.
type CreatedIdentity struct {
	Identity Identity
	// Replayed is true when an earlier request with the same idempotency
	// key created the identity and this one changed nothing.
	Replayed bool
}

// CreateIdentity makes an active identity with the given password (empty
// for one that cannot sign in with a password). ErrInvalid for a bad
// address or a password outside the policy; ErrConflict if the address is
// taken.
func (s *Service) CreateIdentity(ctx context.Context, email, password string) (Identity, error) {
	c, err := s.createIdentity(ctx, "", NewIdentity{Email: email, Password: password})
	if err != nil {
		return Identity{}, fmt.Errorf("create identity: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "identity.created", ActorID: c.Identity.ID})
	return c.Identity, nil
}

// createIdentity stores a new active identity, or with an idempotency key
// in the given scope replays an earlier request's outcome. It writes no
// audit event: callers say who did it. ErrInvalid for a bad address, key
// or password; ErrConflict, without more detail, if the address is taken.
func (s *Service) createIdentity(ctx context.Context, scope string, req NewIdentity) (CreatedIdentity, error) {
	key := req.IdempotencyKey
	if key != "" {
		if !ValidIdempotencyKey(key) {
			return CreatedIdentity{}, NewError(ErrInvalid, "idempotency key must be 1 to %d printable ASCII characters", MaxIdempotencyKeyLen)
		}
		if c, found, err := s.replayIdentity(ctx, scope, req); found {
			return c, err
		}
	}
	if err := ValidateEmail(req.Email); err != nil {
		return CreatedIdentity{}, err
	}
	var hash string
	if req.Password != "" {
		h, err := s.hashPassword(ctx, req.Password)
		if err != nil {
			return CreatedIdentity{}, err
		}
		hash = h
	}
	now := s.now()
	i := Identity{
		ID: NewID(IdentityIDPrefix, now), Email: req.Email, Status: StatusActive, PasswordHash: hash,
		CreatedAt: now, UpdatedAt: now,
	}
	var (
		created Identity
		err     error
	)
	if key == "" {
		created, err = s.store.CreateIdentity(ctx, i)
	} else {
		created, err = s.store.CreateIdentityIdempotent(ctx, i, IdempotencyRecord{
			Scope: scope, Key: key, Fingerprint: identityFingerprint(req.Email, req.Password != ""),
			ResourceID: i.ID, CreatedAt: now, ExpiresAt: now.Add(IdempotencyLifetime),
		})
		if errors.Is(err, ErrConflict) {
			// A concurrent request with the same key may have won.
			if c, found, rerr := s.replayIdentity(ctx, scope, req); found {
				return c, rerr
			}
		}
	}
	switch {
	case errors.Is(err, ErrConflict):
		return CreatedIdentity{}, &Error{Code: ErrConflict, Message: "email already in use", Err: err}
	case err != nil:
		return CreatedIdentity{}, err
	}
	return CreatedIdentity{Identity: created}, nil
}

// Bootstrap creates the first identity, meant to become the first
// administrator (the caller makes it staff in the directory). An empty
// password is replaced by a random one, returned so it can be shown once;
// a given one is returned as is. ErrConflict if any identity exists.
func (s *Service) Bootstrap(ctx context.Context, email, password string) (Identity, string, error) {
	page, err := s.store.ListIdentities(ctx, PageRequest{Limit: 1})
	if err != nil {
		return Identity{}, "", fmt.Errorf("bootstrap: %w", err)
	}
	if len(page.Items) > 0 {
		return Identity{}, "", fmt.Errorf("bootstrap: identities exist already: %w", ErrConflict)
	}
	if password == "" {
		var raw [generatedPasswordBytes]byte
		_, _ = rand.Read(raw[:]) // crypto/rand.Read never returns an error
		password = base64.RawURLEncoding.EncodeToString(raw[:])
	}
	id, err := s.CreateIdentity(ctx, email, password)
	if err != nil {
		return Identity{}, "", fmt.Errorf("bootstrap: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "identity.bootstrapped", ActorID: id.ID})
	return id, password, nil
}
