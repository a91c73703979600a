package authstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authstore"
	"github.com/portico-gw/portico/internal/platform/sqldb"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

func mustOpen(tb testing.TB, db *sqldb.DB) *authstore.Store {
	tb.Helper()
	s, err := authstore.Open(context.Background(), db)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	return s
}

// dumpText returns every value of every column of the store's tables as
// text, for searching.
func dumpText(tb testing.TB, db *sqldb.DB) string {
	tb.Helper()
	var sb strings.Builder
	for _, table := range []string{"identities", "sessions", "api_keys", "audit_events",
		"login_challenges", "clients", "refresh_tokens", "password_resets", "recovery_codes"} {
		rows, err := db.QueryContext(context.Background(), "SELECT * FROM "+table)
		if err != nil {
			tb.Fatalf("dump %s: %v", table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			tb.Fatalf("dump %s: %v", table, err)
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatalf("dump %s: %v", table, err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(&sb, "%v\n", v)
			}
		}
		if err := rows.Err(); err != nil {
			tb.Fatalf("dump %s: %v", table, err)
		}
		rows.Close()
	}
	return sb.String()
}

// TestNoSecretsInClear stores a session and an API key and checks that
// neither the session token nor the key's secret appears in the database.
func TestNoSecretsInClear(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			s := mustOpen(t, db)
			ctx := context.Background()
			now := time.Now()
			id, err := s.CreateIdentity(ctx, auth.Identity{
				ID: auth.NewID(auth.IdentityIDPrefix, now), Email: "secret@example.com",
				Status: auth.StatusActive, CreatedAt: now, UpdatedAt: now,
			})
			if err != nil {
				t.Fatalf("create identity: %v", err)
			}
			token, tokenHash := auth.GenerateToken()
			if _, err := s.CreateSession(ctx, auth.Session{
				ID: auth.NewID(auth.SessionIDPrefix, now), IdentityID: id.ID, TokenHash: tokenHash,
				CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour), IdleExpiresAt: now.Add(time.Minute),
			}); err != nil {
				t.Fatalf("create session: %v", err)
			}
			key, lookupID, secretHash, err := auth.GenerateAPIKey()
			if err != nil {
				t.Fatalf("generate api key: %v", err)
			}
			if _, err := s.CreateAPIKey(ctx, auth.APIKey{
				ID: lookupID, OrgID: "org_acme", IdentityID: id.ID, Name: "ci", SecretHash: secretHash, CreatedAt: now,
			}); err != nil {
				t.Fatalf("create api key: %v", err)
			}
			_, secret, err := auth.ParseAPIKey(key)
			if err != nil {
				t.Fatalf("parse api key: %v", err)
			}

			secrets := map[string]string{"session token": token, "api key": key, "api key secret": string(secret)}
			clientSecret, clientHash := auth.GenerateToken()
			client := auth.Client{ID: auth.NewID(auth.ClientIDPrefix, now), OrgID: "org_acme", Name: "bot",
				SecretHash: clientHash, CreatedBy: id.ID, CreatedAt: now}
			if _, err := s.CreateClient(ctx, client); err != nil {
				t.Fatalf("create client: %v", err)
			}
			refresh, refreshHash := auth.GenerateToken()
			rtID := auth.NewID(auth.RefreshTokenIDPrefix, now)
			if _, err := s.CreateRefreshToken(ctx, auth.RefreshToken{ID: rtID, FamilyID: rtID, ClientID: client.ID,
				Subject: client.ID, TokenHash: refreshHash, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatalf("create refresh token: %v", err)
			}
			reset, resetHash := auth.GenerateToken()
			if _, err := s.CreatePasswordReset(ctx, auth.PasswordReset{ID: auth.NewID(auth.PasswordResetIDPrefix, now),
				IdentityID: id.ID, Account: id.EmailNorm, TokenHash: resetHash, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatalf("create password reset: %v", err)
			}
			challenge, challengeHash := auth.GenerateToken()
			if _, err := s.CreateLoginChallenge(ctx, auth.LoginChallenge{ID: auth.NewID(auth.LoginChallengeIDPrefix, now),
				IdentityID: id.ID, TokenHash: challengeHash, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
				t.Fatalf("create login challenge: %v", err)
			}
			for name, v := range map[string]string{"client secret": clientSecret, "refresh token": refresh, "reset token": reset, "challenge token": challenge} {
				secrets[name] = v
			}

			dump := dumpText(t, db)
			if !strings.Contains(dump, lookupID) {
				t.Fatalf("dump lacks the api key id %s; the dump is not reading the tables", lookupID)
			}
			if !strings.Contains(dump, client.ID) {
				t.Fatalf("dump lacks the client id %s; the dump is not reading the new tables", client.ID)
			}
			for name, secret := range secrets {
				if strings.Contains(dump, secret) {
					t.Errorf("the %s is stored in clear", name)
				}
			}
		})
	}
}

// TestOpenTwice checks that opening the store again on a migrated
// database applies nothing and keeps the data.
func TestOpenTwice(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			now := time.Now()
			in := auth.Identity{ID: auth.NewID(auth.IdentityIDPrefix, now), Email: "twice@example.com", Status: auth.StatusActive, CreatedAt: now, UpdatedAt: now}
			if _, err := mustOpen(t, db).CreateIdentity(context.Background(), in); err != nil {
				t.Fatalf("create identity: %v", err)
			}
			got, err := mustOpen(t, db).GetIdentity(context.Background(), in.ID)
			if err != nil || got.Email != in.Email {
				t.Errorf("after reopening: got (%+v, %v), want the identity created before", got, err)
			}
		})
	}
}
