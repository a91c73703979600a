package analyticshttp

import (
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// The answers of the queries, modelled on the Mux Data API: the figures in
// "data", and beside them what the query covered. A figure without a
// value (a ratio whose denominator is 0) is null, never 0.

// frame is what a query covered: the timeframe after alignment to the
// granularity ([from, to), UTC), the granularity it was aligned to, and
// the time zone of its day buckets.
type frame struct {
	Timeframe   [2]time.Time `json:"timeframe"`
	Granularity string       `json:"granularity"`
	Timezone    string       `json:"timezone"`
}

func frameOf(q analytics.Query) frame {
	return frame{Timeframe: [2]time.Time{q.From.UTC(), q.To.UTC()}, Granularity: string(q.Granularity),
		Timezone: q.Location.String()}
}

// metricOf names a query's metric and unit, and says whether any figure
// was estimated from sketches (viewer counts beyond the raw retention).
type metricOf struct {
	Metric      string `json:"metric"`
	Unit        string `json:"unit"`
	Approximate bool   `json:"approximate"`
}

func newMetric(m analytics.Metric, approx bool) metricOf {
	return metricOf{Metric: string(m), Unit: analytics.MetricUnit(m), Approximate: approx}
}

type overallAnswer struct {
	Data struct {
		Value analytics.Value `json:"value"`
	} `json:"data"`
	frame
	metricOf
}

type pointJSON struct {
	Start time.Time       `json:"start"`
	Value analytics.Value `json:"value"`
}

type timeseriesAnswer struct {
	Data []pointJSON `json:"data"`
	frame
	metricOf
}

type rowJSON struct {
	Key   string          `json:"key"`
	Value analytics.Value `json:"value"`
}

type breakdownAnswer struct {
	Data       []rowJSON `json:"data"`
	GroupBy    string    `json:"group_by"`
	NextCursor *string   `json:"next_cursor"`
	frame
	metricOf
}

type dimensionsAnswer struct {
	Data []analytics.Dimension `json:"data"`
}

type dimensionValueJSON struct {
	Value   string `json:"value"`
	Beacons int64  `json:"beacons"`
}

type dimensionValuesAnswer struct {
	Data      []dimensionValueJSON `json:"data"`
	Dimension string               `json:"dimension"`
	frame
}

type usageJSON struct {
	IntegrationID      string `json:"integration_id"`
	Viewers            int64  `json:"viewers"`
	ViewersApproximate bool   `json:"viewers_approximate"`
	CDNBytes           int64  `json:"cdn_bytes"`
	P2PBytes           int64  `json:"p2p_bytes"`
	UploadBytes        int64  `json:"upload_bytes"`
	WatchTimeMS        int64  `json:"watch_time_ms"`
}

type usageAnswer struct {
	Data []usageJSON `json:"data"`
	frame
}
