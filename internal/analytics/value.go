package analytics

import (
	"strconv"
	"time"
)

// Value is one figure of a query. Number is meaningless when Valid is
// false: there is no figure, as for a ratio whose denominator is 0 (a
// rebuffering ratio with nothing played), never shown as 0.
type Value struct {
	Number float64
	Valid  bool
	// Approximate is true for viewer counts (and the figures made from
	// them) estimated from HyperLogLog sketches, beyond the raw retention;
	// docs/metrics.md gives the error bound.
	Approximate bool
}

// MarshalJSON writes the number, or null when the value is not Valid.
func (v Value) MarshalJSON() ([]byte, error) {
	if !v.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v.Number, 'g', -1, 64), nil
}

func number(f float64) Value { return Value{Number: f, Valid: true} }

// ratio returns num/den, or no value when den is 0.
func ratio(num, den float64) Value {
	if den == 0 {
		return Value{}
	}
	return number(num / den)
}

// Point is one bucket of a timeseries.
type Point struct {
	// Start is the bucket's first instant, in UTC.
	Start time.Time
	Value Value
}

// Row is one line of a breakdown: a value of the grouped dimension ("" is
// unknown, for country and ISP) and the metric's value for it.
type Row struct {
	Key   string
	Value Value
}

// BreakdownPage is one page of a breakdown. NextCursor fetches the next
// page, "" on the last.
type BreakdownPage struct {
	Rows       []Row
	NextCursor string
}

// DimensionValue is one value of a dimension seen in a timeframe, with
// the number of beacons that carried it.
type DimensionValue struct {
	Value   string
	Beacons int64
}

// Usage is one integration's traffic over a timeframe, for an
// organization's overview.
type Usage struct {
	IntegrationID string
	// Viewers are distinct sessions, Approximate beyond the raw
	// retention.
	Viewers            int64
	ViewersApproximate bool
	CDNBytes           int64
	P2PBytes           int64
	UploadBytes        int64
	WatchTimeMS        int64
}

// MetricUnit returns the unit of m's values: "sessions", "ms", "bytes",
// "ratio" (0 to 1), "bit/s" or "beacons"; "" for an unknown metric.
func MetricUnit(m Metric) string {
	switch m {
	case MetricViewers, MetricPeakConcurrent, MetricAvgConcurrent:
		return "sessions"
	case MetricWatchTime, MetricStartupTimeAvg, MetricStartupTimeP95:
		return "ms"
	case MetricCDNBytes, MetricP2PBytes, MetricUploadBytes:
		return "bytes"
	case MetricOffloadRatio, MetricRebufferingRatio, MetricErrorRate:
		return "ratio"
	case MetricBandwidth:
		return "bit/s"
	case MetricBeacons:
		return "beacons"
	}
	return ""
}
