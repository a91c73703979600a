package authtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

func newAuditEvent(orgID string, at time.Time) auth.AuditEvent {
	return auth.AuditEvent{
		ID:      auth.NewID(auth.AuditEventIDPrefix, at),
		At:      at,
		OrgID:   orgID,
		ActorID: auth.NewID(auth.IdentityIDPrefix, at),
		Kind:    "api_key.created",
		IP:      "192.0.2.10",
		Detail:  map[string]string{"name": "deploy script", "note": "ünïcode ✓"},
	}
}

func testAuditAppendList(t *testing.T, s auth.Store) {
	in := newAuditEvent("org_acme", t0)
	got, err := s.AppendAuditEvent(ctx(t), in)
	mustNoErr(t, "append", err)
	want := in
	want.At = us(in.At)
	wantEqual(t, "appended event", got, want)

	wantIDs := map[string]bool{in.ID: true}
	for n := range 10 {
		at := t0.Add(time.Second) // equal times across page boundaries
		if n >= 6 {
			at = t0.Add(time.Duration(n) * time.Minute)
		}
		e, err := s.AppendAuditEvent(ctx(t), newAuditEvent("org_acme", at))
		mustNoErr(t, "append", err)
		wantIDs[e.ID] = true
	}
	other := newAuditEvent("org_other", t0)
	_, err = s.AppendAuditEvent(ctx(t), other)
	mustNoErr(t, "append other org", err)
	anon := newAuditEvent("", t0)
	anon.ActorID, anon.IP, anon.Detail = "", "", nil
	_, err = s.AppendAuditEvent(ctx(t), anon)
	mustNoErr(t, "append event outside any org", err)

	for _, limit := range []int{1, 3, 11, 12} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			all := collect(t, limit, func(r auth.PageRequest) (auth.Page[auth.AuditEvent], error) {
				return s.ListAuditEvents(ctx(t), "org_acme", r)
			})
			keys := make([]auth.Cursor, len(all))
			seen := map[string]bool{}
			for i, e := range all {
				keys[i] = auth.Cursor{At: e.At, ID: e.ID}
				if !wantIDs[e.ID] || seen[e.ID] {
					t.Errorf("event %s listed twice or not expected", e.ID)
				}
				seen[e.ID] = true
				if e.ID == in.ID {
					wantEqual(t, "listed event", e, want)
				}
			}
			if len(seen) != len(wantIDs) {
				t.Errorf("got %d events, want %d", len(seen), len(wantIDs))
			}
			wantNewestFirst(t, "audit events", keys)
		})
	}

	page, err := s.ListAuditEvents(ctx(t), "", auth.PageRequest{})
	mustNoErr(t, "list events outside any org", err)
	if len(page.Items) != 1 || page.Items[0].ID != anon.ID || page.Items[0].Detail == nil {
		t.Errorf("events outside any org: got %+v, want only %s with an empty detail map", page.Items, anon.ID)
	}
}

func testAuditErrors(t *testing.T, s auth.Store) {
	e := newAuditEvent("org_acme", t0)
	_, err := s.AppendAuditEvent(ctx(t), e)
	mustNoErr(t, "append", err)
	_, err = s.AppendAuditEvent(ctx(t), e)
	wantErr(t, "duplicate id", err, auth.ErrConflict)

	for name, mutate := range map[string]func(*auth.AuditEvent){
		"no kind":   func(x *auth.AuditEvent) { x.Kind = "" },
		"bad kind":  func(x *auth.AuditEvent) { x.Kind = "Session Created" },
		"zero time": func(x *auth.AuditEvent) { x.At = time.Time{} },
		"bad ip":    func(x *auth.AuditEvent) { x.IP = "localhost" },
		"long detail": func(x *auth.AuditEvent) {
			x.Detail = map[string]string{"k": strings.Repeat("v", auth.MaxAuditDetailVal+1)}
		},
		"empty detail key": func(x *auth.AuditEvent) { x.Detail = map[string]string{"": "v"} },
		"bad id":           func(x *auth.AuditEvent) { x.ID = "evt_1" },
	} {
		x := newAuditEvent("org_acme", t0)
		mutate(&x)
		_, err := s.AppendAuditEvent(ctx(t), x)
		wantErr(t, name, err, auth.ErrInvalid)
	}
}
