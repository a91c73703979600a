// Package configstest holds the conformance suite every configs.Store
// implementation must pass.
package configstest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/configs"
)

// RunStoreSuite runs every conformance test against stores made by open,
// each test on a fresh, empty store.
func RunStoreSuite(t *testing.T, open func(t *testing.T) configs.Store) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s configs.Store)
	}{
		{"integration create and get", testIntegrationCreateGet},
		{"integration invalid", testIntegrationInvalid},
		{"integration conflict", testIntegrationConflict},
		{"integration update", testIntegrationUpdate},
		{"integration scoped by organization", testIntegrationScoped},
		{"integration list pages", testListIntegrations},
		{"page request invalid", testPageRequestInvalid},
		{"delivery key lookup", testDeliveryKeyLookup},
		{"delivery key rotation", testRotateDeliveryKey},
		{"settings append get current", testAppendGetCurrent},
		{"settings append invalid", testAppendInvalid},
		{"settings stale expected version", testAppendStale},
		{"settings scoped by organization", testVersionsScoped},
		{"settings list pages", testListVersions},
		{"settings concurrent append", testAppendConcurrent},
		{"integration delete", testDeleteIntegration},
		{"audit written with each change", testAuditWritten},
		{"audit invalid refuses the change", testAuditInvalid},
		{"audit list pages and filter", testListAudit},
		{"audit scoped by organization", testAuditScoped},
		{"audit prune", testPruneAudit},
		{"idempotency record", testIdempotencyRecord},
		{"idempotency concurrent creates", testIdempotencyConcurrent},
		{"revision counts changes", testRevision},
		{"revision concurrent changes", testRevisionConcurrent},
		{"delivery state", testDeliveryState},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// t0 has nanoseconds on purpose: stores keep microseconds.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

// us returns t as a store returns it.
func us(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

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
// each page's size and that the walk ends, and returns the items and the
// number of pages.
func collect[T any](t *testing.T, limit int, list func(configs.PageRequest) (configs.Page[T], error)) ([]T, int) {
	t.Helper()
	var all []T
	req := configs.PageRequest{Limit: limit}
	for pages := 1; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination did not end after 1000 pages")
		}
		p, err := list(req)
		mustNoErr(t, fmt.Sprintf("list page %d", pages), err)
		if len(p.Items) > limit {
			t.Fatalf("page %d: got %d items, want at most %d", pages, len(p.Items), limit)
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all, pages
		}
		if len(p.Items) != limit {
			t.Fatalf("page %d: got %d items and a next cursor, want a full page of %d", pages, len(p.Items), limit)
		}
		req.Cursor = p.NextCursor
	}
}

func mustDomains(t *testing.T, names ...string) configs.Domains {
	t.Helper()
	var ds configs.Domains
	for _, n := range names {
		d, err := configs.ParseDomain(n)
		mustNoErr(t, "parse domain "+n, err)
		ds = append(ds, d)
	}
	return ds
}

func newIntegration(t *testing.T, orgID, name string, at time.Time) configs.Integration {
	return configs.Integration{
		ID:          configs.NewIntegrationID(at),
		OrgID:       orgID,
		Name:        name,
		Environment: configs.EnvProduction,
		Status:      configs.StatusActive,
		DeliveryKey: configs.NewDeliveryKey(),
		Domains:     mustDomains(t, "example.com", "*.cdn.example.net"),
		BundleIDs:   []configs.BundleID{"com.example.player"},
		CreatedAt:   at,
		UpdatedAt:   at,
	}
}

// stored returns in as a store returns it.
func stored(in configs.Integration) configs.Integration {
	in.CreatedAt, in.UpdatedAt = us(in.CreatedAt), us(in.UpdatedAt)
	if !in.PreviousKeyExpiresAt.IsZero() {
		in.PreviousKeyExpiresAt = us(in.PreviousKeyExpiresAt)
	}
	return in
}

func mustCreate(t *testing.T, s configs.Store, orgID, name string, at time.Time) configs.Integration {
	t.Helper()
	in, _, err := s.CreateIntegration(ctx(t), creation(newIntegration(t, orgID, name, at)))
	mustNoErr(t, "create integration "+name, err)
	return in
}

// firstDoc is the document of the first version of every integration the
// suite creates.
var firstDoc = []byte(`{"activation_ratio": 1}`)

// creation returns what creates in, with its first version and audit
// entry.
func creation(in configs.Integration) configs.Creation {
	return configs.Creation{
		Integration: in,
		Settings:    configs.SettingsVersion{Document: firstDoc, Author: "usr_author", Message: "created", CreatedAt: in.CreatedAt},
		Audit:       auditOf(in.OrgID, in.ID, configs.ActionIntegrationCreated),
	}
}

// auditOf returns a valid audit entry of a change to the integration id.
func auditOf(orgID, id string, action configs.AuditAction) configs.AuditEntry {
	return configs.AuditEntry{ID: configs.NewAuditID(t0), OrgID: orgID, IntegrationID: id,
		Actor: configs.Actor{Kind: "user", ID: "usr_author", CredentialID: "ses_1"}, Action: action,
		Message: string(action), Diff: []byte(`[]`), CreatedAt: t0}
}

// doc returns a valid settings document that differs by n.
func doc(n int) []byte {
	return fmt.Appendf(nil, `{"activation_ratio": %g}`, float64(n%10)/10)
}

func newVersion(n int, at time.Time) configs.SettingsVersion {
	return configs.SettingsVersion{Document: doc(n), Author: "usr_author", Message: fmt.Sprintf("change %d", n), CreatedAt: at}
}
