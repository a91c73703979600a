import { describe, expect, it } from "vitest";
import { changeTone, computeChange, describeChange, formatChange } from "./delta";

describe("computeChange", () => {
  it("is relative for amounts", () => {
    const c = computeChange(150, 100, "relative");
    expect(c.value).toBeCloseTo(0.5);
    expect(c.direction).toBe("up");
    expect(computeChange(75, 100, "relative").value).toBeCloseTo(-0.25);
    expect(computeChange(75, 100, "relative").direction).toBe("down");
  });
  it("is in points for ratios", () => {
    const c = computeChange(0.62, 0.5, "points");
    expect(c.value).toBeCloseTo(0.12);
    expect(c.direction).toBe("up");
  });
  it("has no value when a figure is missing", () => {
    expect(computeChange(null, 1, "relative")).toEqual({ kind: "relative", value: null, direction: "none" });
    expect(computeChange(1, null, "points")).toEqual({ kind: "points", value: null, direction: "none" });
    expect(computeChange(1, undefined, "points").direction).toBe("none");
  });
  it("treats a rise from zero as new and zero to zero as flat", () => {
    expect(computeChange(10, 0, "relative")).toEqual({ kind: "relative", value: null, direction: "up" });
    expect(computeChange(0, 0, "relative")).toEqual({ kind: "relative", value: 0, direction: "flat" });
  });
  it("counts tiny changes as flat", () => {
    expect(computeChange(100.01, 100, "relative").direction).toBe("flat");
    expect(computeChange(0.5001, 0.5, "points").direction).toBe("flat");
  });
  it("compares with a negative previous value by its magnitude", () => {
    expect(computeChange(-50, -100, "relative").value).toBeCloseTo(0.5);
  });
});

describe("formatChange", () => {
  it("signs and suffixes", () => {
    expect(formatChange(computeChange(150, 100, "relative"))).toBe("+50.0%");
    expect(formatChange(computeChange(96, 100, "relative"))).toBe("−4.0%");
    expect(formatChange(computeChange(0.45, 0.5, "points"))).toBe("−5.0 pp");
    expect(formatChange(computeChange(100, 100, "relative"))).toBe("±0.0%");
    expect(formatChange(computeChange(5, 0, "relative"))).toBe("new");
    expect(formatChange(computeChange(null, 0, "relative"))).toBe("—");
  });
});

describe("changeTone", () => {
  it("follows the metric's polarity", () => {
    const up = computeChange(2, 1, "relative");
    const down = computeChange(1, 2, "relative");
    expect(changeTone(up, "higher-is-better")).toBe("good");
    expect(changeTone(up, "lower-is-better")).toBe("bad");
    expect(changeTone(down, "lower-is-better")).toBe("good");
    expect(changeTone(down, "neutral")).toBe("neutral");
    expect(changeTone(computeChange(1, 1, "relative"), "higher-is-better")).toBe("neutral");
  });
});

describe("describeChange", () => {
  it("reads as a sentence", () => {
    expect(describeChange(computeChange(150, 100, "relative"), "100 B")).toBe(
      "up 50.0% from 100 B in the previous period",
    );
    expect(describeChange(computeChange(1, 1, "relative"), "1 B")).toBe("unchanged from 1 B in the previous period");
    expect(describeChange(computeChange(null, null, "relative"), "—")).toBe("no previous figure to compare");
  });
});
