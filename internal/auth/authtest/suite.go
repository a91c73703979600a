// Package authtest holds the conformance suite every auth.Store
// implementation must pass.
package authtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// RunStoreSuite runs every conformance test against stores made by open,
// each test on a fresh, empty store.
func RunStoreSuite(t *testing.T, open func(t *testing.T) auth.Store) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s auth.Store)
	}{
		{"identity create and get", testIdentityCreateGet},
		{"identity conflicts", testIdentityConflicts},
		{"identity invalid", testIdentityInvalid},
		{"identity update password hash", testUpdatePasswordHash},
		{"identity set status", testSetIdentityStatus},
		{"identity list pages", testListIdentities},
		{"identity concurrent create same email", testConcurrentCreateSameEmail},
		{"identity idempotent create and record get", testIdempotentCreate},
		{"identity idempotent create conflicts", testIdempotentCreateConflicts},
		{"identity idempotent create invalid", testIdempotentCreateInvalid},
		{"identity idempotent create concurrent same key", testIdempotentCreateConcurrent},
		{"idempotency records prune", testPruneIdempotencyRecords},
		{"page request invalid", testPageRequestInvalid},
		{"session create and get", testSessionCreateGet},
		{"session create errors", testSessionCreateErrors},
		{"session touch", testTouchSession},
		{"session revoke", testRevokeSession},
		{"session revoke all of identity", testRevokeIdentitySessions},
		{"session list active", testListActiveSessions},
		{"api key create and get", testAPIKeyCreateGet},
		{"api key create errors", testAPIKeyCreateErrors},
		{"api key list pages", testListAPIKeys},
		{"api key revoke", testRevokeAPIKey},
		{"api key touch", testTouchAPIKey},
		{"audit append and list", testAuditAppendList},
		{"audit errors", testAuditErrors},
		{"session get by id", testGetSession},
		{"session get active by id", testGetActiveSession},
		{"throttle counters", testThrottleCounters},
		{"throttle counters concurrent", testThrottleCountersConcurrent},
		{"login challenges", testLoginChallenges},
		{"totp and recovery codes", testTOTP},
		{"clients", testClients},
		{"client list pages", testListClients},
		{"refresh tokens", testRefreshTokens},
		{"revoked access tokens", testRevokedAccessTokens},
		{"password resets", testPasswordResets},
		{"password reset completion burns codes and signs out", testCompletePasswordResetBurnsAndSignsOut},
		{"password reset completion refuses disabled identities", testCompletePasswordResetRefusesDisabled},
		{"password reset completion concurrent", testCompletePasswordResetConcurrent},
		{"password resets burn", testBurnPasswordResets},
		{"password reset stats and prune", testPasswordResetStatsAndPrune},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// t0 has nanoseconds on purpose: stores keep microseconds.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

// us returns t as a store returns it.
func us(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func ptr(t time.Time) *time.Time { return &t }

func ctx(t *testing.T) context.Context { return t.Context() }

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

func mustNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// collect reads every page of a list with the given page size, checking
// each page's size and that the walk ends.
func collect[T any](t *testing.T, limit int, list func(auth.PageRequest) (auth.Page[T], error)) []T {
	t.Helper()
	var all []T
	req := auth.PageRequest{Limit: limit}
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination did not end after 1000 pages")
		}
		p, err := list(req)
		mustNoErr(t, fmt.Sprintf("list page %d", pages+1), err)
		if len(p.Items) > limit {
			t.Fatalf("page %d: got %d items, want at most %d", pages+1, len(p.Items), limit)
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all
		}
		if len(p.Items) != limit {
			t.Fatalf("page %d: got %d items and a next cursor, want a full page of %d", pages+1, len(p.Items), limit)
		}
		req.Cursor = p.NextCursor
	}
}

// wantNewestFirst checks that keys (time, id) strictly descend.
func wantNewestFirst(t *testing.T, what string, keys []auth.Cursor) {
	t.Helper()
	for i := 1; i < len(keys); i++ {
		a, b := keys[i-1], keys[i]
		if a.At.Before(b.At) || (a.At.Equal(b.At) && a.ID <= b.ID) {
			t.Errorf("%s: item %d (%v, %s) is not before item %d (%v, %s) in newest-first order",
				what, i-1, a.At, a.ID, i, b.At, b.ID)
		}
	}
}

func newIdentity(email string, at time.Time) auth.Identity {
	return auth.Identity{
		ID:           auth.NewID(auth.IdentityIDPrefix, at),
		Email:        email,
		Status:       auth.StatusActive,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE",
		CreatedAt:    at,
		UpdatedAt:    at,
	}
}

func mustCreateIdentity(t *testing.T, s auth.Store, email string, at time.Time) auth.Identity {
	t.Helper()
	i, err := s.CreateIdentity(ctx(t), newIdentity(email, at))
	mustNoErr(t, "create identity "+email, err)
	return i
}
