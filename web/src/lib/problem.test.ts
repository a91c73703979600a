import { describe, expect, it } from "vitest";
import { fieldErrors, isProblem, problemCode, problemHint, toProblem } from "./problem";

describe("isProblem and toProblem", () => {
  it("recognises problem documents", () => {
    expect(isProblem({ title: "Not found", status: 404 })).toBe(true);
    expect(isProblem({ title: "x" })).toBe(false);
    expect(isProblem("<html>")).toBe(false);
    expect(isProblem(null)).toBe(false);
  });
  it("makes one from a status when the body is not one", () => {
    const p = { type: "about:blank", title: "Gone", status: 410 };
    expect(toProblem(p, 410)).toBe(p);
    expect(toProblem("<html>", 502, "Bad Gateway")).toEqual({ title: "Bad Gateway", status: 502 });
    expect(toProblem(undefined, 500)).toEqual({ title: "Request failed (HTTP 500)", status: 500 });
    expect(toProblem(undefined, 0).title).toBe("The server could not be reached");
  });
});

describe("problemCode", () => {
  it("takes the last path segment of the type", () => {
    expect(problemCode({ type: "https://portico.dev/problems/csrf-check-failed", title: "", status: 403 })).toBe(
      "csrf-check-failed",
    );
    expect(problemCode({ type: "about:blank", title: "", status: 404 })).toBe("about:blank");
    expect(problemCode({ title: "", status: 404 })).toBe("");
  });
});

describe("fieldErrors", () => {
  const p = {
    title: "Invalid settings",
    status: 422,
    errors: [
      { pointer: "/document/activation_ratio", detail: "must be at most 1" },
      { pointer: "/document/activation_ratio", detail: "must be a number" },
      { pointer: "/document/geo/allow/0", detail: "not a country code" },
      { pointer: "/message", detail: "too long" },
      { pointer: "", detail: "the body is not JSON" },
    ],
  };
  it("maps pointers below the prefix to fields", () => {
    const { byPointer, other } = fieldErrors(p, "/document");
    expect(byPointer).toEqual({
      "/activation_ratio": "must be at most 1; must be a number",
      "/geo/allow/0": "not a country code",
    });
    expect(other).toEqual(["/message: too long", "the body is not JSON"]);
  });
  it("keeps every pointer without a prefix", () => {
    expect(fieldErrors(p).byPointer["/message"]).toBe("too long");
    expect(fieldErrors(null)).toEqual({ byPointer: {}, other: [] });
  });
  it("does not take a sibling that shares the prefix's text", () => {
    const q = { title: "", status: 422, errors: [{ pointer: "/documents/x", detail: "d" }] };
    expect(fieldErrors(q, "/document").other).toEqual(["/documents/x: d"]);
  });
});

describe("problemHint", () => {
  it("explains preconditions and throttling", () => {
    expect(problemHint({ title: "", status: 412 })).toMatch(/newer version/);
    expect(problemHint({ title: "", status: 428 })).toMatch(/which version/);
    expect(problemHint({ title: "", status: 429, retry_after_seconds: 30 })).toBe("Try again in 30 s.");
    expect(problemHint({ title: "", status: 404 })).toBeUndefined();
  });
});
