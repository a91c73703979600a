package auth

import (
	"context"
	"errors"
	"log/slog"
)

// Mail is one plain-text message.
type Mail struct {
	To      string
	Subject string
	Body    string
}

// Mailer sends mail. The service sends password reset links with it.
type Mailer interface {
	// Send delivers m or returns why it could not.
	Send(ctx context.Context, m Mail) error
}

// LogMailer "sends" mail by logging it, body included, at info level. It
// is meant for local use (the embedded default), where a person reads the
// log to follow a password reset link; in production use an SMTPMailer,
// because anyone who reads the log can then reset the password.
type LogMailer struct {
	logger *slog.Logger
}

// NewLogMailer returns a LogMailer writing to logger.
func NewLogMailer(logger *slog.Logger) *LogMailer { return &LogMailer{logger: logger} }

// Send implements Mailer.
func (m *LogMailer) Send(ctx context.Context, mail Mail) error {
	m.logger.InfoContext(ctx, "mail not sent, logged instead (local use only)",
		"to", mail.To, "subject", mail.Subject, "body", mail.Body)
	return nil
}

// ErrNoMailer is what Send returns when the service was given no Mailer.
var ErrNoMailer = errors.New("no mailer configured")

// noMailer is the default Mailer: it sends nothing and logs nothing.
type noMailer struct{}

func (noMailer) Send(context.Context, Mail) error { return ErrNoMailer }

var (
	_ Mailer = (*LogMailer)(nil)
	_ Mailer = noMailer{}
)
