// Shaping of analytics time series for charts and tables.

export interface Point {
  /** Bucket start, Unix milliseconds. */
  t: number;
  value: number | null;
}

/** The API's timeseries data ({start, value}) as points. */
export function toPoints(data: readonly { start: string; value: number | null }[]): Point[] {
  return data.map((d) => ({ t: Date.parse(d.start), value: d.value }));
}

/**
 * Each bucket's width in seconds: the gap to the next bucket's start, the
 * last one's to the timeframe's end. Day buckets in a time zone with daylight
 * saving time are 23 or 25 hours long on the days it changes.
 */
export function bucketSeconds(points: readonly Point[], end: number): number[] {
  return points.map((p, i) => {
    const next = i + 1 < points.length ? points[i + 1]!.t : end;
    return Math.max(0, (next - p.t) / 1000);
  });
}

/** Byte counts per bucket as the mean bit rate over each bucket (bit/s). */
export function bytesToBitRate(points: readonly Point[], end: number): Point[] {
  const widths = bucketSeconds(points, end);
  return points.map((p, i) => {
    const w = widths[i]!;
    return { t: p.t, value: p.value === null || w === 0 ? null : (p.value * 8) / w };
  });
}

/**
 * Several series on one x axis, as uPlot takes them: [xs in seconds, ys...].
 * The x values are the union of every series' bucket starts; a series without
 * a point at an x has null there.
 */
export function alignSeries(series: readonly (readonly Point[])[]): [number[], ...(number | null)[][]] {
  const xs = Array.from(new Set(series.flatMap((s) => s.map((p) => p.t)))).sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    for (const p of s) y[index.get(p.t)!] = p.value;
    return y;
  });
  return [xs.map((x) => x / 1000), ...ys];
}

/** The sum of the values of a series; null when it has none. */
export function sumPoints(points: readonly Point[]): number | null {
  let sum: number | null = null;
  for (const p of points) if (p.value !== null) sum = (sum ?? 0) + p.value;
  return sum;
}

/** The largest value of a series; null when it has none. */
export function maxPoint(points: readonly Point[]): Point | null {
  let best: Point | null = null;
  for (const p of points) if (p.value !== null && (best === null || p.value > best.value!)) best = p;
  return best;
}

/** Share of the second part in the whole (p2p / (cdn + p2p)), null when the whole is 0. */
export function shareOf(part: number | null | undefined, other: number | null | undefined): number | null {
  const a = part ?? 0;
  const b = other ?? 0;
  if (part == null && other == null) return null;
  return a + b === 0 ? null : a / (a + b);
}

/**
 * Table rows of aligned series: one row per x, the bucket start first, then
 * each series' value.
 */
export function seriesRows(names: readonly string[], aligned: readonly (readonly (number | null)[])[]): {
  header: string[];
  rows: (number | null)[][];
} {
  const [xs = [], ...ys] = aligned;
  return {
    header: ["start", ...names],
    rows: xs.map((x, i) => [x === null ? null : x * 1000, ...ys.map((y) => y[i] ?? null)]),
  };
}
