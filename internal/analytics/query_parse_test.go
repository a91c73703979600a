package analytics

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// queryNow is when the table's queries run: a Tuesday afternoon, not on
// any bucket boundary.
var queryNow = time.Date(2026, 6, 16, 14, 37, 12, 345e6, time.UTC)

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatalf("parse %q: %v", s, err)
	}
	return t
}

func mustLocation(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// mustQuery parses raw, a query string, and fails the test on an error.
func mustQuery(tb testing.TB, raw string) Query {
	tb.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		tb.Fatalf("query string %q: %v", raw, err)
	}
	q, err := ParseQuery("org_1", v, queryNow)
	if err != nil {
		tb.Fatalf("ParseQuery(%q): %v", raw, err)
	}
	checkQueryInvariants(tb, q)
	return q
}

func TestParseQueryTimeframe(t *testing.T) {
	cases := []struct {
		name, raw  string
		gran       Granularity
		from, to   string // RFC 3339
		timezone   string // "" for UTC
		wantSpanOf string // documentation only
	}{
		{name: "default is the last 24 hours by hour", raw: "metric=viewers", gran: GranHour,
			from: "2026-06-15T14:00:00Z", to: "2026-06-16T15:00:00Z"},
		{name: "90m is by minute", raw: "metric=viewers&timeframe[]=90m", gran: GranMinute,
			from: "2026-06-16T13:07:00Z", to: "2026-06-16T14:38:00Z"},
		{name: "91m is by ten minutes", raw: "metric=viewers&timeframe[]=91m", gran: GranTenMinute,
			from: "2026-06-16T13:00:00Z", to: "2026-06-16T14:40:00Z"},
		{name: "6h is by ten minutes", raw: "metric=viewers&timeframe[]=6h", gran: GranTenMinute,
			from: "2026-06-16T08:30:00Z", to: "2026-06-16T14:40:00Z"},
		{name: "7h is by hour", raw: "metric=viewers&timeframe[]=7h", gran: GranHour,
			from: "2026-06-16T07:00:00Z", to: "2026-06-16T15:00:00Z"},
		{name: "15d is by hour", raw: "metric=viewers&timeframe[]=15d", gran: GranHour,
			from: "2026-06-01T14:00:00Z", to: "2026-06-16T15:00:00Z"},
		{name: "16d is by day", raw: "metric=viewers&timeframe[]=16d", gran: GranDay,
			from: "2026-05-31T00:00:00Z", to: "2026-06-17T00:00:00Z"},
		{name: "400d is allowed", raw: "metric=viewers&timeframe[]=400d", gran: GranDay,
			from: "2025-05-12T00:00:00Z", to: "2026-06-17T00:00:00Z"},
		{name: "bare timeframe spelling", raw: "metric=viewers&timeframe=90m", gran: GranMinute,
			from: "2026-06-16T13:07:00Z", to: "2026-06-16T14:38:00Z"},
		{name: "absolute RFC 3339 with offsets", gran: GranHour,
			raw:  "metric=viewers&timeframe[]=2026-06-01T10:30:00%2B02:00&timeframe[]=2026-06-02T10:00:00Z",
			from: "2026-06-01T08:00:00Z", to: "2026-06-02T10:00:00Z"},
		{name: "absolute Unix seconds", gran: GranMinute,
			raw:  "metric=viewers&timeframe[]=1780000000&timeframe[]=1780003600",
			from: "2026-05-28T20:26:00Z", to: "2026-05-28T21:27:00Z"},
		{name: "aligned bounds stay", gran: GranDay,
			raw:  "metric=viewers&timeframe[]=2026-05-01T00:00:00Z&timeframe[]=2026-06-01T00:00:00Z",
			from: "2026-05-01T00:00:00Z", to: "2026-06-01T00:00:00Z"},
		{name: "explicit coarser granularity", gran: GranDay,
			raw:  "metric=viewers&timeframe[]=1h&granularity=day",
			from: "2026-06-16T00:00:00Z", to: "2026-06-17T00:00:00Z"},
		{name: "explicit minute up to 2 days", gran: GranMinute,
			raw:  "metric=viewers&timeframe[]=2d&granularity=minute",
			from: "2026-06-14T14:37:00Z", to: "2026-06-16T14:38:00Z"},
		{name: "explicit hour up to 120 days", gran: GranHour,
			raw:  "metric=viewers&timeframe[]=120d&granularity=hour",
			from: "2026-02-16T14:00:00Z", to: "2026-06-16T15:00:00Z"},
		{name: "day in a time zone", gran: GranDay, timezone: "Asia/Tokyo",
			raw:  "metric=viewers&timeframe[]=30d&timezone=Asia/Tokyo",
			from: "2026-05-17T00:00:00%2B09:00", to: "2026-06-17T00:00:00%2B09:00"},
		// Hours are UTC hours, also where the offset is not whole hours.
		{name: "hour in Kolkata is a UTC hour", gran: GranHour, timezone: "Asia/Kolkata",
			raw:  "metric=viewers&timeframe[]=1d&timezone=Asia/Kolkata",
			from: "2026-06-15T14:00:00Z", to: "2026-06-16T15:00:00Z"},

		// Europe/Paris springs forward on 2026-03-29 at 02:00 (01:00Z):
		// that day has 23 hours.
		{name: "Paris spring day", gran: GranDay, timezone: "Europe/Paris",
			raw:  "metric=viewers&granularity=day&timezone=Europe/Paris&timeframe[]=2026-03-29T10:00:00%2B02:00&timeframe[]=2026-03-30T10:00:00%2B02:00",
			from: "2026-03-29T00:00:00%2B01:00", to: "2026-03-31T00:00:00%2B02:00"},
		{name: "Paris spring, from inside the short night", gran: GranDay, timezone: "Europe/Paris",
			raw:  "metric=viewers&granularity=day&timezone=Europe/Paris&timeframe[]=2026-03-29T00:59:59Z&timeframe[]=2026-03-29T01:00:01Z",
			from: "2026-03-28T23:00:00Z", to: "2026-03-29T22:00:00Z"},
		{name: "Paris spring, hours around the gap", gran: GranHour, timezone: "Europe/Paris",
			raw:  "metric=viewers&granularity=hour&timezone=Europe/Paris&timeframe[]=2026-03-29T01:30:00%2B01:00&timeframe[]=2026-03-29T03:30:00%2B02:00",
			from: "2026-03-29T00:00:00Z", to: "2026-03-29T02:00:00Z"},
		{name: "Paris, the day before the change", gran: GranDay, timezone: "Europe/Paris",
			raw:  "metric=viewers&granularity=day&timezone=Europe/Paris&timeframe[]=2026-03-28T12:00:00Z&timeframe[]=2026-03-28T23:00:00Z",
			from: "2026-03-27T23:00:00Z", to: "2026-03-28T23:00:00Z"},
		// America/New_York falls back on 2026-11-01 at 02:00 EDT (06:00Z):
		// that day has 25 hours.
		{name: "New York fall day", gran: GranDay, timezone: "America/New_York",
			raw:  "metric=viewers&granularity=day&timezone=America/New_York&timeframe[]=2026-11-01T12:00:00-05:00&timeframe[]=2026-11-01T13:00:00-05:00",
			from: "2026-11-01T00:00:00-04:00", to: "2026-11-02T00:00:00-05:00"},
		{name: "New York fall, the repeated hour", gran: GranDay, timezone: "America/New_York",
			raw:  "metric=viewers&granularity=day&timezone=America/New_York&timeframe[]=2026-11-01T01:30:00-05:00&timeframe[]=2026-11-02T00:00:00-05:00",
			from: "2026-11-01T04:00:00Z", to: "2026-11-02T05:00:00Z"},
		{name: "New York, a week across the change", gran: GranDay, timezone: "America/New_York",
			raw:  "metric=viewers&granularity=day&timezone=America/New_York&timeframe[]=2026-10-29T15:00:00Z&timeframe[]=2026-11-04T15:00:00Z",
			from: "2026-10-29T04:00:00Z", to: "2026-11-05T05:00:00Z"},
		// America/Santiago moves from 00:00 to 01:00 on 2026-09-06: that
		// day starts at 01:00.
		{name: "Santiago, midnight does not exist", gran: GranDay, timezone: "America/Santiago",
			raw:  "metric=viewers&granularity=day&timezone=America/Santiago&timeframe[]=2026-09-06T12:00:00Z&timeframe[]=2026-09-06T13:00:00Z",
			from: "2026-09-06T01:00:00-03:00", to: "2026-09-07T00:00:00-03:00"},
		// America/Havana moves from 01:00 back to 00:00 on 2026-11-01:
		// midnight happens twice and the day starts at the first.
		{name: "Havana, midnight twice", gran: GranDay, timezone: "America/Havana",
			raw:  "metric=viewers&granularity=day&timezone=America/Havana&timeframe[]=2026-11-01T12:00:00Z&timeframe[]=2026-11-01T13:00:00Z",
			from: "2026-11-01T00:00:00-04:00", to: "2026-11-02T00:00:00-05:00"},
		// Pacific/Apia skipped 2011-12-30: the day after the 29th is the
		// 31st.
		{name: "Apia, a skipped day", gran: GranDay, timezone: "Pacific/Apia",
			raw:  "metric=viewers&granularity=day&timezone=Pacific/Apia&timeframe[]=2011-12-29T12:00:00-10:00&timeframe[]=2011-12-29T13:00:00-10:00",
			from: "2011-12-29T00:00:00-10:00", to: "2011-12-31T00:00:00%2B14:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := mustQuery(t, c.raw)
			from := mustTime(t, strings.ReplaceAll(c.from, "%2B", "+"))
			to := mustTime(t, strings.ReplaceAll(c.to, "%2B", "+"))
			if q.Granularity != c.gran {
				t.Errorf("granularity: got %s, want %s", q.Granularity, c.gran)
			}
			if !q.From.Equal(from) || !q.To.Equal(to) {
				t.Errorf("timeframe: got %s to %s, want %s to %s", q.From, q.To, from.UTC(), to.UTC())
			}
			if q.From.Location() != time.UTC || q.To.Location() != time.UTC {
				t.Errorf("timeframe: got locations %s, %s, want UTC", q.From.Location(), q.To.Location())
			}
			tz := c.timezone
			if tz == "" {
				tz = "UTC"
			}
			if q.Location.String() != tz {
				t.Errorf("location: got %s, want %s", q.Location, tz)
			}
		})
	}
}

func TestParseQueryOtherParameters(t *testing.T) {
	q := mustQuery(t, "metric=offload_ratio&filters[]=country:fr&filters[]=!platform:ios&filters[]=isp:"+
		"&filters[]=content_id:a%3Ab%20c&group_by=content_id&order_by=key&limit=1000&cursor=abc-_%3D")
	wantFilters := []Filter{{DimCountry, "FR", false}, {DimPlatform, "ios", true}, {DimISP, "", false}, {DimContent, "a:b c", false}}
	if !slices.Equal(q.Filters, wantFilters) {
		t.Errorf("filters: got %v, want %v", q.Filters, wantFilters)
	}
	if q.Metric != MetricOffloadRatio || q.GroupBy != DimContent || q.OrderBy != "key" || q.OrderDesc ||
		q.Limit != 1000 || q.Cursor != "abc-_=" || q.OrgID != "org_1" {
		t.Errorf("got %+v", q)
	}

	q = mustQuery(t, "metric=viewers")
	if q.OrderBy != "value" || !q.OrderDesc || q.Limit != DefaultQueryLimit || q.GroupBy != "" || q.Filters != nil ||
		q.Location != time.UTC {
		t.Errorf("defaults: got %+v", q)
	}
	q = mustQuery(t, "metric=viewers&order_by=value&order_direction=asc&limit=1&filters=stream_type:live")
	if q.OrderDesc || q.Limit != 1 || len(q.Filters) != 1 {
		t.Errorf("asc: got %+v", q)
	}
	q = mustQuery(t, "metric=viewers&order_by=key&order_direction=desc")
	if !q.OrderDesc {
		t.Errorf("key desc: got %+v", q)
	}
	for _, m := range queryMetrics {
		if q := mustQuery(t, "metric="+string(m)); q.Metric != m {
			t.Errorf("metric %s: got %s", m, q.Metric)
		}
	}
}

func TestParseQueryProblems(t *testing.T) {
	manyFilters := strings.Repeat("&filters[]=platform:web", MaxQueryFilters+1)
	cases := []struct {
		name, raw string
		want      []string // "pointer detail-substring"
	}{
		{"no metric", "", []string{"/metric required"}},
		{"unknown metric", "metric=views", []string{"/metric not one of viewers,"}},
		{"metric twice", "metric=viewers&metric=beacons", []string{"/metric more than once"}},
		{"relative zero", "metric=viewers&timeframe[]=0h", []string{"/timeframe relative value"}},
		{"relative leading zero", "metric=viewers&timeframe[]=024h", []string{"/timeframe relative value"}},
		{"relative unit", "metric=viewers&timeframe[]=24x", []string{"/timeframe relative value"}},
		{"relative Mux spelling", "metric=viewers&timeframe[]=24:hours", []string{"/timeframe relative value"}},
		{"relative too long", "metric=viewers&timeframe[]=401d", []string{"/timeframe at most 400 days"}},
		{"relative huge", "metric=viewers&timeframe[]=99999999h", []string{"/timeframe relative value"}},
		{"three values", "metric=viewers&timeframe[]=1&timeframe[]=2&timeframe[]=3", []string{"/timeframe two absolute"}},
		{"both spellings", "metric=viewers&timeframe[]=1h&timeframe=2h", []string{"/timeframe not both"}},
		{"bad from and to", "metric=viewers&timeframe[]=yesterday&timeframe[]=2026-06-01T00:00:00", []string{
			"/timeframe/0 RFC 3339", "/timeframe/1 RFC 3339"}},
		{"negative unix", "metric=viewers&timeframe[]=-5&timeframe[]=1780000000", []string{"/timeframe/0 RFC 3339"}},
		{"milliseconds", "metric=viewers&timeframe[]=1780000000000&timeframe[]=1780000000001", []string{
			"/timeframe/0 seconds, not milliseconds", "/timeframe/1 seconds, not milliseconds"}},
		{"from after to", "metric=viewers&timeframe[]=1780003600&timeframe[]=1780000000", []string{"/timeframe before its end"}},
		{"from equals to", "metric=viewers&timeframe[]=1780000000&timeframe[]=1780000000", []string{"/timeframe before its end"}},
		{"before 2000", "metric=viewers&timeframe[]=1999-12-31T23:00:00Z&timeframe[]=2000-01-02T00:00:00Z", []string{"/timeframe/0 before 2000"}},
		{"too long", "metric=viewers&timeframe[]=2025-01-01T00:00:00Z&timeframe[]=2026-02-05T00:00:01Z", []string{"/timeframe at most 400 days"}},
		{"far future", "metric=viewers&timeframe[]=2027-06-17T00:00:00Z&timeframe[]=2027-06-18T00:00:00Z", []string{"/timeframe/1 a year from now"}},
		{"unknown granularity", "metric=viewers&granularity=week", []string{"/granularity not one of"}},
		{"minute over 2 days", "metric=viewers&timeframe[]=49h&granularity=minute", []string{"/granularity minute covers at most 2 days"}},
		{"ten_minute over 20 days", "metric=viewers&timeframe[]=21d&granularity=ten_minute", []string{"/granularity at most 20 days"}},
		{"hour over 120 days", "metric=viewers&timeframe[]=121d&granularity=hour", []string{"/granularity at most 120 days"}},
		{"unknown timezone", "metric=viewers&timezone=Europe/Atlantis", []string{"/timezone IANA"}},
		{"Local timezone", "metric=viewers&timezone=Local", []string{"/timezone IANA"}},
		{"path timezone", "metric=viewers&timezone=../../etc/passwd", []string{"/timezone IANA"}},
		{"absolute timezone", "metric=viewers&timezone=/etc/localtime", []string{"/timezone IANA"}},
		{"long timezone", "metric=viewers&timezone=" + strings.Repeat("A", 65), []string{"/timezone IANA"}},
		{"filter without colon", "metric=viewers&filters[]=country", []string{"/filters/0 dimension:value"}},
		{"filter dimension", "metric=viewers&filters[]=platform:web&filters[]=city:Paris", []string{"/filters/1 not one of integration,"}},
		{"filter enum", "metric=viewers&filters[]=stream_type:LIVE&filters[]=!platform:", []string{
			"/filters/0 live or vod", "/filters/1 web, android"}},
		{"filter country", "metric=viewers&filters[]=country:FRA", []string{"/filters/0 alpha-2"}},
		{"filter content empty", "metric=viewers&filters[]=content_id:", []string{"/filters/0 printable"}},
		{"filter content long", "metric=viewers&filters[]=content_id:" + strings.Repeat("a", MaxContentIDLen+1), []string{"/filters/0 printable"}},
		{"filter content control", "metric=viewers&filters[]=content_id:a%00b", []string{"/filters/0 printable"}},
		{"filter content bad UTF-8", "metric=viewers&filters[]=content_id:a%FFb", []string{"/filters/0 printable"}},
		{"filter integration", "metric=viewers&filters[]=integration:a.b", []string{"/filters/0 integration id"}},
		{"too many filters", "metric=viewers" + manyFilters, []string{"/filters at most 20"}},
		{"group_by", "metric=viewers&group_by=city", []string{"/group_by not one of"}},
		{"order_by", "metric=viewers&order_by=name", []string{"/order_by value, key"}},
		{"order_direction", "metric=viewers&order_direction=up", []string{"/order_direction asc, desc"}},
		{"limit zero", "metric=viewers&limit=0", []string{"/limit 1 to 1000"}},
		{"limit over", "metric=viewers&limit=1001", []string{"/limit 1 to 1000"}},
		{"limit sign", "metric=viewers&limit=%2B5", []string{"/limit 1 to 1000"}},
		{"limit word", "metric=viewers&limit=ten", []string{"/limit 1 to 1000"}},
		{"cursor long", "metric=viewers&cursor=" + strings.Repeat("a", MaxQueryCursorLen+1), []string{"/cursor start again"}},
		{"cursor characters", "metric=viewers&cursor=a%2Fb", []string{"/cursor start again"}},
		{"unknown parameters", "metric=viewers&filter[]=platform:web&x~y=1&%00=1", []string{
			" unknown parameter", "/filter unknown parameter filter[]", " unknown parameter"}},
		{"every problem at once",
			"metric=nope&timeframe[]=forever&granularity=week&timezone=Mars/Olympus&filters[]=a:b&filters[]=platform:web&filters[]=c&group_by=x&order_by=y&order_direction=z&limit=0&cursor=%25&extra=1",
			[]string{"/metric", "/timeframe", "/granularity", "/timezone", "/filters/0", "/filters/2", "/group_by", "/order_by",
				"/order_direction", "/limit", "/cursor", "/extra"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := url.ParseQuery(c.raw)
			if err != nil {
				t.Fatalf("query string: %v", err)
			}
			q, err := ParseQuery("org_1", v, queryNow)
			var qe *QueryError
			if !errors.As(err, &qe) || !errors.Is(err, ErrInvalidQuery) {
				t.Fatalf("got %+v, %v, want a *QueryError", q, err)
			}
			if len(qe.Problems) != len(c.want) {
				t.Fatalf("got %d problems %+v, want %d %q", len(qe.Problems), qe.Problems, len(c.want), c.want)
			}
			for i, w := range c.want {
				pointer, words, _ := strings.Cut(w, " ")
				got := qe.Problems[i]
				if got.Pointer != pointer || !strings.Contains(got.Detail, words) {
					t.Errorf("problem %d: got %q %q, want %q with %q", i, got.Pointer, got.Detail, pointer, words)
				}
			}
			if !strings.Contains(err.Error(), qe.Problems[0].Detail) {
				t.Errorf("Error(): got %q", err.Error())
			}
		})
	}
}

// TestParseQueryDetailsEchoNothing checks that no detail repeats a value
// given, which might be anything.
func TestParseQueryDetailsEchoNothing(t *testing.T) {
	const marker = "zqxjk"
	raw := "metric=" + marker + "&timeframe[]=" + marker + "&granularity=" + marker + "&timezone=" + marker +
		"&filters[]=" + marker + "&filters[]=platform:" + marker + "&filters[]=" + marker + ":x&group_by=" + marker +
		"&order_by=" + marker + "&order_direction=" + marker + "&limit=" + marker + "&cursor=" + marker + "%25"
	v, _ := url.ParseQuery(raw)
	_, err := ParseQuery("org_1", v, queryNow)
	var qe *QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("got %v", err)
	}
	for _, p := range qe.Problems {
		if strings.Contains(p.Detail, marker) || strings.Contains(p.Pointer, marker) {
			t.Errorf("problem echoes the value: %+v", p)
		}
	}
}

func TestParseQueryManyProblemsAreBounded(t *testing.T) {
	v := url.Values{}
	for i := range 500 {
		v.Set("unknown_"+strings.Repeat("x", i%30)+string(rune('a'+i%26))+string(rune('a'+i/26)), "1")
	}
	_, err := ParseQuery("org_1", v, queryNow)
	var qe *QueryError
	if !errors.As(err, &qe) || len(qe.Problems) != maxQueryProblems {
		t.Fatalf("got %v, want %d problems", err, maxQueryProblems)
	}
	if last := qe.Problems[len(qe.Problems)-1]; !strings.Contains(last.Detail, "more problems") {
		t.Errorf("last problem: got %+v", last)
	}
}

func TestParseQueryMalformedOrgID(t *testing.T) {
	for _, id := range []string{"", "org/1", strings.Repeat("a", 65)} {
		if _, err := ParseQuery(id, url.Values{"metric": {"viewers"}}, queryNow); !errors.Is(err, ErrInvalidQuery) {
			t.Errorf("org %q: got %v, want ErrInvalidQuery", id, err)
		}
	}
}

// TestDayStartEverywhere checks dayStart against the definition of the
// start of a day (the first instant whose local date is that day: the
// instant before has another date) on every day of 2000 to 2030 in zones
// with unusual changes.
func TestDayStartEverywhere(t *testing.T) {
	zones := []string{"UTC", "Europe/Paris", "America/New_York", "America/Santiago", "America/Havana", "Asia/Beirut",
		"America/Sao_Paulo", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kathmandu", "Africa/Casablanca",
		"Pacific/Apia", "America/Godthab", "Asia/Gaza", "Antarctica/Troll"}
	if testing.Short() {
		zones = zones[:4]
	}
	for _, z := range zones {
		loc := mustLocation(t, z)
		for day := time.Date(2000, 1, 1, 12, 0, 0, 0, time.UTC); day.Year() < 2031; day = day.AddDate(0, 0, 1) {
			for _, h := range []int{0, 11, 23} {
				at := day.Add(time.Duration(h-12) * time.Hour)
				s := dayStart(at, loc)
				if !isDayStart(s, loc) || s.After(at) || !sameLocalDate(s, at, loc) {
					t.Fatalf("%s: dayStart(%s) = %s (%s)", z, at, s, s.In(loc))
				}
				c := ceilBucket(at, GranDay, loc)
				if !isDayStart(c, loc) || c.Before(at) || (!c.Equal(at) && c.Sub(at) > 49*time.Hour) {
					t.Fatalf("%s: ceil(%s) = %s (%s)", z, at, c, c.In(loc))
				}
			}
		}
	}
}

func sameLocalDate(a, b time.Time, loc *time.Location) bool {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return ay == by && am == bm && ad == bd
}

// isDayStart reports whether t is the first instant of its local day.
func isDayStart(t time.Time, loc *time.Location) bool {
	return !sameLocalDate(t, t.Add(-time.Nanosecond), loc)
}

// checkQueryInvariants fails when an accepted Query breaks a promise of
// ParseQuery.
func checkQueryInvariants(tb testing.TB, q Query) {
	tb.Helper()
	spec, ok := granularitySpecs[q.Granularity]
	switch {
	case !ok:
		tb.Fatalf("unknown granularity %q", q.Granularity)
	case q.Location == nil:
		tb.Fatalf("no location")
	case !q.From.Before(q.To):
		tb.Fatalf("From %s not before To %s", q.From, q.To)
	case q.From.Location() != time.UTC || q.To.Location() != time.UTC:
		tb.Fatalf("From, To not in UTC")
	case q.From.Before(minQueryTime.AddDate(0, 0, -2)):
		tb.Fatalf("From %s before the floor", q.From)
	case !slices.Contains(queryMetrics, q.Metric):
		tb.Fatalf("unknown metric %q", q.Metric)
	case q.Limit < 1 || q.Limit > MaxQueryLimit:
		tb.Fatalf("limit %d", q.Limit)
	case len(q.Filters) > MaxQueryFilters:
		tb.Fatalf("%d filters", len(q.Filters))
	case q.GroupBy != "" && !slices.Contains(Dimensions, q.GroupBy):
		tb.Fatalf("unknown group_by %q", q.GroupBy)
	case q.OrderBy != "value" && q.OrderBy != "key":
		tb.Fatalf("order_by %q", q.OrderBy)
	case len(q.Cursor) > MaxQueryCursorLen:
		tb.Fatalf("cursor of %d bytes", len(q.Cursor))
	}
	if q.Granularity == GranDay {
		if !isDayStart(q.From, q.Location) || !isDayStart(q.To, q.Location) {
			tb.Fatalf("day timeframe %s to %s not at day starts in %s", q.From, q.To, q.Location)
		}
		// 2 days of widening, and an hour for each of two DST changes.
		if span := q.To.Sub(q.From); span > spec.maxSpan+50*time.Hour {
			tb.Fatalf("day timeframe of %s", span)
		}
	} else {
		if q.From.UnixNano()%int64(spec.width) != 0 || q.To.UnixNano()%int64(spec.width) != 0 {
			tb.Fatalf("%s timeframe %s to %s not aligned", q.Granularity, q.From, q.To)
		}
		if span := q.To.Sub(q.From); span > spec.maxSpan+2*spec.width {
			tb.Fatalf("%s timeframe of %s", q.Granularity, span)
		}
	}
	for _, f := range q.Filters {
		if !slices.Contains(Dimensions, f.Dimension) {
			tb.Fatalf("filter on unknown dimension %q", f.Dimension)
		}
		if _, err := filterValue(f.Dimension, f.Value); err != nil {
			tb.Fatalf("filter %+v: %v", f, err)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"metric=viewers",
		"metric=viewers&timeframe[]=90m&granularity=minute",
		"metric=cdn_bytes&timeframe[]=2026-03-29T00:00:00%2B01:00&timeframe[]=2026-03-30T00:00:00%2B02:00&timezone=Europe/Paris&granularity=day",
		"metric=offload_ratio&timeframe[]=1780000000&timeframe[]=1790000000&timezone=America/New_York",
		"metric=viewers&filters[]=!country:fr&filters[]=platform:web&group_by=isp&order_by=key&order_direction=desc&limit=5&cursor=abc",
		"metric=viewers&timeframe[]=400d&timezone=Pacific/Apia",
		"metric=x&timeframe[]=&timezone=&limit=&%zz",
	} {
		f.Add(s, int64(queryNow.Unix()))
	}
	f.Fuzz(func(t *testing.T, raw string, nowUnix int64) {
		v, _ := url.ParseQuery(raw) // a partial parse is still a query to check
		// A now from 2001 to 2100, which the service's clock is.
		now := time.Unix(978307200+nowUnix%(100*365*86400+1), 0)
		if nowUnix < 0 {
			now = queryNow
		}
		q, err := ParseQuery("org_1", v, now)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || len(qe.Problems) == 0 || len(qe.Problems) > maxQueryProblems {
				t.Fatalf("error %v is not a QueryError with problems", err)
			}
			for _, p := range qe.Problems {
				if p.Detail == "" || (p.Pointer != "" && p.Pointer[0] != '/') {
					t.Fatalf("problem %+v", p)
				}
			}
			return
		}
		checkQueryInvariants(t, q)
	})
}
