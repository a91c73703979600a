import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EARLY_MAX_AGE_MS, earlyWaiting, fetchEarly, fetchTakingEarly, forgetEarly } from "./early";

describe("early requests", () => {
  let sent: string[];
  beforeEach(() => {
    sent = [];
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.stubGlobal("fetch", async (r: Request) => {
      sent.push(`${r.method} ${r.url}`);
      return new Response(JSON.stringify({ n: sent.length }), { headers: { "Content-Type": "application/json" } });
    });
  });
  afterEach(() => {
    forgetEarly();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it("answers the page's GET with the early one, once", async () => {
    const early = await fetchEarly(new Request("http://x/v1/a?b=1"));
    expect(await early.json()).toEqual({ n: 1 });
    const taken = await fetchTakingEarly(new Request("http://x/v1/a?b=1"));
    expect(await taken.json()).toEqual({ n: 1 });
    expect(sent).toEqual(["GET http://x/v1/a?b=1"]);
    // The next ask is sent.
    await fetchTakingEarly(new Request("http://x/v1/a?b=1"));
    expect(sent).toHaveLength(2);
  });

  it("sends what was not started early, and other URLs", async () => {
    await fetchEarly(new Request("http://x/v1/a?b=1"));
    await fetchTakingEarly(new Request("http://x/v1/a?b=2"));
    expect(sent).toEqual(["GET http://x/v1/a?b=1", "GET http://x/v1/a?b=2"]);
    expect(earlyWaiting()).toBe(1);
  });

  it("keeps no unsafe request", async () => {
    await fetchEarly(new Request("http://x/v1/a", { method: "POST", body: "{}" }));
    await fetchTakingEarly(new Request("http://x/v1/a"));
    expect(sent).toEqual(["POST http://x/v1/a", "GET http://x/v1/a"]);
  });

  it("lets an early answer expire", async () => {
    await fetchEarly(new Request("http://x/v1/old"));
    vi.advanceTimersByTime(EARLY_MAX_AGE_MS + 1);
    await fetchTakingEarly(new Request("http://x/v1/old"));
    expect(sent).toEqual(["GET http://x/v1/old", "GET http://x/v1/old"]);
  });

  it("passes a failure on to the page's request", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("network down");
    });
    await expect(fetchEarly(new Request("http://x/v1/down"))).rejects.toThrow("network down");
    await expect(fetchTakingEarly(new Request("http://x/v1/down"))).rejects.toThrow("network down");
  });
});
