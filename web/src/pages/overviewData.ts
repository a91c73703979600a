// The overview's requests, shared by the page and by the early start of
// its first visit (startOverviewEarly), so that both send exactly the same
// requests and the page takes the answers the early start fetched.

import { type Client, earlyApi, type Metric, request } from "../api/client";
import { OVERVIEW_METRICS } from "../lib/metrics";
import { browserTimeZone, comparisonPeriods, type Granularity, isTimeframeId, type Period, periodParam, resolveTimeZone, type TimeframeId } from "../lib/time";

/**
 * Chart buckets per timeframe: the API's automatic granularity (hours up
 * to 15 days), 24 to 168 points, read from hour rollups. Ten-minute
 * buckets would read every minute rollup of the day, about a hundred times
 * the rows, for a first screen.
 */
export const CHART_GRANULARITY: Record<TimeframeId, Granularity> = { "24h": "hour", "7d": "hour", "30d": "day" };

/** The overview's calls, through client. */
export function overviewCalls(client: Client, org: string) {
  return {
    /** The composed overview: the organization, its integrations and their usage. */
    overview: (timeframe: TimeframeId, signal?: AbortSignal) =>
      request(client.GET("/v1/orgs/{org}/overview", { params: { path: { org }, query: { timeframe } }, ...(signal ? { signal } : {}) })),
    /** One key figure over one period. */
    overall: (metric: Metric, period: Period, signal?: AbortSignal) =>
      request(
        client.GET("/v1/orgs/{org}/analytics/overall", {
          params: { path: { org }, query: { metric, "timeframe[]": periodParam(period), granularity: "hour" } },
          ...(signal ? { signal } : {}),
        }),
      ),
    /** A metric's series over the period, in the chart's buckets. */
    timeseries: (metric: Metric, period: Period, granularity: Granularity, timeZone: string, signal?: AbortSignal) =>
      request(
        client.GET("/v1/orgs/{org}/analytics/timeseries", {
          params: {
            path: { org },
            query: { metric, "timeframe[]": periodParam(period), granularity, ...(granularity === "day" ? { timezone: timeZone } : {}) },
          },
          ...(signal ? { signal } : {}),
        }),
      ),
  };
}

/** The metrics of the traffic chart. */
export const TRAFFIC_METRICS = ["cdn_bytes", "p2p_bytes"] as const satisfies readonly Metric[];

/**
 * Starts the overview's requests when the address is an organization's
 * overview, before the session is known and the page renders; the page
 * then takes their answers. Nothing happens for any other address. Signed
 * out, the requests are refused and their answers left to expire.
 */
export function startOverviewEarly(pathname: string, search: string, now: number): boolean {
  const m = /^\/orgs\/([^/]+)\/?$/.exec(pathname);
  if (!m) return false;
  let org: string;
  try {
    org = decodeURIComponent(m[1]!);
  } catch {
    return false;
  }
  const raw = new URLSearchParams(search).get("timeframe");
  const timeframe: TimeframeId = isTimeframeId(raw) ? raw : "24h";
  const periods = comparisonPeriods(timeframe, now);
  const calls = overviewCalls(earlyApi, org);
  const ignore = () => undefined;
  calls.overview(timeframe).catch(ignore);
  for (const metric of OVERVIEW_METRICS) {
    calls.overall(metric, periods.current).catch(ignore);
    calls.overall(metric, periods.previous).catch(ignore);
  }
  // The time zone matters to day buckets alone; the first Intl date format
  // of a page costs tens of milliseconds, not spent for the others.
  const granularity = CHART_GRANULARITY[timeframe];
  const timeZone = granularity === "day" ? resolveTimeZone(undefined, browserTimeZone()) : "UTC";
  for (const metric of TRAFFIC_METRICS) {
    calls.timeseries(metric, periods.current, granularity, timeZone).catch(ignore);
  }
  return true;
}
