import { describe, expect, it } from "vitest";
import { changeKindOf, metricInfo, METRICS, OVERVIEW_METRICS } from "./metrics";

describe("metrics", () => {
  it("lists each metric once", () => {
    expect(new Set(METRICS.map((m) => m.id)).size).toBe(METRICS.length);
    expect(METRICS).toHaveLength(14);
  });
  it("describes the overview's figures", () => {
    expect(OVERVIEW_METRICS.map((m) => metricInfo(m).unit)).toEqual(["bytes", "bytes", "ratio", "sessions", "ratio", "ms"]);
    expect(metricInfo("rebuffering_ratio").polarity).toBe("lower-is-better");
    expect(() => metricInfo("nope")).toThrow();
  });
  it("changes ratios in points", () => {
    expect(changeKindOf("ratio")).toBe("points");
    expect(changeKindOf("bytes")).toBe("relative");
  });
});
