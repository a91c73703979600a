import { describe, expect, it } from "vitest";
import { addFilter, filterParam, MAX_FILTERS, parseFilter, valueLabel } from "./filters";

describe("filters", () => {
  it("writes keep and drop filters", () => {
    expect(filterParam({ dimension: "country", value: "FR", exclude: false })).toBe("country:FR");
    expect(filterParam({ dimension: "isp", value: "", exclude: true })).toBe("!isp:");
  });
  it("parses them back, values with colons included", () => {
    expect(parseFilter("!content_id:live:news")).toEqual({ dimension: "content_id", value: "live:news", exclude: true });
    expect(parseFilter("platform:web")).toEqual({ dimension: "platform", value: "web", exclude: false });
    expect(parseFilter("nonsense:x")).toBeNull();
    expect(parseFilter("country")).toBeNull();
  });
  it("adds without duplicates, up to the limit", () => {
    const f = { dimension: "country" as const, value: "FR", exclude: false };
    expect(addFilter([f], { ...f })).toHaveLength(1);
    expect(addFilter([f], { ...f, exclude: true })).toHaveLength(2);
    const full = Array.from({ length: MAX_FILTERS }, (_, i) => ({ ...f, value: `v${i}` }));
    expect(addFilter(full, { ...f, value: "more" })).toHaveLength(MAX_FILTERS);
  });
  it("labels unknown values", () => {
    expect(valueLabel("")).toBe("(unknown)");
    expect(valueLabel("FR")).toBe("FR");
  });
});
