package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// Service is the auth service: sign-in, sessions, second factors, API
// keys, machine clients and their tokens, revocation, introspection, the
// gateway's credential exchange, password changes and the audit log. It is
// safe for concurrent use; several replicas may share one Store.
type Service struct {
	store     Store
	issuer    TokenIssuer
	dir       Directory
	o         Options
	box       secretBox
	dummyHash string
	// mail queues mail for Run to send.
	mail *mailQueue
	// hashes bounds the argon2id work running at once.
	hashes *hashGate
	// hot watches for one address making most sign-in failures.
	hot *hotAddresses
}

// NewService returns a Service over store that signs tokens with issuer
// and asks dir about memberships. Zero fields of o take their defaults
// (see DefaultOptions). It panics if o.SecretKey is set but not 32 bytes
// long, a configuration error that must stop the start.
func NewService(store Store, issuer TokenIssuer, dir Directory, o Options) *Service {
	o = o.withDefaults()
	box, err := newSecretBox(o.SecretKey)
	if err != nil {
		panic(fmt.Sprintf("auth: %v", err))
	}
	// Unknown e-mail addresses are checked against this hash, so a wrong
	// address costs as much time as a wrong password.
	var raw [18]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never returns an error
	dummy, err := o.Hasher.Hash(base64.RawURLEncoding.EncodeToString(raw[:]))
	if err != nil {
		panic(fmt.Sprintf("auth: hasher cannot hash: %v", err))
	}
	return &Service{store: store, issuer: issuer, dir: dir, o: o, box: box, dummyHash: dummy,
		mail:   newMailQueue(o.Mailer, o.MailQueue, o.Logger),
		hashes: newHashGate(o.MaxConcurrentHashes, o.HashWait),
		hot:    newHotAddresses(o.Throttle.HotAddressFailures, o.Throttle.HotAddressWindow)}
}

// Options returns the service's options with defaults filled in.
func (s *Service) Options() Options { return s.o }

func (s *Service) now() time.Time { return s.o.Now().UTC() }

// audit appends an audit event. A failure to append is logged, not
// returned: the operation it records has already happened.
func (s *Service) audit(ctx context.Context, e AuditEvent) {
	e.At = s.now()
	e.ID = NewID(AuditEventIDPrefix, e.At)
	for k, v := range e.Detail {
		if len(v) > MaxAuditDetailVal || !utf8.ValidString(v) {
			e.Detail[k] = truncateUTF8(v, MaxAuditDetailVal)
		}
	}
	if _, err := s.store.AppendAuditEvent(ctx, e); err != nil {
		s.o.Logger.ErrorContext(ctx, "append audit event", "kind", e.Kind, "error", err)
	}
}

// truncateUTF8 returns at most n bytes of s, cut at a character boundary
// and with invalid bytes replaced.
func truncateUTF8(s string, n int) string {
	s = string([]rune(s)) // replaces invalid UTF-8 with U+FFFD
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// principalFor builds the Principal of an identity from the directory.
func (s *Service) principalFor(ctx context.Context, identityID, sessionID string) (Principal, error) {
	ms, err := s.dir.Memberships(ctx, identityID)
	if err != nil {
		return Principal{}, fmt.Errorf("memberships: %w", err)
	}
	staff, err := s.staff(ctx, identityID)
	if err != nil {
		return Principal{}, err
	}
	p := Principal{IdentityID: identityID, SessionID: sessionID, Staff: staff, Orgs: make([]identity.OrgRole, len(ms))}
	for i, m := range ms {
		p.Orgs[i] = identity.OrgRole{ID: m.OrgID, Role: m.Role}
	}
	return p, nil
}

// staff reports whether an identity has staff rights now: it is staff in
// the directory and, when RequireTOTPForStaff, has a confirmed TOTP
// authenticator.
func (s *Service) staff(ctx context.Context, identityID string) (bool, error) {
	staff, err := s.dir.IsStaff(ctx, identityID)
	if err != nil {
		return false, fmt.Errorf("is staff: %w", err)
	}
	if !staff || !s.o.RequireTOTPForStaff {
		return staff, nil
	}
	return s.hasTOTP(ctx, identityID)
}
