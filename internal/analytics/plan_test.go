package analytics

import (
	"testing"
	"time"
)

func TestDecompose(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// A day in Asia/Kolkata: 18:30 UTC to 18:30 UTC.
	got := decompose(at("2026-03-28T18:30:00Z"), at("2026-03-30T18:30:00Z"))
	want := []segment{
		{LevelMinute, Range{at("2026-03-28T18:30:00Z"), at("2026-03-28T19:00:00Z")}},
		{LevelHour, Range{at("2026-03-28T19:00:00Z"), at("2026-03-29T00:00:00Z")}},
		{LevelDay, Range{at("2026-03-29T00:00:00Z"), at("2026-03-30T00:00:00Z")}},
		{LevelHour, Range{at("2026-03-30T00:00:00Z"), at("2026-03-30T18:00:00Z")}},
		{LevelMinute, Range{at("2026-03-30T18:00:00Z"), at("2026-03-30T18:30:00Z")}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].level != want[i].level || !got[i].From.Equal(want[i].From) || !got[i].To.Equal(want[i].To) {
			t.Errorf("segment %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestPlanLimits(t *testing.T) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	loc, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	kolkata := time.Date(2026, 3, 1, 0, 0, 0, 0, loc)
	for _, tc := range []struct {
		name string
		q    Query
	}{
		{"empty", Query{From: from, To: from}},
		{"seconds", Query{From: from.Add(time.Second), To: from.Add(time.Hour)}},
		{"too many buckets", Query{From: from, To: from.Add(3 * 24 * time.Hour), Granularity: GranMinute}},
		{"unaligned end", Query{From: from, To: from.Add(90 * time.Minute), Granularity: GranHour}},
		{"too many minute rollups", Query{From: kolkata, To: kolkata.AddDate(0, 0, 200), Granularity: GranDay, Location: kolkata.Location()}},
	} {
		tc.q.From, tc.q.To = tc.q.From.UTC(), tc.q.To.UTC()
		if _, err := newPlan(&tc.q, tc.q.Granularity != "", from, time.Time{}); Code(err) != ErrInvalid {
			t.Errorf("%s: got %v, want ErrInvalid", tc.name, err)
		}
	}
	// Minute rollups before the minute horizon are gone: a question that
	// needs them is refused, one that needs hour rollups only is not.
	horizon := from.Add(24 * time.Hour)
	for _, tc := range []struct {
		name string
		q    Query
		ok   bool
	}{
		{"minutes before", Query{From: from, To: from.Add(time.Hour), Granularity: GranMinute}, false},
		{"minutes after", Query{From: horizon, To: horizon.Add(time.Hour), Granularity: GranMinute}, true},
		{"hours before", Query{From: from, To: from.Add(48 * time.Hour), Granularity: GranHour}, true},
		{"kolkata days before", Query{From: kolkata.UTC(), To: kolkata.AddDate(0, 0, 3).UTC(), Granularity: GranDay, Location: loc}, false},
	} {
		_, err := newPlan(&tc.q, true, from, horizon)
		if tc.ok != (err == nil) || (err != nil && Code(err) != ErrInvalid) {
			t.Errorf("%s with the minute horizon at %v: got %v", tc.name, horizon, err)
		}
	}
}

func TestValidate(t *testing.T) {
	now := time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC)
	good := Beacon{SessionID: "s-1", Time: now, ContentID: "c", StreamType: StreamLive, Platform: PlatformTV, StartupMS: 900}
	if e := good.Validate(now, Window{}); e != nil {
		t.Fatalf("good beacon: %v", e)
	}
	for _, tc := range []struct {
		name, pointer, reason string
		edit                  func(b *Beacon)
	}{
		{"session", "/session_id", ReasonInvalid, func(b *Beacon) { b.SessionID = "a b" }},
		{"future", "/time", ReasonTooEarly, func(b *Beacon) { b.Time = now.Add(DefaultClockSkew + time.Second) }},
		{"late", "/time", ReasonTooLate, func(b *Beacon) { b.Time = now.Add(-DefaultLateWindow - time.Second) }},
		{"startup later", "/startup_ms", ReasonInvalid, func(b *Beacon) { b.Sequence = 1 }},
		{"bytes", "/p2p_bytes", ReasonInvalid, func(b *Beacon) { b.P2PBytes = MaxBytesDelta + 1 }},
		{"content", "/content_id", ReasonInvalid, func(b *Beacon) { b.ContentID = "a\nb" }},
	} {
		b := good
		tc.edit(&b)
		e := b.Validate(now, Window{})
		if e == nil || e.Pointer != tc.pointer || e.Reason != tc.reason {
			t.Errorf("%s: got %+v, want %s %s", tc.name, e, tc.pointer, tc.reason)
			continue
		}
		if r := e.Refusal(3); r.Pointer != "/beacons/3"+tc.pointer || r.Index != 3 {
			t.Errorf("%s: refusal %+v", tc.name, r)
		}
	}
}
