// The analytics metrics (analytics.Metric in api/portico.yaml) as the
// dashboard presents them.

import type { ChangeKind, Polarity } from "./delta";
import type { Unit } from "./format";

export type MetricId =
  | "viewers"
  | "peak_concurrent"
  | "avg_concurrent"
  | "watch_time"
  | "cdn_bytes"
  | "p2p_bytes"
  | "upload_bytes"
  | "offload_ratio"
  | "bandwidth"
  | "rebuffering_ratio"
  | "startup_time_avg"
  | "startup_time_p95"
  | "error_rate"
  | "beacons";

export interface MetricInfo {
  id: MetricId;
  label: string;
  /** The unit the API answers in (it says so in each answer too). */
  unit: Unit;
  polarity: Polarity;
  description: string;
  /** Whether bucket values add up to the timeframe's figure (sums), so a stacked or summed view is meaningful. */
  additive: boolean;
}

export const METRICS: readonly MetricInfo[] = [
  { id: "cdn_bytes", label: "CDN traffic", unit: "bytes", polarity: "neutral", description: "Bytes players fetched from the CDN.", additive: true },
  { id: "p2p_bytes", label: "P2P traffic", unit: "bytes", polarity: "higher-is-better", description: "Bytes players received from peers.", additive: true },
  { id: "offload_ratio", label: "Offload ratio", unit: "ratio", polarity: "higher-is-better", description: "Share of traffic delivered peer-to-peer: P2P / (P2P + CDN).", additive: false },
  { id: "peak_concurrent", label: "Peak viewers", unit: "sessions", polarity: "neutral", description: "Most distinct sessions in one minute.", additive: false },
  { id: "rebuffering_ratio", label: "Rebuffering ratio", unit: "ratio", polarity: "lower-is-better", description: "Time spent buffering over time played and buffering.", additive: false },
  { id: "startup_time_avg", label: "Startup time", unit: "ms", polarity: "lower-is-better", description: "Mean startup time of sessions that reported one.", additive: false },
  { id: "startup_time_p95", label: "Startup time (95th percentile)", unit: "ms", polarity: "lower-is-better", description: "95th percentile of startup times.", additive: false },
  { id: "viewers", label: "Viewers", unit: "sessions", polarity: "neutral", description: "Distinct sessions.", additive: false },
  { id: "avg_concurrent", label: "Average concurrent viewers", unit: "sessions", polarity: "neutral", description: "Mean over minutes of distinct sessions.", additive: false },
  { id: "watch_time", label: "Watch time", unit: "ms", polarity: "neutral", description: "Total time played.", additive: true },
  { id: "upload_bytes", label: "Upload traffic", unit: "bytes", polarity: "neutral", description: "Bytes players sent to peers.", additive: true },
  { id: "bandwidth", label: "Bandwidth", unit: "bit/s", polarity: "neutral", description: "Mean bit rate of CDN and P2P traffic over the timeframe.", additive: false },
  { id: "error_rate", label: "Error rate", unit: "ratio", polarity: "lower-is-better", description: "Share of sessions with an error.", additive: false },
  { id: "beacons", label: "Beacons", unit: "beacons", polarity: "neutral", description: "Stored player beacons.", additive: true },
];

export function metricInfo(id: string): MetricInfo {
  const m = METRICS.find((x) => x.id === id);
  if (!m) throw new Error(`unknown metric ${id}`);
  return m;
}

/** Ratios change in percentage points, other figures relatively. */
export function changeKindOf(unit: Unit): ChangeKind {
  return unit === "ratio" ? "points" : "relative";
}

/** The key figures of the organization overview, in display order. */
export const OVERVIEW_METRICS: readonly MetricId[] = [
  "cdn_bytes",
  "p2p_bytes",
  "offload_ratio",
  "peak_concurrent",
  "rebuffering_ratio",
  "startup_time_avg",
];
