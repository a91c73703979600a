import { describe, expect, it } from "vitest";
import {
  formatBitRate,
  formatBytes,
  formatCount,
  formatDuration,
  formatNumber,
  formatRatio,
  formatValue,
  NO_VALUE,
} from "./format";

describe("formatBytes", () => {
  it("uses decimal units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1000)).toBe("1 kB");
    expect(formatBytes(1234)).toBe("1.23 kB");
    expect(formatBytes(12_345_678)).toBe("12.3 MB");
    expect(formatBytes(123_456_789_012)).toBe("123 GB");
    expect(formatBytes(4.2e15)).toBe("4.2 PB");
  });
  it("rounds up into the next unit rather than showing 1000", () => {
    expect(formatBytes(999_999)).toBe("1 MB");
    expect(formatBytes(999_499)).toBe("999 kB");
  });
  it("has a placeholder for missing values", () => {
    expect(formatBytes(null)).toBe(NO_VALUE);
    expect(formatBytes(undefined)).toBe(NO_VALUE);
    expect(formatBytes(Number.NaN)).toBe(NO_VALUE);
  });
});

describe("formatBitRate", () => {
  it("scales by 1000", () => {
    expect(formatBitRate(0)).toBe("0 bit/s");
    expect(formatBitRate(512)).toBe("512 bit/s");
    expect(formatBitRate(1500)).toBe("1.5 kbit/s");
    expect(formatBitRate(2_500_000)).toBe("2.5 Mbit/s");
    expect(formatBitRate(8e9)).toBe("8 Gbit/s");
    expect(formatBitRate(12.5e12)).toBe("12.5 Tbit/s");
  });
  it("has a placeholder", () => {
    expect(formatBitRate(null)).toBe(NO_VALUE);
  });
});

describe("formatRatio", () => {
  it("shows a percentage with one decimal", () => {
    expect(formatRatio(0)).toBe("0.0%");
    expect(formatRatio(1)).toBe("100.0%");
    expect(formatRatio(0.4567)).toBe("45.7%");
    expect(formatRatio(0.12345, 2)).toBe("12.35%");
  });
  it("never rounds a small share to zero nor a large one to 100", () => {
    expect(formatRatio(0.0001)).toBe("<0.1%");
    expect(formatRatio(0.99999)).toBe(">99.9%");
  });
  it("shows no value for null (a ratio whose denominator is 0)", () => {
    expect(formatRatio(null)).toBe(NO_VALUE);
  });
});

describe("formatCount and formatNumber", () => {
  it("groups digits", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(12.6)).toBe("13");
    expect(formatNumber(1234.56)).toBe("1,234.6");
    expect(formatNumber(2.5, 0)).toBe("3");
    expect(formatCount(null)).toBe(NO_VALUE);
  });
});

describe("formatDuration", () => {
  it("uses the two largest units", () => {
    expect(formatDuration(0)).toBe("0 ms");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(1250)).toBe("1.25 s");
    expect(formatDuration(59_000)).toBe("59 s");
    expect(formatDuration(725_000)).toBe("12 min 5 s");
    expect(formatDuration(60_000)).toBe("1 min");
    expect(formatDuration(3 * 3600_000 + 12 * 60_000 + 7000)).toBe("3 h 12 min");
    expect(formatDuration(2 * 86_400_000 + 3 * 3600_000)).toBe("2 d 3 h");
    expect(formatDuration(86_400_000)).toBe("1 d");
  });
  it("keeps the sign", () => {
    expect(formatDuration(-1500)).toBe("-1.5 s");
  });
  it("has a placeholder", () => {
    expect(formatDuration(null)).toBe(NO_VALUE);
  });
});

describe("formatValue", () => {
  it("dispatches on the API's unit", () => {
    expect(formatValue(2e9, "bytes")).toBe("2 GB");
    expect(formatValue(3e6, "bit/s")).toBe("3 Mbit/s");
    expect(formatValue(0.25, "ratio")).toBe("25.0%");
    expect(formatValue(1800, "ms")).toBe("1.8 s");
    expect(formatValue(4321, "sessions")).toBe("4,321");
    expect(formatValue(12.25, "sessions")).toBe("12.3");
    expect(formatValue(7, "beacons")).toBe("7");
    expect(formatValue(null, "ratio")).toBe(NO_VALUE);
  });
});
