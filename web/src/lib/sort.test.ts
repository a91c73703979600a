import { describe, expect, it } from "vitest";
import { ariaSort, nextSort, sortRows } from "./sort";

type Row = { key: string; value: number | null };
const rows: Row[] = [
  { key: "item10", value: 5 },
  { key: "item2", value: null },
  { key: "Item1", value: 9 },
  { key: "b", value: 5 },
];
const get = (r: Row, k: "key" | "value") => r[k];

describe("sortRows", () => {
  it("sorts numbers both ways with missing values last", () => {
    expect(sortRows(rows, { key: "value", direction: "desc" }, get).map((r) => r.key)).toEqual([
      "Item1",
      "item10",
      "b",
      "item2",
    ]);
    expect(sortRows(rows, { key: "value", direction: "asc" }, get).map((r) => r.key)).toEqual([
      "item10",
      "b",
      "Item1",
      "item2",
    ]);
  });
  it("sorts text numerically and ignoring case", () => {
    expect(sortRows(rows, { key: "key", direction: "asc" }, get).map((r) => r.key)).toEqual([
      "b",
      "Item1",
      "item2",
      "item10",
    ]);
  });
  it("does not change its input", () => {
    const copy = [...rows];
    sortRows(rows, { key: "key", direction: "desc" }, get);
    expect(rows).toEqual(copy);
  });
});

describe("nextSort and ariaSort", () => {
  it("flips the same column and starts a new one at its default", () => {
    expect(nextSort({ key: "value", direction: "desc" }, "value", "desc")).toEqual({ key: "value", direction: "asc" });
    expect(nextSort({ key: "value", direction: "asc" }, "key", "asc")).toEqual({ key: "key", direction: "asc" });
    expect(ariaSort({ key: "value", direction: "asc" }, "value")).toBe("ascending");
    expect(ariaSort({ key: "value", direction: "desc" }, "value")).toBe("descending");
    expect(ariaSort({ key: "value", direction: "asc" }, "key")).toBe("none");
  });
});
