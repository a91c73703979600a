package analytics

import "time"

// Metric names a figure a query asks for; docs/metrics.md gives each
// formula.
type Metric string

// The metrics.
const (
	MetricViewers          Metric = "viewers"           // distinct sessions
	MetricPeakConcurrent   Metric = "peak_concurrent"   // most distinct sessions in one minute
	MetricAvgConcurrent    Metric = "avg_concurrent"    // mean over minutes of distinct sessions
	MetricWatchTime        Metric = "watch_time"        // sum of played ms
	MetricCDNBytes         Metric = "cdn_bytes"         // sum
	MetricP2PBytes         Metric = "p2p_bytes"         // sum
	MetricUploadBytes      Metric = "upload_bytes"      // sum
	MetricOffloadRatio     Metric = "offload_ratio"     // p2p / (p2p + cdn)
	MetricBandwidth        Metric = "bandwidth"         // (cdn + p2p) * 8 / seconds of the timeframe (bit/s)
	MetricRebufferingRatio Metric = "rebuffering_ratio" // buffered / (played + buffered)
	MetricStartupTimeAvg   Metric = "startup_time_avg"  // mean of startup ms over sessions that reported one
	MetricStartupTimeP95   Metric = "startup_time_p95"  // 95th percentile, on the histogram's buckets
	MetricErrorRate        Metric = "error_rate"        // sessions with an error / viewers
	MetricBeacons          Metric = "beacons"           // count of stored beacons
)

// Dimension is what rollups are kept by, and what queries filter and
// group on.
type Dimension string

// The dimensions.
const (
	DimIntegration Dimension = "integration"
	DimContent     Dimension = "content_id"
	DimStreamType  Dimension = "stream_type"
	DimPlatform    Dimension = "platform"
	DimCountry     Dimension = "country"
	DimISP         Dimension = "isp"
)

// Dimensions lists every dimension, in rollup key order.
var Dimensions = []Dimension{DimIntegration, DimContent, DimStreamType, DimPlatform, DimCountry, DimISP}

// Granularity is the width of a timeseries bucket.
type Granularity string

// The granularities, and the rollup level each is read from.
const (
	GranMinute    Granularity = "minute"
	GranTenMinute Granularity = "ten_minute"
	GranHour      Granularity = "hour"
	GranDay       Granularity = "day"
)

// Filter keeps (or, negated, drops) the data of one dimension value.
type Filter struct {
	Dimension Dimension
	Value     string
	Negate    bool
}

// Query is a parsed metric query of one organization. From is inclusive,
// To exclusive, both aligned to Granularity in Location (the parser
// aligns them); Filters are ANDed.
type Query struct {
	OrgID       string
	Metric      Metric
	From, To    time.Time
	Granularity Granularity
	// Location is the timezone day buckets (and the alignment of From
	// and To) follow; UTC when none was asked for.
	Location *time.Location
	Filters  []Filter
	// GroupBy is the dimension of a breakdown, "" for overall and
	// timeseries.
	GroupBy Dimension
	// OrderBy is "value" or "key" (breakdown only); OrderDesc its
	// direction.
	OrderBy   string
	OrderDesc bool
	// Limit and Cursor page a breakdown.
	Limit  int
	Cursor string
}
