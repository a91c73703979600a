package authtest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authstore"
	"github.com/portico-gw/portico/internal/platform/sqldb"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// Clock is a settable time source for tests. Its zero value reads the
// zero time; it is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Env is a Service over a real SQLite store with a real token issuer, a
// static directory and a settable clock, for tests of the service and of
// its HTTP layer.
type Env struct {
	Service *auth.Service
	Store   *authstore.Store
	Issuer  *Issuer
	Dir     *auth.StaticDirectory
	Clock   *Clock
	Mailer  *Mailbox
	// DB is the database under Store, for tests that break it.
	DB *sqldb.DB
}

// FastHasher returns a password hasher with small argon2id costs, so
// tests that sign in often stay fast. Never use it outside tests.
func FastHasher() *auth.PasswordHasher {
	h := auth.NewPasswordHasher()
	h.Params = auth.Argon2Params{MemoryKiB: 512, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}
	return h
}

// NewEnv returns an Env on a fresh SQLite database. Fields of o that Env
// provides (Now, Mailer, and Hasher and Logger when nil) are filled in.
func NewEnv(tb testing.TB, o auth.Options) *Env {
	tb.Helper()
	db := sqldbtest.Backends(tb)[0].Open(tb)
	st, err := authstore.Open(tb.Context(), db)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	clock := NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	iss, err := NewIssuer(clock.Now)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	box := &Mailbox{}
	o.Now, o.Mailer = clock.Now, box
	if o.Hasher == nil {
		o.Hasher = FastHasher()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	dir := auth.NewStaticDirectory()
	svc := auth.NewService(st, iss, dir, o)
	RunService(tb, svc)
	return &Env{Service: svc, Store: st, Issuer: iss, Dir: dir, Clock: clock, Mailer: box, DB: db}
}

// RunService runs svc's background work (its mail queue) until the test
// ends.
func RunService(tb testing.TB, svc *auth.Service) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
}

// Mailbox is an auth.Mailer that keeps what it is given. The service
// sends mail from a queue in the background: Wait for it.
type Mailbox struct {
	mu   sync.Mutex
	sent []auth.Mail
	// more is closed and replaced on every Send.
	more chan struct{}
}

// Send implements auth.Mailer.
func (m *Mailbox) Send(_ context.Context, mail auth.Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, mail)
	if m.more != nil {
		close(m.more)
		m.more = nil
	}
	return nil
}

// Wait returns the mails sent so far once there are at least n, failing
// the test if they do not come within 10 seconds (a bound on a hang, not
// a timing assertion).
func (m *Mailbox) Wait(tb testing.TB, n int) []auth.Mail {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	for {
		m.mu.Lock()
		if len(m.sent) >= n {
			defer m.mu.Unlock()
			return append([]auth.Mail(nil), m.sent...)
		}
		if m.more == nil {
			m.more = make(chan struct{})
		}
		more := m.more
		m.mu.Unlock()
		select {
		case <-more:
		case <-deadline:
			tb.Fatalf("got %d mails after 10 s, want %d", len(m.Sent()), n)
		}
	}
}

// Sent returns the mails sent so far.
func (m *Mailbox) Sent() []auth.Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]auth.Mail(nil), m.sent...)
}

var _ auth.Mailer = (*Mailbox)(nil)
