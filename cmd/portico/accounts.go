package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/accounts/accountshttp"
	"github.com/portico-gw/portico/internal/accounts/accountsstore"
	"github.com/portico-gw/portico/internal/accounts/authclient"
	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/observability"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// accountsDBFile is the accounts service's default SQLite database in the
// data directory.
const accountsDBFile = "accounts.db"

// Defaults of the staff organization.
const (
	defaultStaffOrgName = "Staff"
	defaultStaffOrgSlug = "staff"
)

const accountsUsage = `usage: portico accounts [flags]

Runs the accounts service: organizations (the operator's staff organization
and its customers), memberships with their roles, invitations, and people's
profiles (api/accounts.yaml). Behind the gateway, which authenticates every
caller and forwards an internal token that this service verifies
(--auth-issuer, --auth-jwks-url). The auth service reads an identity's
organizations and roles from /internal/v1/identities/{id}/memberships when
it issues a token, admitted by its workload token (--workload-issuer and
the flags with it).

A person who accepts an invitation without an account gets one: the service
asks the auth service to create the identity (--auth-url, presenting the
workload token in --auth-token-file). Invitation mail goes through SMTP
(--smtp-addr), or in development to the log (--dev-log-mail).

--staff-owner names the identity (usually the first administrator that
'portico auth' created) that owns the staff organization; the organization
is created on the first start that names one, and the identity made an
owner of it if it is not a member.

The admin listener serves /healthz, /readyz (the database answers) and
/metrics.

Flags (each may also be set by the environment variable named with it):
`

func runAccounts(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	fs := newFlagSet("accounts", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), accountsUsage)
		fs.PrintDefaults()
	}
	f := serviceFlags{name: "accounts", defaultListen: "127.0.0.1:8082", defaultAdmin: "127.0.0.1:9092", dbFile: accountsDBFile}
	f.define(fs, getenv)
	var authURL, authTokenFile, acceptURL, staffOwner, invitationTTL string
	var mail mailFlags
	stringFlag(fs, getenv, &authURL, "auth-url", "PORTICO_AUTH_URL", "", "base `URL` of the auth service, which creates the identities of people who accept an invitation without an account")
	stringFlag(fs, getenv, &authTokenFile, "auth-token-file", "PORTICO_ACCOUNTS_AUTH_TOKEN_FILE", "", "`file` of the accounts service's workload token for the auth service (audience portico-auth), re-read when it changes")
	stringFlag(fs, getenv, &acceptURL, "accept-url", "PORTICO_ACCOUNTS_ACCEPT_URL", "", "`URL` of the page that accepts an invitation, which the mail links to with the token in its fragment; default the auth issuer plus /accept-invitation")
	stringFlag(fs, getenv, &invitationTTL, "invitation-ttl", "PORTICO_ACCOUNTS_INVITATION_TTL", accounts.DefaultInvitationTTL.String(), "how long an invitation can be accepted (`duration`)")
	stringFlag(fs, getenv, &staffOwner, "staff-owner", "PORTICO_STAFF_OWNER", "", "`identity` id that owns the staff organization, created if missing")
	if err := mail.define(fs, getenv, "invitation mail"); err != nil {
		fmt.Fprintln(stderr, "portico accounts:", err)
		return 2
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	logger, err := observability.NewLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "portico accounts:", err)
		return 1
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "portico accounts:", err)
		return 1
	}
	s, err := f.settings()
	if err != nil {
		return fail(err)
	}
	o := accountsOptions{staffOwner: staffOwner, logger: logger}
	if o.invitationTTL, err = time.ParseDuration(invitationTTL); err != nil || o.invitationTTL <= 0 {
		return fail(fmt.Errorf("--invitation-ttl: %q is not a positive duration", invitationTTL))
	}
	if o.acceptURL, err = parseAcceptURL(orString(acceptURL, strings.TrimSuffix(f.authIssuer, "/")+"/accept-invitation")); err != nil {
		return fail(fmt.Errorf("--accept-url: %w", err))
	}
	smtp, err := mail.smtp(getenv)
	switch {
	case err != nil:
		return fail(err)
	case smtp != nil:
		o.mailer = invitationMailer{smtp}
	case mail.devLogMail:
		logger.Warn("invitation mail is written to the log, accept links included (--dev-log-mail): anyone who reads the log can accept an invitation; development only")
		o.mailer = accounts.NewLogMailer(logger)
	default:
		return fail(errors.New("no way to send invitation mail: set --smtp-addr and --smtp-from (PORTICO_SMTP_ADDR, PORTICO_SMTP_FROM), " +
			"or, for development only, --dev-log-mail to write the links to the log"))
	}
	switch {
	case authURL != "" && authTokenFile == "":
		return fail(errors.New("--auth-url needs --auth-token-file: the auth service admits accounts by its workload token"))
	case authURL != "":
		o.authURL, o.authClient = authURL, workloadClient(workload.NewFileSource(authTokenFile, 0))
	default:
		logger.Warn("no auth service (--auth-url): people without an account cannot accept invitations")
	}
	if s.workload, err = f.workload.guard(workload.Accounts, logger); err != nil {
		return fail(err)
	}
	return runService(ctx, s, logger, accountsBuild(o))
}

// accountsOptions are the accounts service's own settings.
type accountsOptions struct {
	// authURL and authClient reach the auth service's identity creation;
	// "" leaves people without an account unable to accept.
	authURL    string
	authClient *http.Client
	mailer     accounts.Mailer
	acceptURL  *url.URL
	// invitationTTL is how long an invitation stays valid.
	invitationTTL time.Duration
	// staffOwner, when set, owns the staff organization; staffOwnerEmail
	// is their address, when known.
	staffOwner, staffOwnerEmail string
	logger                      *slog.Logger
	// onService, when set, is given the service (portico all --demo).
	onService func(*accounts.Service)
}

// accountsBuild returns the build function of the accounts service.
func accountsBuild(o accountsOptions) func(context.Context, serviceDeps) (serviceParts, error) {
	return func(ctx context.Context, d serviceDeps) (serviceParts, error) {
		store, err := accountsstore.Open(ctx, d.db)
		if err != nil {
			return serviceParts{}, err
		}
		opts := []accounts.Option{
			accounts.WithMailer(o.mailer),
			accounts.WithAcceptURL(o.acceptURL),
			accounts.WithInvitationTTL(o.invitationTTL),
			accounts.WithLogger(d.logger),
		}
		if o.authURL != "" {
			opts = append(opts, accounts.WithIdentityProvisioner(authclient.New(o.authURL, o.authClient)))
		}
		svc := accounts.NewService(store, opts...)
		if o.onService != nil {
			o.onService(svc)
		}
		if o.staffOwner != "" {
			org, err := svc.BootstrapStaffOwner(ctx, defaultStaffOrgName, defaultStaffOrgSlug,
				accounts.StaffOwner{IdentityID: o.staffOwner, Email: o.staffOwnerEmail})
			if err != nil {
				return serviceParts{}, fmt.Errorf("staff organization: %w", err)
			}
			d.logger.Info("staff organization", slog.String("org", org.ID), slog.String("owner", o.staffOwner))
		}
		h, err := accountshttp.NewHandler(svc, accountshttp.Options{Verifier: d.verifier, Workload: d.workload, Logger: d.logger})
		if err != nil {
			return serviceParts{}, err
		}
		return serviceParts{handler: h, background: []func(context.Context){svc.Run}}, nil
	}
}

// parseAcceptURL checks the URL invitation mails link to: absolute http(s),
// without a fragment (the token goes there).
func parseAcceptURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL without a fragment", s)
	}
	return u, nil
}

// invitationMailer sends invitation mail through the SMTP mailer the
// services share.
type invitationMailer struct{ m *auth.SMTPMailer }

// SendInvitation implements accounts.Mailer.
func (im invitationMailer) SendInvitation(ctx context.Context, m accounts.InvitationMail) error {
	who := "You have"
	if m.InviterName != "" {
		who = m.InviterName + " has"
	}
	body := fmt.Sprintf("%s invited you to join %s on Portico as %s.\n\nAccept the invitation: %s\n\nThe link works until %s and only once. If you did not expect it, ignore this mail.\n",
		who, m.OrgName, m.Role, m.AcceptURL, m.ExpiresAt.UTC().Format(time.RFC1123))
	return im.m.Send(ctx, auth.Mail{To: m.To, Subject: "Invitation to " + m.OrgName + " on Portico", Body: body})
}
