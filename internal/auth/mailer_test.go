package auth_test

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"

	"github.com/portico-gw/portico/internal/auth"
)

// TestDefaultMailerSendsAndLogsNothing checks that a service given no
// Mailer refuses to send instead of writing the mail, reset link
// included, to its log: logging mail is a development choice, made on
// purpose with a LogMailer.
func TestDefaultMailerSendsAndLogsNothing(t *testing.T) {
	var logs bytes.Buffer
	svc := auth.NewService(nil, nil, nil, auth.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	err := svc.Options().Mailer.Send(t.Context(), auth.Mail{To: "ada@example.com", Subject: "s", Body: "https://x.example/reset#reset_code=secret"})
	if !errors.Is(err, auth.ErrNoMailer) {
		t.Errorf("got error %v, want ErrNoMailer", err)
	}
	if bytes.Contains(logs.Bytes(), []byte("reset_code")) {
		t.Errorf("the mail reached the log: %s", logs.String())
	}
}
