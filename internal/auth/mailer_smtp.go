package auth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"time"
)

// SMTPOptions configure an SMTPMailer.
type SMTPOptions struct {
	// Addr is the server's host:port, usually port 587 (submission).
	Addr string
	// From is the sender address.
	From string
	// Username and Password authenticate with PLAIN after STARTTLS; empty
	// Username sends without authenticating.
	Username string
	Password string
	// TLSConfig is used for STARTTLS; nil verifies the server's
	// certificate against the system roots for Addr's host.
	TLSConfig *tls.Config
	// Timeout bounds one delivery, connection included. Default 30 s.
	Timeout time.Duration
}

// SMTPMailer sends mail through an SMTP server, always upgrading the
// connection with STARTTLS first: a server that does not offer it is an
// error, so reset links never cross the network in clear.
type SMTPMailer struct {
	o SMTPOptions
}

// NewSMTPMailer returns an SMTPMailer, or an error if o is incomplete.
func NewSMTPMailer(o SMTPOptions) (*SMTPMailer, error) {
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		return nil, fmt.Errorf("smtp mailer: addr %q: %w", o.Addr, err)
	}
	if err := ValidateEmail(o.From); err != nil {
		return nil, fmt.Errorf("smtp mailer: from: %w", err)
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	return &SMTPMailer{o: o}, nil
}

// Send implements Mailer.
func (m *SMTPMailer) Send(ctx context.Context, mail Mail) (err error) {
	if err := ValidateEmail(mail.To); err != nil {
		return fmt.Errorf("send mail: to: %w", err)
	}
	if strings.ContainsAny(mail.Subject, "\r\n") {
		return fmt.Errorf("send mail: subject has a line break: %w", ErrInvalid)
	}
	ctx, cancel := context.WithTimeout(ctx, m.o.Timeout)
	defer cancel()
	host, _, _ := net.SplitHostPort(m.o.Addr)
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", m.o.Addr)
	if err != nil {
		return fmt.Errorf("send mail: dial: %w", err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("send mail: %w", err)
	}
	defer func() {
		if cerr := c.Close(); err == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = fmt.Errorf("send mail: close: %w", cerr)
		}
	}()
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return errors.New("send mail: server does not offer STARTTLS")
	}
	cfg := m.o.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	if err := c.StartTLS(cfg); err != nil {
		return fmt.Errorf("send mail: starttls: %w", err)
	}
	if m.o.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.o.Username, m.o.Password, host)); err != nil {
			return fmt.Errorf("send mail: auth: %w", err)
		}
	}
	if err := c.Mail(m.o.From); err != nil {
		return fmt.Errorf("send mail: from: %w", err)
	}
	if err := c.Rcpt(mail.To); err != nil {
		return fmt.Errorf("send mail: rcpt: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("send mail: data: %w", err)
	}
	msg := "From: " + m.o.From + "\r\nTo: " + mail.To + "\r\nSubject: " + mail.Subject +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) +
		"\r\n\r\n" + strings.ReplaceAll(strings.ReplaceAll(mail.Body, "\r\n", "\n"), "\n", "\r\n") + "\r\n"
	if _, err := w.Write([]byte(msg)); err != nil {
		return fmt.Errorf("send mail: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("send mail: end data: %w", err)
	}
	return c.Quit()
}

var _ Mailer = (*SMTPMailer)(nil)
