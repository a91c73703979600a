package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// The demo customer of portico all --demo.
const (
	demoOrgName    = "Acme Streaming"
	demoOrgSlug    = "acme-streaming"
	demoOwnerEmail = "owner@acme.example"
	demoViewer     = "analyst@acme.example"
	demoSeed       = 1
)

// demoServices are the in-process services the demo is made with.
type demoServices struct {
	auth      *auth.Service
	accounts  *accounts.Service
	configs   *configs.Service
	analytics *analytics.Service
	adminID   string
}

// demoResult says what the demo made, for the box on standard output.
type demoResult struct {
	created  bool
	password string // the demo members' password, shown once
	traffic  string
}

// seedDemo creates, once, the demo customer of portico all: the
// organization, its owner and a viewer (one generated password, returned
// to be shown once), a web and an app integration, and a day of viewing
// traffic with a live event, ingested in process so that it keeps its
// countries and ISPs. An organization with the demo's slug means it was
// made on an earlier start: nothing is done.
func seedDemo(ctx context.Context, s demoServices, logger *slog.Logger) (demoResult, error) {
	staff := accounts.Principal{IdentityID: s.adminID, Staff: true}
	var raw [12]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never returns an error
	password := base64.RawURLEncoding.EncodeToString(raw[:])

	owner, err := s.auth.CreateIdentity(ctx, demoOwnerEmail, password)
	if errors.Is(err, auth.ErrConflict) {
		return demoResult{}, nil // made on an earlier start
	}
	if err != nil {
		return demoResult{}, fmt.Errorf("demo owner: %w", err)
	}
	viewer, err := s.auth.CreateIdentity(ctx, demoViewer, password)
	if err != nil {
		return demoResult{}, fmt.Errorf("demo viewer: %w", err)
	}
	org, _, err := s.accounts.CreateOrganization(ctx, staff, accounts.NewOrganization{
		Name: demoOrgName, Slug: demoOrgSlug, Plan: accounts.Plan{Name: "pro", ViewerCap: 5000}, Owner: owner.ID})
	if err != nil {
		return demoResult{}, fmt.Errorf("demo organization: %w", err)
	}
	ownerA := accounts.Principal{IdentityID: owner.ID}
	if _, _, err := s.accounts.PutMember(ctx, ownerA, org.ID, viewer.ID, accounts.RoleViewer); err != nil {
		return demoResult{}, fmt.Errorf("demo viewer's membership: %w", err)
	}
	ownerP := configs.Principal{Kind: identity.KindUser, ID: owner.ID, Orgs: map[string]configs.Role{org.ID: configs.RoleOwner}}
	web, err := s.configs.CreateIntegration(ctx, ownerP, org.ID, configs.NewIntegration{
		Name: "Acme Web", Environment: configs.EnvProduction, Domains: []string{"acme.example"}})
	if err != nil {
		return demoResult{}, fmt.Errorf("demo web integration: %w", err)
	}
	tv, err := s.configs.CreateIntegration(ctx, ownerP, org.ID, configs.NewIntegration{
		Name: "Acme TV apps", Environment: configs.EnvProduction, Domains: []string{"tv.acme.example"}, BundleIDs: []string{"com.acme.tv"}})
	if err != nil {
		return demoResult{}, fmt.Errorf("demo app integration: %w", err)
	}
	logger.Info("demo organization created", slog.String("org", org.ID), slog.String("owner", demoOwnerEmail))

	start := time.Now()
	sum, totals, err := demoTraffic(ctx, s.analytics.Ingest, []demoIntegration{
		{Key: web.Integration.DeliveryKey, Origin: "https://www.acme.example", Weight: 3},
		{Key: tv.Integration.DeliveryKey, Origin: "https://tv.acme.example", BundleID: "com.acme.tv", Weight: 1},
	}, demoSeed, start)
	if err != nil {
		return demoResult{}, fmt.Errorf("demo traffic: %w", err)
	}
	traffic := fmt.Sprintf("%d beacons of a day's viewing, in %s", sum.Accepted, time.Since(start).Round(time.Second))
	// The totals, computed from the beacons as sent, are what tests check
	// the API's and the dashboard's figures against.
	logger.Info("demo traffic ingested", append([]any{slog.Int("accepted", sum.Accepted), slog.Duration("took", time.Since(start)),
		slog.Time("from", start.Add(-simulateDefaultWindow)), slog.Time("to", start)}, totals.attrs()...)...)
	return demoResult{created: true, password: password, traffic: traffic}, nil
}

// printDemo writes the demo's box, once, on standard output.
func printDemo(w io.Writer, r demoResult) {
	if !r.created {
		return
	}
	printBox(w, []string{
		"Demo organization: " + demoOrgName,
		"",
		"  owner:    " + demoOwnerEmail,
		"  viewer:   " + demoViewer,
		"  password: " + r.password + " (both; shown only once)",
		"  traffic:  " + r.traffic,
	})
}
