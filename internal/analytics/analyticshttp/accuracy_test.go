// The race detector makes this test take minutes (it asks thousands of
// questions through the handler); the logic it drives is race-tested by
// the Service-level accuracy test, and .ci/run runs this file in its
// pass without the race detector.

//go:build !race

package analyticshttp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticsstore"
	"github.com/portico-gw/portico/internal/analytics/analyticstest"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// TestAccuracyThroughHTTP runs the accuracy property test with every
// question asked through the HTTP API, as the dashboard asks it: query
// parameters written from the query, answers read from JSON and checked
// against api/analytics.yaml, each figure compared with the
// recomputation from the raw beacons, on SQLite and PostgreSQL.
func TestAccuracyThroughHTTP(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			b.Require(t)
			analyticstest.RunAccuracyVia(t, func(t *testing.T) analytics.Store {
				s, err := analyticsstore.Open(t.Context(), b.Open(t))
				if err != nil {
					t.Fatalf("open store: %v", err)
				}
				return s
			}, func(t *testing.T, svc *analytics.Service, now time.Time) analyticstest.Querier {
				h, signer := newSignedHandler(t, svc, Options{Now: func() time.Time { return now }})
				e := &env{svc: svc, h: h, signer: signer, api: loadOpenAPI(t)}
				return &httpQuerier{t: t, e: e, token: e.staff(t)}
			})
		})
	}
}

// httpQuerier asks the accuracy test's questions through the handler, as
// staff.
type httpQuerier struct {
	t     *testing.T
	e     *env
	token string
}

// params writes q as the query parameters of the API. The timeframe is
// absolute; the granularity is the query's for a timeseries, and for the
// other shapes the coarsest that both ends of the timeframe are aligned
// to, so that the parser's alignment keeps the timeframe asked.
func params(q analytics.Query, series bool) url.Values {
	v := url.Values{}
	v.Set("metric", string(q.Metric))
	v.Add("timeframe[]", q.From.UTC().Format(time.RFC3339))
	v.Add("timeframe[]", q.To.UTC().Format(time.RFC3339))
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	g := q.Granularity
	if !series {
		g = alignedGranularity(q.From, q.To, loc)
		if g == analytics.GranMinute && q.To.Sub(q.From) > 48*time.Hour {
			// Minutes are explicit for two days at most; a longer
			// timeframe whose ends are another zone's midnights (the
			// test's ranges are some zone's days) is asked in that zone,
			// which changes nothing but the alignment of an answer
			// without buckets.
			for _, z := range []string{"Europe/Paris", "Asia/Kolkata", "America/New_York", "Asia/Kathmandu"} {
				zl, _ := time.LoadLocation(z)
				if alignedGranularity(q.From, q.To, zl) == analytics.GranDay {
					loc, g = zl, analytics.GranDay
					break
				}
			}
		}
	}
	v.Set("timezone", loc.String())
	v.Set("granularity", string(g))
	for _, f := range q.Filters {
		neg := ""
		if f.Negate {
			neg = "!"
		}
		v.Add("filters[]", neg+string(f.Dimension)+":"+f.Value)
	}
	if q.GroupBy != "" {
		v.Set("group_by", string(q.GroupBy))
		if q.OrderBy != "" {
			v.Set("order_by", q.OrderBy)
			v.Set("order_direction", map[bool]string{true: "desc", false: "asc"}[q.OrderDesc])
		}
		if q.Limit > 0 {
			v.Set("limit", strconv.Itoa(q.Limit))
		}
		if q.Cursor != "" {
			v.Set("cursor", q.Cursor)
		}
	}
	return v
}

// alignedGranularity returns the coarsest granularity whose buckets both
// from and to start: local days, UTC hours, ten minutes, minutes.
func alignedGranularity(from, to time.Time, loc *time.Location) analytics.Granularity {
	day := func(t time.Time) bool {
		l := t.In(loc)
		return l.Equal(time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc))
	}
	aligned := func(d time.Duration) bool { return from.Truncate(d).Equal(from) && to.Truncate(d).Equal(to) }
	switch {
	case day(from) && day(to):
		return analytics.GranDay
	case aligned(time.Hour):
		return analytics.GranHour
	case aligned(10 * time.Minute):
		return analytics.GranTenMinute
	}
	return analytics.GranMinute
}

// get asks path with v and decodes the 200 answer into out; another
// status is the domain error it stands for.
func (h *httpQuerier) get(path string, v url.Values, out any) error {
	r := h.e.get(h.t, "/v1/orgs/"+path+"?"+v.Encode(), h.token)
	if r.status != http.StatusOK {
		return fmt.Errorf("GET %s?%s = %d %s", path, v.Encode(), r.status, r.raw)
	}
	return json.Unmarshal([]byte(r.raw), out)
}

func (h *httpQuerier) Overall(_ context.Context, _ analytics.Principal, q analytics.Query) (analytics.Value, error) {
	var a struct {
		Data struct {
			Value *float64 `json:"value"`
		} `json:"data"`
		Approximate bool `json:"approximate"`
	}
	if err := h.get(q.OrgID+"/analytics/overall", params(q, false), &a); err != nil {
		return analytics.Value{}, err
	}
	return value(a.Data.Value, a.Approximate), nil
}

func (h *httpQuerier) Timeseries(_ context.Context, _ analytics.Principal, q analytics.Query) ([]analytics.Point, error) {
	var a struct {
		Data []struct {
			Start time.Time `json:"start"`
			Value *float64  `json:"value"`
		} `json:"data"`
		Approximate bool `json:"approximate"`
	}
	if err := h.get(q.OrgID+"/analytics/timeseries", params(q, true), &a); err != nil {
		return nil, err
	}
	out := make([]analytics.Point, len(a.Data))
	for i, p := range a.Data {
		out[i] = analytics.Point{Start: p.Start, Value: value(p.Value, a.Approximate)}
	}
	return out, nil
}

func (h *httpQuerier) Breakdown(_ context.Context, _ analytics.Principal, q analytics.Query) (analytics.BreakdownPage, error) {
	var a struct {
		Data []struct {
			Key   string   `json:"key"`
			Value *float64 `json:"value"`
		} `json:"data"`
		NextCursor  *string `json:"next_cursor"`
		Approximate bool    `json:"approximate"`
	}
	if err := h.get(q.OrgID+"/analytics/breakdown", params(q, false), &a); err != nil {
		return analytics.BreakdownPage{}, err
	}
	page := analytics.BreakdownPage{Rows: make([]analytics.Row, len(a.Data))}
	for i, r := range a.Data {
		page.Rows[i] = analytics.Row{Key: r.Key, Value: value(r.Value, a.Approximate)}
	}
	if a.NextCursor != nil {
		page.NextCursor = *a.NextCursor
	}
	return page, nil
}

func (h *httpQuerier) DimensionValues(_ context.Context, _ analytics.Principal, q analytics.Query, d analytics.Dimension) ([]analytics.DimensionValue, error) {
	v := params(q, false)
	v.Del("metric") // the values of a dimension are no metric's
	var a struct {
		Data []struct {
			Value   string `json:"value"`
			Beacons int64  `json:"beacons"`
		} `json:"data"`
	}
	if err := h.get(q.OrgID+"/analytics/dimensions/"+string(d), v, &a); err != nil {
		return nil, err
	}
	out := make([]analytics.DimensionValue, len(a.Data))
	for i, dv := range a.Data {
		out[i] = analytics.DimensionValue{Value: dv.Value, Beacons: dv.Beacons}
	}
	return out, nil
}

func (h *httpQuerier) IntegrationUsage(_ context.Context, _ analytics.Principal, q analytics.Query) ([]analytics.Usage, error) {
	v := params(q, false)
	v.Del("metric")
	var a struct {
		Data []struct {
			IntegrationID      string `json:"integration_id"`
			Viewers            int64  `json:"viewers"`
			ViewersApproximate bool   `json:"viewers_approximate"`
			CDNBytes           int64  `json:"cdn_bytes"`
			P2PBytes           int64  `json:"p2p_bytes"`
			UploadBytes        int64  `json:"upload_bytes"`
			WatchTimeMS        int64  `json:"watch_time_ms"`
		} `json:"data"`
	}
	if err := h.get(q.OrgID+"/analytics/usage", v, &a); err != nil {
		return nil, err
	}
	out := make([]analytics.Usage, len(a.Data))
	for i, u := range a.Data {
		out[i] = analytics.Usage{IntegrationID: u.IntegrationID, Viewers: u.Viewers, ViewersApproximate: u.ViewersApproximate,
			CDNBytes: u.CDNBytes, P2PBytes: u.P2PBytes, UploadBytes: u.UploadBytes, WatchTimeMS: u.WatchTimeMS}
	}
	return out, nil
}

// value is a figure of an answer: null is no value.
func value(n *float64, approximate bool) analytics.Value {
	if n == nil {
		return analytics.Value{}
	}
	return analytics.Value{Number: *n, Valid: true, Approximate: approximate}
}

var _ analyticstest.Querier = (*httpQuerier)(nil)
