package analyticshttp

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/httpjson"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// The query parameters analytics.ParseQuery reads that an endpoint has no
// use for. They are refused, as ParseQuery refuses unknown ones, so that a
// parameter that changes nothing is never silently ignored.
var (
	seriesRefuses = []string{"group_by", "order_by", "order_direction", "limit", "cursor"}
	valuesRefuses = []string{"metric", "group_by", "order_by", "order_direction", "cursor"}
	usageRefuses  = []string{"metric", "group_by", "order_by", "order_direction", "limit", "cursor"}
)

// overall serves GET .../analytics/overall: the metric over the whole
// timeframe.
func (h *Handler) overall(w http.ResponseWriter, r *http.Request, p analytics.Principal) {
	q, err := h.parseQuery(r, seriesRefuses, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.svc.Overall(r.Context(), p, q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := overallAnswer{frame: frameOf(q), metricOf: newMetric(q.Metric, v.Approximate)}
	a.Data.Value = v
	httpjson.Write(w, http.StatusOK, a)
}

// timeseries serves GET .../analytics/timeseries: the metric in every
// bucket of the granularity, empty ones included.
func (h *Handler) timeseries(w http.ResponseWriter, r *http.Request, p analytics.Principal) {
	q, err := h.parseQuery(r, seriesRefuses, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	points, err := h.svc.Timeseries(r.Context(), p, q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := timeseriesAnswer{Data: make([]pointJSON, len(points)), frame: frameOf(q)}
	approx := false
	for i, pt := range points {
		a.Data[i] = pointJSON{Start: pt.Start.UTC(), Value: pt.Value}
		approx = approx || pt.Value.Approximate
	}
	a.metricOf = newMetric(q.Metric, approx)
	httpjson.Write(w, http.StatusOK, a)
}

// breakdown serves GET .../analytics/breakdown: the metric for each value
// of group_by, one page at a time.
func (h *Handler) breakdown(w http.ResponseWriter, r *http.Request, p analytics.Principal) {
	q, err := h.parseQuery(r, nil, "")
	if err == nil && q.GroupBy == "" {
		err = &analytics.QueryError{Problems: []analytics.QueryProblem{{Pointer: "/group_by", Detail: "group_by is required"}}}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page, err := h.svc.Breakdown(r.Context(), p, q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := breakdownAnswer{Data: make([]rowJSON, len(page.Rows)), GroupBy: string(q.GroupBy), frame: frameOf(q)}
	approx := false
	for i, row := range page.Rows {
		a.Data[i] = rowJSON{Key: row.Key, Value: row.Value}
		approx = approx || row.Value.Approximate
	}
	if page.NextCursor != "" {
		a.NextCursor = &page.NextCursor
	}
	a.metricOf = newMetric(q.Metric, approx)
	httpjson.Write(w, http.StatusOK, a)
}

// dimensions serves GET .../analytics/dimensions: the dimensions queries
// filter and group by. It takes no parameters.
func (h *Handler) dimensions(w http.ResponseWriter, r *http.Request, p analytics.Principal) {
	if r.URL.RawQuery != "" {
		h.fail(w, r, &analytics.QueryError{Problems: []analytics.QueryProblem{{Pointer: "", Detail: "this endpoint takes no parameters"}}})
		return
	}
	if err := readable(p, r.PathValue("org")); err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, dimensionsAnswer{Data: analytics.Dimensions})
}

// dimensionValues serves GET .../analytics/dimensions/{dimension}: the
// values of the dimension seen in the timeframe, the most frequent first.
func (h *Handler) dimensionValues(w http.ResponseWriter, r *http.Request, p analytics.Principal) {
	d := analytics.Dimension(r.PathValue("dimension"))
	if !slices.Contains(analytics.Dimensions, d) {
		h.fail(w, r, problem.NotFound("No such dimension."))
		return
	}
	q, err := h.parseQuery(r, valuesRefuses, analytics.MetricBeacons)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	values, err := h.svc.DimensionValues(r.Context(), p, q, d)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := dimensionValuesAnswer{Data: make([]dimensionValueJSON, len(values)), Dimension: string(d), frame: frameOf(q)}
	for i, v := range values {
		a.Data[i] = dimensionValueJSON{Value: v.Value, Beacons: v.Beacons}
	}
	httpjson.Write(w, http.StatusOK, a)
}

// usage serves GET .../analytics/usage: each integration's viewers and
// traffic over the timeframe, for the organization's overview.
func (h *Handler) usage(w http.ResponseWriter, r *http.Request, p analytics.Principal) {
	q, err := h.parseQuery(r, usageRefuses, analytics.MetricViewers)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows, err := h.svc.IntegrationUsage(r.Context(), p, q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := usageAnswer{Data: make([]usageJSON, len(rows)), frame: frameOf(q)}
	for i, u := range rows {
		a.Data[i] = usageJSON{IntegrationID: u.IntegrationID, Viewers: u.Viewers, ViewersApproximate: u.ViewersApproximate,
			CDNBytes: u.CDNBytes, P2PBytes: u.P2PBytes, UploadBytes: u.UploadBytes, WatchTimeMS: u.WatchTimeMS}
	}
	httpjson.Write(w, http.StatusOK, a)
}

// parseQuery reads the query of an endpoint of the {org} in r's path
// with analytics.ParseQuery, after refusing the parameters in refuses.
// metric, when set, is the metric of an endpoint that takes none (the
// Service ignores it, ParseQuery requires one). Every problem, those of
// ParseQuery and the refused parameters, is in one *analytics.QueryError.
func (h *Handler) parseQuery(r *http.Request, refuses []string, metric analytics.Metric) (analytics.Query, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return analytics.Query{}, &analytics.QueryError{Problems: []analytics.QueryProblem{{Pointer: "", Detail: "the query string is malformed"}}}
	}
	var refused []analytics.QueryProblem
	for _, name := range refuses {
		if _, ok := v[name]; ok {
			refused = append(refused, analytics.QueryProblem{Pointer: "/" + name, Detail: name + " is not a parameter of this endpoint"})
			delete(v, name)
		}
	}
	if metric != "" {
		v["metric"] = []string{string(metric)}
	}
	q, err := analytics.ParseQuery(r.PathValue("org"), v, h.o.Now())
	if err != nil {
		qe, ok := errors.AsType[*analytics.QueryError](err)
		if !ok {
			return analytics.Query{}, err
		}
		refused = append(slices.Clip(qe.Problems), refused...)
	}
	if len(refused) > 0 {
		return analytics.Query{}, &analytics.QueryError{Problems: refused}
	}
	return q, nil
}
