import { describe, expect, it } from "vitest";
import { alignSeries, bucketSeconds, bytesToBitRate, maxPoint, seriesRows, shareOf, sumPoints, toPoints } from "./series";

const H = 3600_000;
const t0 = Date.UTC(2026, 2, 29);

describe("toPoints", () => {
  it("parses bucket starts", () => {
    expect(toPoints([{ start: "2026-03-29T00:00:00Z", value: 5 }, { start: "2026-03-29T01:00:00Z", value: null }])).toEqual([
      { t: t0, value: 5 },
      { t: t0 + H, value: null },
    ]);
  });
});

describe("bucket widths and bit rates", () => {
  const pts = [
    { t: t0, value: 3600 },
    { t: t0 + H, value: null },
    { t: t0 + 2 * H, value: 450 },
  ];
  it("measures each bucket to the next start, the last to the end", () => {
    expect(bucketSeconds(pts, t0 + 3 * H)).toEqual([3600, 3600, 3600]);
    expect(bucketSeconds(pts, t0 + 2.5 * H)).toEqual([3600, 3600, 1800]);
  });
  it("handles days of 23 hours", () => {
    // Europe/Paris: 2026-03-29 starts 2026-03-28T23:00Z and lasts 23 hours.
    const days = [
      { t: Date.UTC(2026, 2, 27, 23), value: 86_400 },
      { t: Date.UTC(2026, 2, 28, 23), value: 82_800 },
    ];
    const rates = bytesToBitRate(days, Date.UTC(2026, 2, 29, 22));
    expect(rates.map((r) => r.value)).toEqual([8, 8]);
  });
  it("converts bytes to bit/s and keeps gaps", () => {
    expect(bytesToBitRate(pts, t0 + 3 * H).map((p) => p.value)).toEqual([8, null, 1]);
  });
});

describe("alignSeries", () => {
  it("unions x values and fills gaps with null", () => {
    const a = [
      { t: 2000, value: 1 },
      { t: 1000, value: 2 },
    ];
    const b = [{ t: 3000, value: 7 }];
    expect(alignSeries([a, b])).toEqual([
      [1, 2, 3],
      [2, 1, null],
      [null, null, 7],
    ]);
  });
  it("handles no series", () => {
    expect(alignSeries([])).toEqual([[]]);
  });
});

describe("aggregates", () => {
  it("sums and finds the peak", () => {
    const pts = [
      { t: 1, value: 2 },
      { t: 2, value: null },
      { t: 3, value: 5 },
    ];
    expect(sumPoints(pts)).toBe(7);
    expect(sumPoints([{ t: 1, value: null }])).toBeNull();
    expect(maxPoint(pts)).toEqual({ t: 3, value: 5 });
    expect(maxPoint([])).toBeNull();
  });
  it("computes shares", () => {
    expect(shareOf(3, 1)).toBe(0.75);
    expect(shareOf(0, 0)).toBeNull();
    expect(shareOf(null, null)).toBeNull();
    expect(shareOf(null, 4)).toBe(0);
  });
});

describe("seriesRows", () => {
  it("makes one row per x, in milliseconds", () => {
    expect(seriesRows(["cdn", "p2p"], [[1, 2], [10, null], [20, 30]])).toEqual({
      header: ["start", "cdn", "p2p"],
      rows: [
        [1000, 10, 20],
        [2000, null, 30],
      ],
    });
  });
});
