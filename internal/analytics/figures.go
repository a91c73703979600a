package analytics

import (
	"time"

	"github.com/axiomhq/hyperloglog"
)

// needs says which sources a metric is computed from.
type needs struct {
	sums        bool // rollup sums
	histogram   bool // the startup histogram
	viewers     bool // distinct sessions
	errSessions bool // distinct sessions with an error
	concurrency bool // distinct sessions minute by minute
}

func metricNeeds(m Metric) (needs, bool) {
	switch m {
	case MetricViewers:
		return needs{viewers: true}, true
	case MetricPeakConcurrent, MetricAvgConcurrent:
		return needs{concurrency: true}, true
	case MetricWatchTime, MetricCDNBytes, MetricP2PBytes, MetricUploadBytes, MetricOffloadRatio,
		MetricBandwidth, MetricRebufferingRatio, MetricStartupTimeAvg, MetricBeacons:
		return needs{sums: true}, true
	case MetricStartupTimeP95:
		return needs{sums: true, histogram: true}, true
	case MetricErrorRate:
		return needs{viewers: true, errSessions: true}, true
	}
	return needs{}, false
}

// figures are what one bucket and key of a query adds up to.
type figures struct {
	sums    Sums
	startup Histogram

	viewers, errSessions int64
	approx               bool
	sessions, errSketch  *hyperloglog.Sketch // while merging sketches

	peak      int64 // most distinct sessions in one minute
	minuteSum int64 // distinct sessions added over the minutes
}

// value computes metric m over figures f of a bucket lasting d.
func (f *figures) value(m Metric, d time.Duration) Value {
	s := &f.sums
	var v Value
	switch m {
	case MetricViewers:
		v = number(float64(f.viewers))
	case MetricPeakConcurrent:
		v = number(float64(f.peak))
	case MetricAvgConcurrent:
		v = number(float64(f.minuteSum) / float64(d/time.Minute))
	case MetricWatchTime:
		v = number(float64(s.PlayedMS))
	case MetricCDNBytes:
		v = number(float64(s.CDNBytes))
	case MetricP2PBytes:
		v = number(float64(s.P2PBytes))
	case MetricUploadBytes:
		v = number(float64(s.UploadBytes))
	case MetricBeacons:
		v = number(float64(s.Beacons))
	case MetricOffloadRatio:
		v = ratio(float64(s.P2PBytes), float64(s.P2PBytes+s.CDNBytes))
	case MetricBandwidth:
		v = number(float64(s.CDNBytes+s.P2PBytes) * 8 / d.Seconds())
	case MetricRebufferingRatio:
		v = ratio(float64(s.BufferedMS), float64(s.PlayedMS+s.BufferedMS))
	case MetricStartupTimeAvg:
		v = ratio(float64(s.StartupMSSum), float64(s.Startups))
	case MetricStartupTimeP95:
		if p, ok := f.startup.P95(); ok {
			v = number(float64(p))
		}
	case MetricErrorRate:
		v = ratio(float64(f.errSessions), float64(f.viewers))
	}
	switch m {
	case MetricViewers, MetricPeakConcurrent, MetricAvgConcurrent, MetricErrorRate:
		v.Approximate = f.approx && v.Valid
	}
	return v
}
