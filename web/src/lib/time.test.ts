import { describe, expect, it } from "vitest";
import {
  ceilToHour,
  comparisonPeriods,
  formatBucket,
  formatDateTime,
  formatRelative,
  isTimeframeId,
  isValidTimeZone,
  periodParam,
  resolveTimeZone,
  timeZoneOffsetMinutes,
  toApiTime,
} from "./time";

const T = Date.UTC(2026, 2, 29, 14, 25, 31, 250); // 2026-03-29T14:25:31.250Z

describe("periods", () => {
  it("rounds up to the hour", () => {
    expect(ceilToHour(T)).toBe(Date.UTC(2026, 2, 29, 15));
    expect(ceilToHour(Date.UTC(2026, 2, 29, 15))).toBe(Date.UTC(2026, 2, 29, 15));
  });
  it("compares with the period of equal length just before", () => {
    const { current, previous } = comparisonPeriods("24h", T);
    expect(current.to).toBe(Date.UTC(2026, 2, 29, 15));
    expect(current.from).toBe(Date.UTC(2026, 2, 28, 15));
    expect(previous.to).toBe(current.from);
    expect(previous.from).toBe(Date.UTC(2026, 2, 27, 15));
    const week = comparisonPeriods("7d", T);
    expect(week.current.to - week.current.from).toBe(7 * 86_400_000);
    expect(week.previous.to - week.previous.from).toBe(7 * 86_400_000);
    const month = comparisonPeriods("30d", T);
    expect(month.previous.from).toBe(Date.UTC(2026, 0, 28, 15));
  });
  it("writes API times without fractions", () => {
    expect(toApiTime(T)).toBe("2026-03-29T14:25:31Z");
    expect(periodParam({ from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 2) })).toEqual([
      "2026-01-01T00:00:00Z",
      "2026-01-02T00:00:00Z",
    ]);
  });
  it("knows its timeframes", () => {
    expect(isTimeframeId("7d")).toBe(true);
    expect(isTimeframeId("90m")).toBe(false);
    expect(isTimeframeId(null)).toBe(false);
  });
});

describe("time zones", () => {
  it("checks IANA names", () => {
    expect(isValidTimeZone("Europe/Paris")).toBe(true);
    expect(isValidTimeZone("Mars/Olympus")).toBe(false);
    expect(isValidTimeZone("")).toBe(false);
  });
  it("prefers the profile's zone, then the browser's, then UTC", () => {
    expect(resolveTimeZone("Asia/Tokyo", "Europe/Paris")).toBe("Asia/Tokyo");
    expect(resolveTimeZone("", "Europe/Paris")).toBe("Europe/Paris");
    expect(resolveTimeZone("Nowhere/Land", "Europe/Paris")).toBe("Europe/Paris");
    expect(resolveTimeZone(undefined, undefined)).toBe("UTC");
  });
  it("computes offsets across daylight saving time", () => {
    // Europe/Paris switches to summer time at 01:00 UTC on 2026-03-29.
    expect(timeZoneOffsetMinutes(Date.UTC(2026, 2, 29, 0, 30), "Europe/Paris")).toBe(60);
    expect(timeZoneOffsetMinutes(Date.UTC(2026, 2, 29, 1, 30), "Europe/Paris")).toBe(120);
    expect(timeZoneOffsetMinutes(T, "America/New_York")).toBe(-240);
    expect(timeZoneOffsetMinutes(T, "Asia/Kolkata")).toBe(330);
    expect(timeZoneOffsetMinutes(T, "UTC")).toBe(0);
  });
  it("formats buckets in the zone", () => {
    expect(formatBucket(T, "hour", "UTC")).toBe("Mar 29, 14:25");
    expect(formatBucket(T, "hour", "Asia/Tokyo")).toBe("Mar 29, 23:25");
    expect(formatBucket(Date.UTC(2026, 2, 29, 23), "day", "Asia/Tokyo")).toBe("Mar 30, 2026");
    expect(formatDateTime(T, "UTC")).toBe("Mar 29, 2026, 14:25 UTC");
    expect(formatDateTime("not a date", "UTC")).toBe("—");
  });
});

describe("formatRelative", () => {
  it("reads in words", () => {
    expect(formatRelative(T - 10_000, T)).toBe("just now");
    expect(formatRelative(T - 5 * 60_000, T)).toBe("5 min ago");
    expect(formatRelative(T + 2 * 3600_000, T)).toBe("in 2 h");
    expect(formatRelative(new Date(T - 3 * 86_400_000).toISOString(), T)).toBe("3 d ago");
  });
});

import { allowedGranularities, autoGranularity } from "./time";

describe("granularities", () => {
  it("allows what stays under 2,880 buckets", () => {
    expect(allowedGranularities(24 * 3600_000)).toEqual(["minute", "ten_minute", "hour", "day"]);
    expect(allowedGranularities(7 * 86_400_000)).toEqual(["ten_minute", "hour", "day"]);
    expect(allowedGranularities(30 * 86_400_000)).toEqual(["hour", "day"]);
    expect(allowedGranularities(200 * 86_400_000)).toEqual(["day"]);
  });
  it("mirrors the API's automatic choice", () => {
    expect(autoGranularity(90 * 60_000)).toBe("minute");
    expect(autoGranularity(6 * 3600_000)).toBe("ten_minute");
    expect(autoGranularity(24 * 3600_000)).toBe("hour");
    expect(autoGranularity(30 * 86_400_000)).toBe("day");
  });
});
