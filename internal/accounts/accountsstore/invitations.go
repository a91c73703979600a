package accountsstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

const invitationColumns = `id, org_id, email, role, status, token_hash, invited_by, created_at, updated_at,
	sent_at, expires_at, accepted_at, accepted_by, revoked_at`

func scanInvitation(r rowScanner) (accounts.Invitation, error) {
	var (
		i                                                    accounts.Invitation
		role, status, hash                                   string
		created, updated, sent, expires, accepted, revokedAt int64
	)
	if err := r.Scan(&i.ID, &i.OrgID, &i.Email, &role, &status, &hash, &i.InvitedBy, &created, &updated,
		&sent, &expires, &accepted, &i.AcceptedBy, &revokedAt); err != nil {
		return accounts.Invitation{}, err
	}
	if n, err := hex.Decode(i.TokenHash[:], []byte(hash)); err != nil || n != sha256.Size {
		return accounts.Invitation{}, fmt.Errorf("stored token hash of invitation %s is malformed", i.ID)
	}
	i.Role, i.Status = accounts.Role(role), accounts.InvitationStatus(status)
	i.CreatedAt, i.UpdatedAt, i.SentAt, i.ExpiresAt = fromDB(created), fromDB(updated), fromDB(sent), fromDB(expires)
	i.AcceptedAt, i.RevokedAt = optFromDB(accepted), optFromDB(revokedAt)
	return i, nil
}

// optDB converts a time that may be unset: 0 for the zero time.
func optDB(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return toDB(t)
}

// optFromDB converts back a time stored by optDB.
func optFromDB(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromDB(us)
}

func hashText(h [sha256.Size]byte) string { return hex.EncodeToString(h[:]) }

// CreateInvitation implements accounts.Store.
func (s *Store) CreateInvitation(ctx context.Context, inv accounts.Invitation) (accounts.Invitation, error) {
	if err := inv.Validate(); err != nil {
		return accounts.Invitation{}, fmt.Errorf("create invitation: %w", err)
	}
	if inv.Status != accounts.InvitationPending {
		return accounts.Invitation{}, fmt.Errorf("create invitation: %w",
			accounts.NewError(accounts.ErrInvalid, "a new invitation must be pending"))
	}
	got, err := scanInvitation(s.db.QueryRowContext(ctx,
		`INSERT INTO invitations (`+invitationColumns+`, email_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, '', 0, $12) RETURNING `+invitationColumns,
		inv.ID, inv.OrgID, inv.Email, string(inv.Role), string(inv.Status), hashText(inv.TokenHash), inv.InvitedBy,
		toDB(inv.CreatedAt), toDB(inv.UpdatedAt), toDB(inv.SentAt), toDB(inv.ExpiresAt), accounts.EmailKey(inv.Email)))
	if err != nil {
		return accounts.Invitation{}, insertError("create invitation", err)
	}
	return got, nil
}

// GetInvitation implements accounts.Store.
func (s *Store) GetInvitation(ctx context.Context, orgID, id string) (accounts.Invitation, error) {
	inv, err := scanInvitation(s.db.QueryRowContext(ctx,
		`SELECT `+invitationColumns+` FROM invitations WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return accounts.Invitation{}, notFound("get invitation", err)
	}
	return inv, nil
}

// GetInvitationByToken implements accounts.Store. The lookup is by the
// unique index on the hash; see accounts.ParseInvitationToken for why
// that leaks nothing through timing.
func (s *Store) GetInvitationByToken(ctx context.Context, tokenHash [sha256.Size]byte) (accounts.Invitation, error) {
	inv, err := scanInvitation(s.db.QueryRowContext(ctx,
		`SELECT `+invitationColumns+` FROM invitations WHERE token_hash = $1`, hashText(tokenHash)))
	if err != nil {
		return accounts.Invitation{}, notFound("get invitation by token", err)
	}
	return inv, nil
}

// ListPendingInvitations implements accounts.Store.
func (s *Store) ListPendingInvitations(ctx context.Context, orgID string, page accounts.PageRequest) (accounts.Page[accounts.Invitation], error) {
	return listQuery[accounts.Invitation]{
		what:      "list invitations",
		selectSQL: `SELECT ` + invitationColumns + ` FROM invitations`,
		where:     "org_id = $1 AND status = 'pending'",
		args:      []any{orgID},
		keyColumn: "id",
		validKey:  accounts.ValidInvitationID,
		scan:      scanInvitation,
		cursor: func(i accounts.Invitation) accounts.Cursor {
			return accounts.Cursor{At: i.CreatedAt, Key: i.ID}
		},
	}.run(ctx, s.db.DB, page)
}

// RenewInvitation implements accounts.Store. The state and the resend
// interval are conditions of the one UPDATE, so two renewals at once
// cannot both pass; only when it changes nothing is the invitation read
// again to say why.
func (s *Store) RenewInvitation(ctx context.Context, orgID, id string, tokenHash [sha256.Size]byte, at, expiresAt, sentBefore time.Time) (accounts.Invitation, error) {
	if !expiresAt.After(at) {
		return accounts.Invitation{}, fmt.Errorf("renew invitation: %w",
			accounts.NewError(accounts.ErrInvalid, "an invitation must expire after it is sent"))
	}
	inv, err := scanInvitation(s.db.QueryRowContext(ctx,
		`UPDATE invitations SET token_hash = $3, sent_at = $4, updated_at = $4, expires_at = $5
		WHERE org_id = $1 AND id = $2 AND status = 'pending' AND sent_at <= $6 RETURNING `+invitationColumns,
		orgID, id, hashText(tokenHash), toDB(at), toDB(expiresAt), toDB(sentBefore)))
	if err == nil {
		return inv, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return accounts.Invitation{}, insertError("renew invitation", err)
	}
	cur, err := s.GetInvitation(ctx, orgID, id)
	switch {
	case err != nil:
		return accounts.Invitation{}, fmt.Errorf("renew invitation: %w", err)
	case cur.Status != accounts.InvitationPending:
		return accounts.Invitation{}, fmt.Errorf("renew invitation: %w", accounts.NewError(accounts.ErrGone, "the invitation is no longer pending"))
	}
	return accounts.Invitation{}, fmt.Errorf("renew invitation: sent at %v: %w", cur.SentAt, accounts.ErrThrottled)
}

// RevokeInvitation implements accounts.Store.
func (s *Store) RevokeInvitation(ctx context.Context, orgID, id string, at time.Time) (accounts.Invitation, error) {
	inv, err := scanInvitation(s.db.QueryRowContext(ctx,
		`UPDATE invitations SET status = 'revoked', revoked_at = $3, updated_at = $3
		WHERE org_id = $1 AND id = $2 AND status = 'pending' RETURNING `+invitationColumns,
		orgID, id, toDB(at)))
	if err == nil {
		return inv, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return accounts.Invitation{}, fmt.Errorf("revoke invitation: %w", err)
	}
	cur, err := s.GetInvitation(ctx, orgID, id)
	switch {
	case err != nil:
		return accounts.Invitation{}, fmt.Errorf("revoke invitation: %w", err)
	case cur.Status == accounts.InvitationAccepted:
		return accounts.Invitation{}, fmt.Errorf("revoke invitation: %w", accounts.NewError(accounts.ErrGone, "the invitation was accepted"))
	}
	return cur, nil
}

// AcceptInvitation implements accounts.Store. The invitation's row is
// locked first (PostgreSQL: FOR UPDATE; SQLite: the transaction is
// IMMEDIATE), so that of two acceptances at once exactly one makes the
// membership and the other sees it accepted.
func (s *Store) AcceptInvitation(ctx context.Context, a accounts.InvitationAcceptance) (accounts.Membership, bool, error) {
	if !accounts.ValidIdentityID(a.IdentityID) {
		return accounts.Membership{}, false, fmt.Errorf("accept invitation: %w",
			accounts.NewError(accounts.ErrInvalid, "identity id is malformed"))
	}
	var (
		m       accounts.Membership
		created bool
	)
	err := s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		lock := `SELECT ` + invitationColumns + ` FROM invitations WHERE id = $1`
		if s.db.Dialect() == sqldb.Postgres {
			lock += ` FOR UPDATE`
		}
		inv, err := scanInvitation(tx.QueryRowContext(ctx, lock, a.InvitationID))
		if err != nil {
			return notFound("accept invitation", err)
		}
		gone := func(msg string) error {
			return fmt.Errorf("accept invitation: %w", accounts.NewError(accounts.ErrGone, "%s", msg))
		}
		switch {
		case inv.Status == accounts.InvitationAccepted && inv.AcceptedBy == a.IdentityID:
			m, err = scanMembership(tx.QueryRowContext(ctx,
				`SELECT `+membershipColumns+` FROM memberships WHERE org_id = $1 AND identity_id = $2`, inv.OrgID, a.IdentityID))
			if errors.Is(err, sql.ErrNoRows) {
				return gone("the invitation was accepted, and the membership it made has since ended")
			}
			return err
		case inv.Status == accounts.InvitationAccepted:
			return gone("the invitation was already accepted")
		case inv.Status == accounts.InvitationRevoked:
			return gone("the invitation was revoked")
		case inv.TokenHash != a.TokenHash:
			return gone("the invitation was sent again; use the latest mail")
		case inv.Expired(a.At):
			return gone("the invitation has expired; ask for a new one")
		}
		var exists int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM memberships WHERE org_id = $1 AND identity_id = $2`,
			inv.OrgID, a.IdentityID).Scan(&exists)
		switch {
		case err == nil:
			return fmt.Errorf("accept invitation: already a member: %w", accounts.ErrConflict)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("accept invitation: %w", err)
		}
		m = accounts.Membership{OrgID: inv.OrgID, IdentityID: a.IdentityID, Role: inv.Role, Email: inv.Email,
			CreatedAt: stored(a.At), UpdatedAt: stored(a.At)}
		if err := insertMembership(ctx, tx, m); err != nil {
			return insertError("accept invitation: add membership", err)
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE invitations SET status = 'accepted', accepted_at = $2, accepted_by = $3, updated_at = $2 WHERE id = $1`,
			inv.ID, toDB(a.At), a.IdentityID); err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		if a.DisplayName != "" {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO profiles (`+profileColumns+`) VALUES ($1, $2, '', '', '{}', $3)
				ON CONFLICT (identity_id) DO UPDATE SET display_name = excluded.display_name, updated_at = excluded.updated_at`,
				a.IdentityID, a.DisplayName, toDB(a.At)); err != nil {
				return fmt.Errorf("accept invitation: profile: %w", err)
			}
		}
		created = true
		return nil
	})
	if err != nil {
		return accounts.Membership{}, false, err
	}
	return m, created, nil
}

// PruneInvitations implements accounts.Store.
func (s *Store) PruneInvitations(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM invitations WHERE
		(status = 'accepted' AND accepted_at < $1) OR
		(status = 'revoked' AND revoked_at < $1) OR
		(status = 'pending' AND expires_at < $1)`, toDB(before))
	if err != nil {
		return 0, fmt.Errorf("prune invitations: %w", err)
	}
	return res.RowsAffected()
}
