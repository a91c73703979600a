import { describe, expect, it } from "vitest";
import { resetCodeFromHash, safeNext, tokenFromHash } from "./links";

const TOKEN = "pinv_" + "A".repeat(40) + "b-_";

describe("tokenFromHash", () => {
  it("reads the token of an invitation link", () => {
    expect(tokenFromHash(`#${TOKEN}`)).toBe(TOKEN);
    expect(tokenFromHash(`#token=${TOKEN}`)).toBe(TOKEN);
  });
  it("refuses anything else", () => {
    expect(tokenFromHash("")).toBeNull();
    expect(tokenFromHash("#pinv_short")).toBeNull();
    expect(tokenFromHash(`#${TOKEN}x`)).toBeNull();
    expect(tokenFromHash("#%E0%A4%A")).toBeNull();
  });
});

describe("resetCodeFromHash", () => {
  it("reads reset_code", () => {
    expect(resetCodeFromHash("#reset_code=abc123")).toBe("abc123");
    expect(resetCodeFromHash("#other=1&reset_code=x%2By")).toBe("x+y");
    expect(resetCodeFromHash("#reset_code=")).toBeNull();
    expect(resetCodeFromHash("")).toBeNull();
  });
});

describe("safeNext", () => {
  it("keeps paths of this app only", () => {
    expect(safeNext("/orgs/org_1/analytics?timeframe=7d")).toBe("/orgs/org_1/analytics?timeframe=7d");
    expect(safeNext("//evil.example/")).toBe("/");
    expect(safeNext("/\\evil.example")).toBe("/");
    expect(safeNext("https://evil.example/")).toBe("/");
    expect(safeNext("/sign-in?next=/x")).toBe("/");
    expect(safeNext(null)).toBe("/");
  });
});
