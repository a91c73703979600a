import { describe, expect, it } from "vitest";
import { fromPointer, getIn, setIn, toPointer } from "./pointer";

describe("pointers", () => {
  it("escapes ~ and /", () => {
    expect(toPointer(["geo", "allow", 0])).toBe("/geo/allow/0");
    expect(toPointer(["a/b", "c~d"])).toBe("/a~1b/c~0d");
    expect(toPointer([])).toBe("");
  });
  it("round-trips", () => {
    expect(fromPointer("/a~1b/c~0d/0")).toEqual(["a/b", "c~d", "0"]);
    expect(fromPointer("")).toEqual([]);
    expect(() => fromPointer("a")).toThrow();
    // "~01" is "~1" unescaped once, not "/".
    expect(fromPointer("/~01")).toEqual(["~1"]);
  });
});

describe("getIn", () => {
  it("reads nested values", () => {
    const doc = { p2p: { cellular: { upload: false } }, sites: [{ name: "hq" }] };
    expect(getIn(doc, ["p2p", "cellular", "upload"])).toBe(false);
    expect(getIn(doc, ["sites", 0, "name"])).toBe("hq");
    expect(getIn(doc, ["missing", "x"])).toBeUndefined();
    expect(getIn(doc, [])).toBe(doc);
  });
});

describe("setIn", () => {
  it("sets without changing the original, creating objects", () => {
    const doc = { a: { b: 1 } };
    const next = setIn(doc, ["a", "c", "d"], true);
    expect(next).toEqual({ a: { b: 1, c: { d: true } } });
    expect(doc).toEqual({ a: { b: 1 } });
  });
  it("removes a key set to undefined, and parents left empty", () => {
    const doc = { p2p: { cellular: { upload: false } }, ratio: 0.5 };
    expect(setIn(doc, ["p2p", "cellular", "upload"], undefined)).toEqual({ ratio: 0.5 });
    expect(setIn(doc, ["ratio"], undefined)).toEqual({ p2p: { cellular: { upload: false } } });
  });
  it("edits and removes array items", () => {
    const doc = { sites: [{ name: "a" }, { name: "b" }] };
    expect(setIn(doc, ["sites", 1, "name"], "c")).toEqual({ sites: [{ name: "a" }, { name: "c" }] });
    expect(setIn(doc, ["sites", 0], undefined)).toEqual({ sites: [{ name: "b" }] });
  });
  it("replaces the whole document at the empty path", () => {
    expect(setIn({ a: 1 }, [], { b: 2 })).toEqual({ b: 2 });
  });
});
