// Timeframes, periods and time zones. Pure functions of their arguments
// (the current time is always passed in).

import { dateTimeFormat } from "./intl";

export type TimeframeId = "24h" | "7d" | "30d";

export const TIMEFRAMES: readonly { id: TimeframeId; label: string; ms: number }[] = [
  { id: "24h", label: "Last 24 hours", ms: 24 * 3600_000 },
  { id: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
  { id: "30d", label: "Last 30 days", ms: 30 * 86_400_000 },
];

export function isTimeframeId(s: string | null | undefined): s is TimeframeId {
  return TIMEFRAMES.some((t) => t.id === s);
}

export function timeframeMs(id: TimeframeId): number {
  const tf = TIMEFRAMES.find((t) => t.id === id);
  if (!tf) throw new Error(`unknown timeframe ${id}`);
  return tf.ms;
}

const HOUR = 3600_000;

/** The first whole UTC hour at or after t. */
export function ceilToHour(t: number): number {
  return Math.ceil(t / HOUR) * HOUR;
}

export interface Period {
  /** Inclusive start, Unix milliseconds. */
  from: number;
  /** Exclusive end, Unix milliseconds. */
  to: number;
}

/**
 * The timeframe ending at the next whole hour after now, and the period of
 * equal length just before it. Whole hours, because the API aligns a query to
 * its granularity: with hour buckets an aligned period is answered exactly,
 * so the two periods compared have the same length.
 */
export function comparisonPeriods(id: TimeframeId, now: number): { current: Period; previous: Period } {
  const len = timeframeMs(id);
  const to = ceilToHour(now);
  const from = to - len;
  return { current: { from, to }, previous: { from: from - len, to: from } };
}

/** RFC 3339 in UTC without fractional seconds, as the API's timeframe[] takes it. */
export function toApiTime(t: number): string {
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** The timeframe[] query value of a period. */
export function periodParam(p: Period): string[] {
  return [toApiTime(p.from), toApiTime(p.to)];
}

/** True when the runtime knows the IANA time zone. */
export function isValidTimeZone(tz: string): boolean {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * The time zone to show times in: the profile's when it is set and known,
 * else the browser's, else UTC.
 */
export function resolveTimeZone(profileTimeZone: string | null | undefined, browserTimeZone: string | null | undefined): string {
  if (profileTimeZone && isValidTimeZone(profileTimeZone)) return profileTimeZone;
  if (browserTimeZone && isValidTimeZone(browserTimeZone)) return browserTimeZone;
  return "UTC";
}

/** The browser's time zone, or undefined when it does not say. */
export function browserTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * The offset of a time zone from UTC at instant t, in minutes (positive east
 * of Greenwich): Europe/Paris is 60 in winter and 120 in summer.
 */
export function timeZoneOffsetMinutes(t: number, timeZone: string): number {
  const parts = dateTimeFormat({
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUTC = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((asUTC - Math.floor(t / 1000) * 1000) / 60_000);
}

export type Granularity = "minute" | "ten_minute" | "hour" | "day";

/** How a bucket start reads at a granularity, in a time zone: "Mar 29, 14:00" or "Mar 29". */
export function formatBucket(t: number, granularity: Granularity, timeZone: string): string {
  const opts: Intl.DateTimeFormatOptions =
    granularity === "day"
      ? { timeZone, month: "short", day: "numeric", year: "numeric" }
      : { timeZone, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  return dateTimeFormat(opts).format(new Date(t));
}

/** A date and time in a time zone, with the zone named: "Mar 29, 2026, 14:05 GMT+2". */
export function formatDateTime(t: number | string, timeZone: string): string {
  const d = typeof t === "string" ? new Date(t) : new Date(t);
  if (Number.isNaN(d.getTime())) return "—";
  return dateTimeFormat({
    timeZone,
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).format(d);
}

/** "from – to" of a period in a time zone. */
export function formatPeriod(p: Period, timeZone: string): string {
  return `${formatDateTime(p.from, timeZone)} – ${formatDateTime(p.to, timeZone)}`;
}

/** A time relative to now in words: "5 min ago", "in 2 h", "just now". */
export function formatRelative(t: number | string, now: number): string {
  const ms = (typeof t === "string" ? Date.parse(t) : t) - now;
  if (!Number.isFinite(ms)) return "—";
  const abs = Math.abs(ms);
  if (abs < 45_000) return "just now";
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
  ];
  for (const [size, name] of units) {
    if (abs >= size) {
      const n = Math.round(abs / size);
      return ms < 0 ? `${n} ${name} ago` : `in ${n} ${name}`;
    }
  }
  return ms < 0 ? "1 min ago" : "in 1 min";
}

/**
 * The granularities a timeframe of this length may ask for explicitly: the
 * API allows at most 2,880 buckets (minute up to 2 days, ten_minute up to 20
 * days, hour up to 120 days); day always.
 */
export function allowedGranularities(timeframeMsLength: number): Granularity[] {
  const limits: [Granularity, number][] = [
    ["minute", 2 * 86_400_000],
    ["ten_minute", 20 * 86_400_000],
    ["hour", 120 * 86_400_000],
  ];
  return [...limits.filter(([, max]) => timeframeMsLength <= max).map(([g]) => g), "day"];
}

/** The granularity the API picks when none is asked for (its automatic choice). */
export function autoGranularity(timeframeMsLength: number): Granularity {
  if (timeframeMsLength <= 90 * 60_000) return "minute";
  if (timeframeMsLength <= 6 * 3600_000) return "ten_minute";
  if (timeframeMsLength <= 15 * 86_400_000) return "hour";
  return "day";
}
