package analytics

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of a query's parameters (ParseQuery).
const (
	// MaxQueryTimeframe is the longest timeframe a query may ask for,
	// before alignment (which widens it by less than one bucket at each
	// end).
	MaxQueryTimeframe = 400 * 24 * time.Hour
	// DefaultQueryTimeframe is the timeframe of a query that names none:
	// the last 24 hours.
	DefaultQueryTimeframe = 24 * time.Hour
	// MaxQueryFilters bounds the filters[] of one query.
	MaxQueryFilters = 20
	// DefaultQueryLimit and MaxQueryLimit are a breakdown page's default
	// and largest size.
	DefaultQueryLimit = 100
	MaxQueryLimit     = 1000
	// MaxQueryCursorLen bounds the opaque cursor of a breakdown page.
	MaxQueryCursorLen = 256
	// maxTimezoneLen bounds an IANA time zone name (the longest in the
	// database, America/Argentina/ComodRivadavia, has 32 characters).
	maxTimezoneLen = 64
	// maxQueryProblems bounds the problems one QueryError lists, so a
	// query with thousands of bad parameters gets a short answer.
	maxQueryProblems = 50
	// maxQueryAhead is how far past now a timeframe may end: far enough
	// for "this year", near enough that a typo in the year is caught.
	maxQueryAhead = 366 * 24 * time.Hour
)

// minQueryTime is the earliest instant a timeframe may start at. No
// beacon is older; a timeframe before it is a mistake (a Unix time in
// milliseconds read as seconds lands far later, one in minutes far
// earlier).
var minQueryTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Automatic granularity: the finest whose buckets a timeframe of this
// length (before alignment) still shows legibly, at most 90 to 360
// buckets.
const (
	autoMinuteUpTo    = 90 * time.Minute
	autoTenMinuteUpTo = 6 * time.Hour
	autoHourUpTo      = 15 * 24 * time.Hour
)

// granularitySpec is what a granularity allows: the bucket width (0 for
// day, whose width varies with the time zone) and the longest timeframe
// an explicit request of it may cover, 2,880 buckets, so a timeseries
// stays a few thousand points.
var granularitySpecs = map[Granularity]struct {
	width   time.Duration
	maxSpan time.Duration
	limit   string // maxSpan in words, for the problem detail
}{
	GranMinute:    {time.Minute, 2 * 24 * time.Hour, "2 days"},
	GranTenMinute: {10 * time.Minute, 20 * 24 * time.Hour, "20 days"},
	GranHour:      {time.Hour, 120 * 24 * time.Hour, "120 days"},
	GranDay:       {0, MaxQueryTimeframe, "400 days"},
}

// ErrInvalidQuery is what a *QueryError matches with errors.Is.
var ErrInvalidQuery = errors.New("invalid query")

// QueryError is ParseQuery's error: every problem of the query's
// parameters, in the order of the parameters. An HTTP layer answers 400
// with the problems as the errors extension of a problem document; their
// details never repeat the value given, so they are safe to show.
type QueryError struct {
	Problems []QueryProblem
}

// QueryProblem is one problem of a query. Pointer names the parameter as
// an RFC 6901 pointer, "/" and the parameter's name without "[]"
// ("/timeframe", "/group_by"), followed by the index of the value for a
// repeated one ("/filters/1"); "" for the query as a whole.
type QueryProblem struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

// Error returns the first problem and how many others there are.
func (e *QueryError) Error() string {
	if len(e.Problems) == 0 {
		return "invalid query"
	}
	p := e.Problems[0]
	s := "invalid query: " + p.Pointer + ": " + p.Detail
	if n := len(e.Problems) - 1; n > 0 {
		s += fmt.Sprintf(" (and %d more)", n)
	}
	return s
}

// Unwrap returns ErrInvalidQuery.
func (e *QueryError) Unwrap() error { return ErrInvalidQuery }

// ParseQuery reads a metric query of organization orgID from the query
// parameters of a request, modelled on the Mux Data API. now is when the
// query runs; a relative timeframe ends then. The parameters:
//
//   - metric: one of the Metric constants. Required.
//   - timeframe[]: either one relative value, a positive number and a
//     unit m, h or d ("90m", "24h", "7d": the timeframe ending now), or
//     two absolute times, from then to, each RFC 3339 with an offset
//     ("2026-03-29T00:00:00+01:00") or Unix seconds. Default 24h. From
//     must be before to; at most MaxQueryTimeframe long, not starting
//     before 2000 nor ending more than a year from now.
//   - granularity: minute, ten_minute, hour or day. Automatic when
//     absent: minute up to 90 minutes of timeframe, ten_minute up to 6
//     hours, hour up to 15 days, day beyond. An explicit one may cover at
//     most 2,880 buckets: minute 2 days, ten_minute 20 days, hour 120
//     days.
//   - timezone: an IANA name such as "Europe/Paris"; UTC when absent.
//     Day buckets start at its local midnight (or at the first instant
//     of a local day where midnight does not exist).
//   - filters[]: "dimension:value" keeps, "!dimension:value" drops the
//     data of one value; several are ANDed, at most MaxQueryFilters. The
//     value is checked against the dimension: stream_type and platform
//     take their enumerated values, country two letters (upper-cased),
//     and country and isp may be empty (unknown).
//   - group_by: a Dimension, for a breakdown.
//   - order_by: value (default) or key; order_direction: asc or desc,
//     default desc for value and asc for key.
//   - limit: 1 to MaxQueryLimit, default DefaultQueryLimit.
//   - cursor: the opaque cursor of a previous page, at most
//     MaxQueryCursorLen characters of base64url.
//
// "timeframe" and "filters" are accepted for "timeframe[]" and
// "filters[]". Every other parameter is refused, so a misspelt one is
// not silently ignored.
//
// The timeframe is aligned to the granularity: From is floored and To
// ceiled to a bucket boundary, so the query covers whole buckets and at
// least the timeframe asked for. Day buckets are aligned in the time
// zone; minute, ten-minute and hour buckets on UTC (multiples of their
// width since the Unix epoch), as the rollups are kept, which is the
// local alignment in every zone whose offset is whole hours (and for
// minute and ten_minute, whole ten minutes). From and To are returned in
// UTC.
//
// The error lists every problem found (*QueryError), not only the first.
func ParseQuery(orgID string, v url.Values, now time.Time) (Query, error) {
	p := &queryParser{v: v}
	q := Query{OrgID: orgID, Location: time.UTC, Limit: DefaultQueryLimit, OrderBy: "value", OrderDesc: true}
	if !wellFormedID(orgID) {
		p.add("", "the organization id is malformed")
	}

	if s, ok := p.single("metric"); !ok {
		// single has added the problem
	} else if s == "" {
		p.add("/metric", "metric is required")
	} else if m := Metric(s); !slices.Contains(queryMetrics, m) {
		p.add("/metric", "metric is not one of "+joinedNames(queryMetrics))
	} else {
		q.Metric = m
	}

	from, to, spanOK := p.timeframe(now)

	gran, granOK := Granularity(""), true
	if s, ok := p.single("granularity"); !ok {
		granOK = false
	} else if s != "" {
		if _, known := granularitySpecs[Granularity(s)]; known {
			gran = Granularity(s)
		} else {
			p.add("/granularity", "granularity is not one of minute, ten_minute, hour, day")
			granOK = false
		}
	}

	locOK := true
	if s, ok := p.single("timezone"); !ok {
		locOK = false
	} else if s != "" {
		if loc, err := loadTimezone(s); err != nil {
			p.add("/timezone", err.Error())
			locOK = false
		} else {
			q.Location = loc
		}
	}

	if spanOK && granOK {
		span := to.Sub(from)
		if gran == "" {
			gran = autoGranularity(span)
		} else if spec := granularitySpecs[gran]; span > spec.maxSpan {
			p.add("/granularity", "granularity "+string(gran)+" covers at most "+spec.limit+
				" of timeframe; choose a coarser one or a shorter timeframe")
		}
		if locOK {
			q.Granularity = gran
			q.From = floorBucket(from, gran, q.Location).UTC()
			q.To = ceilBucket(to, gran, q.Location).UTC()
		}
	}

	q.Filters = p.filters()

	if s, ok := p.single("group_by"); ok && s != "" {
		if d := Dimension(s); slices.Contains(Dimensions, d) {
			q.GroupBy = d
		} else {
			p.add("/group_by", "group_by is not one of "+joinedNames(Dimensions))
		}
	}
	if s, ok := p.single("order_by"); ok && s != "" {
		switch s {
		case "value", "key":
			q.OrderBy = s
			q.OrderDesc = s == "value"
		default:
			p.add("/order_by", "order_by is not one of value, key")
		}
	}
	if s, ok := p.single("order_direction"); ok && s != "" {
		switch s {
		case "asc", "desc":
			q.OrderDesc = s == "desc"
		default:
			p.add("/order_direction", "order_direction is not one of asc, desc")
		}
	}
	if s, ok := p.single("limit"); ok && s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || !allASCIIDigits(s) || n < 1 || n > MaxQueryLimit {
			p.add("/limit", "limit is not a whole number from 1 to "+strconv.Itoa(MaxQueryLimit))
		} else {
			q.Limit = n
		}
	}
	if s, ok := p.single("cursor"); ok && s != "" {
		if len(s) > MaxQueryCursorLen || !bytesAll(s, byteIsBase64URL) {
			p.add("/cursor", "cursor is not one this service gave; start again without it")
		} else {
			q.Cursor = s
		}
	}

	p.unknownParameters()
	if len(p.problems) > 0 {
		return Query{}, &QueryError{Problems: p.problems}
	}
	return q, nil
}

// queryMetrics lists the Metric constants.
var queryMetrics = []Metric{MetricViewers, MetricPeakConcurrent, MetricAvgConcurrent, MetricWatchTime,
	MetricCDNBytes, MetricP2PBytes, MetricUploadBytes, MetricOffloadRatio, MetricBandwidth,
	MetricRebufferingRatio, MetricStartupTimeAvg, MetricStartupTimeP95, MetricErrorRate, MetricBeacons}

// knownQueryParams are the parameters ParseQuery reads.
var knownQueryParams = []string{"metric", "timeframe[]", "timeframe", "granularity", "timezone",
	"filters[]", "filters", "group_by", "order_by", "order_direction", "limit", "cursor"}

// queryParser collects the problems of one query's parameters.
type queryParser struct {
	v        url.Values
	problems []QueryProblem
	dropped  bool // problems beyond maxQueryProblems were left out
}

func (p *queryParser) add(pointer, detail string) {
	if len(p.problems) >= maxQueryProblems {
		if !p.dropped {
			p.dropped = true
			p.problems[len(p.problems)-1] = QueryProblem{Pointer: "", Detail: "the query has more problems than are listed"}
		}
		return
	}
	p.problems = append(p.problems, QueryProblem{Pointer: pointer, Detail: detail})
}

// single returns the value of a parameter that may be given once, ""
// when absent; ok is false (and a problem added) when it was given
// several times.
func (p *queryParser) single(name string) (string, bool) {
	vs := p.v[name]
	switch {
	case len(vs) == 0:
		return "", true
	case len(vs) > 1:
		p.add("/"+name, name+" is given more than once")
		return "", false
	}
	return vs[0], true
}

// list returns the values of a repeated parameter given as name[] or,
// alternatively, name; ok is false (and a problem added) when both
// spellings are used.
func (p *queryParser) list(name string) ([]string, bool) {
	a, b := p.v[name+"[]"], p.v[name]
	if len(a) > 0 && len(b) > 0 {
		p.add("/"+name, "give "+name+"[] or "+name+", not both")
		return nil, false
	}
	if len(a) > 0 {
		return a, true
	}
	return b, true
}

// timeframe reads timeframe[] as instants (not yet aligned); ok is false
// when it is wrong (and a problem was added).
func (p *queryParser) timeframe(now time.Time) (from, to time.Time, ok bool) {
	now = now.Round(0) // no monotonic reading in what is returned
	vs, ok := p.list("timeframe")
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	switch len(vs) {
	case 0:
		return now.Add(-DefaultQueryTimeframe), now, true
	case 1:
		d, err := parseRelative(vs[0])
		if err != nil {
			p.add("/timeframe", err.Error())
			return time.Time{}, time.Time{}, false
		}
		return now.Add(-d), now, true
	case 2:
	default:
		p.add("/timeframe", "timeframe is one relative value such as 24h, or two absolute times, from and to")
		return time.Time{}, time.Time{}, false
	}
	ok = true
	for i, s := range vs {
		t, err := parseInstant(s)
		if err != nil {
			p.add("/timeframe/"+strconv.Itoa(i), err.Error())
			ok = false
			continue
		}
		if i == 0 {
			from = t
		} else {
			to = t
		}
	}
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	switch {
	case !from.Before(to):
		p.add("/timeframe", "the timeframe's start must be before its end")
	case from.Before(minQueryTime):
		p.add("/timeframe/0", "the timeframe may not start before 2000-01-01T00:00:00Z")
	case to.Sub(from) > MaxQueryTimeframe:
		p.add("/timeframe", "the timeframe may be at most 400 days long")
	case to.After(now.Add(maxQueryAhead)):
		p.add("/timeframe/1", "the timeframe may not end more than a year from now")
	default:
		return from, to, true
	}
	return time.Time{}, time.Time{}, false
}

// parseRelative reads "90m", "24h", "7d".
func parseRelative(s string) (time.Duration, error) {
	errBad := errors.New("timeframe is not a relative value such as 90m, 24h or 7d, nor two absolute times")
	if len(s) < 2 || len(s) > 8 {
		return 0, errBad
	}
	num, unit := s[:len(s)-1], s[len(s)-1]
	if !allASCIIDigits(num) || num[0] == '0' {
		return 0, errBad
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, errBad
	}
	var d time.Duration
	switch unit {
	case 'm':
		d = time.Minute
	case 'h':
		d = time.Hour
	case 'd':
		d = 24 * time.Hour
	default:
		return 0, errBad
	}
	// n has at most 7 digits, so n*d cannot overflow.
	if d *= time.Duration(n); d > MaxQueryTimeframe {
		return 0, errors.New("the timeframe may be at most 400 days long")
	}
	return d, nil
}

// parseInstant reads an absolute time: RFC 3339 with an offset, or Unix
// seconds.
func parseInstant(s string) (time.Time, error) {
	if allASCIIDigits(s) && len(s) >= 1 && len(s) <= 11 {
		n, _ := strconv.ParseInt(s, 10, 64)
		return time.Unix(n, 0).UTC(), nil
	}
	if allASCIIDigits(s) && len(s) <= 14 {
		return time.Time{}, errors.New("timeframe is Unix seconds, not milliseconds")
	}
	if len(s) <= 40 {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("timeframe is not an RFC 3339 time with an offset nor Unix seconds")
}

// loadTimezone returns the location of an IANA name. "Local" (the
// machine's zone) and names with anything but the characters IANA names
// use are refused before the database is read.
func loadTimezone(name string) (*time.Location, error) {
	errBad := errors.New("timezone is not an IANA time zone name such as Europe/Paris")
	if len(name) > maxTimezoneLen || name == "Local" || name[0] == '/' || strings.Contains(name, "..") ||
		!bytesAll(name, byteIsTimezoneChar) {
		return nil, errBad
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, errBad
	}
	return loc, nil
}

// autoGranularity is the granularity of a timeframe of length span that
// names none.
func autoGranularity(span time.Duration) Granularity {
	switch {
	case span <= autoMinuteUpTo:
		return GranMinute
	case span <= autoTenMinuteUpTo:
		return GranTenMinute
	case span <= autoHourUpTo:
		return GranHour
	}
	return GranDay
}

// filters reads filters[].
func (p *queryParser) filters() []Filter {
	vs, ok := p.list("filters")
	if !ok || len(vs) == 0 {
		return nil
	}
	if len(vs) > MaxQueryFilters {
		p.add("/filters", "at most "+strconv.Itoa(MaxQueryFilters)+" filters are allowed")
		return nil
	}
	out := make([]Filter, 0, len(vs))
	for i, s := range vs {
		f, err := parseFilter(s)
		if err != nil {
			p.add("/filters/"+strconv.Itoa(i), err.Error())
			continue
		}
		out = append(out, f)
	}
	return out
}

// parseFilter reads "dimension:value" or "!dimension:value".
func parseFilter(s string) (Filter, error) {
	var f Filter
	s, f.Negate = strings.CutPrefix(s, "!")
	dim, value, ok := strings.Cut(s, ":")
	if !ok {
		return Filter{}, errors.New("a filter is dimension:value, or !dimension:value to exclude")
	}
	f.Dimension = Dimension(dim)
	if !slices.Contains(Dimensions, f.Dimension) {
		return Filter{}, errors.New("a filter's dimension is not one of " + joinedNames(Dimensions))
	}
	v, err := filterValue(f.Dimension, value)
	if err != nil {
		return Filter{}, err
	}
	f.Value = v
	return f, nil
}

// filterValue checks (and for country, upper-cases) the value of a
// filter on d.
func filterValue(d Dimension, v string) (string, error) {
	switch d {
	case DimStreamType:
		if v != string(StreamLive) && v != string(StreamVOD) {
			return "", errors.New("a stream_type filter's value is live or vod")
		}
	case DimPlatform:
		switch Platform(v) {
		case PlatformWeb, PlatformAndroid, PlatformIOS, PlatformTV, PlatformOther:
		default:
			return "", errors.New("a platform filter's value is one of web, android, ios, tv, other")
		}
	case DimCountry:
		if v != "" && (len(v) != MaxCountryLen || !bytesAll(v, byteIsLetter)) {
			return "", errors.New("a country filter's value is an ISO 3166-1 alpha-2 code, or empty for unknown")
		}
		v = strings.ToUpper(v)
	case DimIntegration:
		if !wellFormedID(v) { // integration ids have the same shape
			return "", errors.New("an integration filter's value is an integration id")
		}
	case DimContent:
		if v == "" || len(v) > MaxContentIDLen || !printableText(v) {
			return "", fmt.Errorf("a content_id filter's value is 1 to %d printable characters", MaxContentIDLen)
		}
	case DimISP:
		if len(v) > MaxISPLen || !printableText(v) {
			return "", fmt.Errorf("an isp filter's value is at most %d printable characters", MaxISPLen)
		}
	}
	return v, nil
}

// unknownParameters adds a problem for each parameter ParseQuery does not
// read, in name order, naming it only when the name is short and plain.
func (p *queryParser) unknownParameters() {
	var unknown []string
	for name := range p.v {
		if !slices.Contains(knownQueryParams, name) {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		if name != "" && len(name) <= 32 && bytesAll(name, byteIsParamNameChar) {
			p.add("/"+pointerToken(strings.TrimSuffix(name, "[]")), "unknown parameter "+name)
		} else {
			p.add("", "the query has an unknown parameter")
		}
	}
}

// floorBucket returns the start of the bucket of g holding t.
func floorBucket(t time.Time, g Granularity, loc *time.Location) time.Time {
	if g == GranDay {
		return dayStart(t, loc)
	}
	return t.Truncate(granularitySpecs[g].width)
}

// ceilBucket returns t when it starts a bucket of g, and the start of the
// next bucket otherwise.
func ceilBucket(t time.Time, g Granularity, loc *time.Location) time.Time {
	f := floorBucket(t, g, loc)
	if f.Equal(t) {
		return f
	}
	if g == GranDay {
		y, m, d := t.In(loc).Date()
		return nextDayStart(y, m, d, loc)
	}
	return f.Add(granularitySpecs[g].width)
}

// dayStart returns the first instant of t's local day in loc.
func dayStart(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	s, ok := firstInstantOfDay(y, m, d, loc)
	if !ok || s.After(t) { // cannot happen: t is an instant of that day
		return t
	}
	return s
}

// nextDayStart returns the first instant of the local day after y-m-d,
// skipping a day that a time zone change left out (Samoa, 2011-12-30).
func nextDayStart(y int, m time.Month, d int, loc *time.Location) time.Time {
	for range 3 {
		y, m, d = time.Date(y, m, d+1, 12, 0, 0, 0, time.UTC).Date()
		if s, ok := firstInstantOfDay(y, m, d, loc); ok {
			return s
		}
	}
	return time.Date(y, m, d, 0, 0, 0, 0, loc) // no zone skips three days
}

// firstInstantOfDay returns the first instant whose date in loc is
// y-m-d; ok is false when no instant has it. time.Date leaves open which
// instant it returns for a local midnight that does not exist (a clock
// moved forward at 00:00) or exists twice, so this looks at each zone
// period around the day instead: the day starts at local midnight under
// one of their offsets, or at one of their transitions.
func firstInstantOfDay(y int, m time.Month, d int, loc *time.Location) (time.Time, bool) {
	naive := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	var best time.Time
	consider := func(t time.Time) {
		if cy, cm, cd := t.In(loc).Date(); cy == y && cm == m && cd == d && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	// Offsets are within ±26 hours, so the periods that can hold the
	// day's first instant start within 30 hours of it.
	t, stop := naive.Add(-30*time.Hour), naive.Add(30*time.Hour)
	for range 16 {
		lt := t.In(loc)
		_, off := lt.Zone()
		consider(naive.Add(-time.Duration(off) * time.Second))
		_, end := lt.ZoneBounds()
		if end.IsZero() || !end.Before(stop) {
			break
		}
		consider(end)
		t = end
	}
	return best, !best.IsZero()
}

// wellFormedID reports whether id can be an organization's (or an
// integration's) id: 1 to 64 letters, digits, '_' or '-'. They belong to
// other services, so their exact format is not checked here.
func wellFormedID(id string) bool {
	return id != "" && len(id) <= 64 && bytesAll(id, byteIsIDChar)
}

func joinedNames[S ~string](names []S) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(n))
	}
	return b.String()
}

// pointerToken escapes a JSON Pointer token (RFC 6901 §3).
func pointerToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// printableText reports whether s is valid UTF-8 without control
// characters.
func printableText(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

func allASCIIDigits(s string) bool {
	return s != "" && bytesAll(s, byteIsDigit)
}

// bytesAll reports whether s is non-empty and every byte of it passes ok.
func bytesAll(s string, ok func(byte) bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func byteIsDigit(c byte) bool     { return '0' <= c && c <= '9' }
func byteIsLetter(c byte) bool    { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func byteIsIDChar(c byte) bool    { return byteIsLetter(c) || byteIsDigit(c) || c == '_' || c == '-' }
func byteIsBase64URL(c byte) bool { return byteIsIDChar(c) || c == '=' }
func byteIsTimezoneChar(c byte) bool {
	return byteIsIDChar(c) || c == '/' || c == '+'
}
func byteIsParamNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || byteIsDigit(c) || c == '_' || c == '[' || c == ']'
}
