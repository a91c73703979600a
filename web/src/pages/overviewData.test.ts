import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../api/client";
import { earlyWaiting, forgetEarly } from "../api/early";
import { OVERVIEW_METRICS } from "../lib/metrics";
import { comparisonPeriods } from "../lib/time";
import { CHART_GRANULARITY, overviewCalls, startOverviewEarly, TRAFFIC_METRICS } from "./overviewData";

// The client sends relative URLs, as in the browser; Node's Request needs a
// base. Hoisted above the imports: the client takes Request when made.
vi.hoisted(() => {
  const Base = globalThis.Request;
  globalThis.Request = class extends Base {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(typeof input === "string" ? new URL(input, "http://x/") : input, init);
    }
  };
});

const NOW = Date.UTC(2026, 11, 5, 18, 20);

describe("the overview's early start", () => {
  let sent: string[];
  beforeEach(() => {
    sent = [];
    vi.stubGlobal("fetch", async (r: Request) => {
      sent.push(new URL(r.url).pathname + new URL(r.url).search);
      return new Response("{}", { status: 401, headers: { "Content-Type": "application/problem+json" } });
    });
  });
  afterEach(() => {
    forgetEarly();
    vi.unstubAllGlobals();
  });

  it("starts nothing for other addresses", () => {
    for (const p of ["/", "/orgs", "/orgs/org_1/analytics", "/orgs/org_1/integrations/int_1", "/orgs/%E0%A4%A/"]) {
      expect(startOverviewEarly(p, "", NOW)).toBe(false);
    }
    expect(sent).toEqual([]);
  });

  it("sends exactly the requests the page then sends, which take the answers", async () => {
    expect(startOverviewEarly("/orgs/org_1", "?timeframe=7d", NOW)).toBe(true);
    await vi.waitFor(() => expect(sent).toHaveLength(1 + 2 * OVERVIEW_METRICS.length + TRAFFIC_METRICS.length));
    expect(earlyWaiting()).toBe(sent.length);
    const early = [...sent].sort();

    // The page's calls, as Overview makes them.
    sent = [];
    const calls = overviewCalls(api, "org_1");
    const periods = comparisonPeriods("7d", NOW);
    const page: Promise<unknown>[] = [calls.overview("7d")];
    for (const m of OVERVIEW_METRICS) page.push(calls.overall(m, periods.current), calls.overall(m, periods.previous));
    for (const m of TRAFFIC_METRICS) page.push(calls.timeseries(m, periods.current, CHART_GRANULARITY["7d"], "UTC"));
    const results = await Promise.allSettled(page);
    expect(results.every((r) => r.status === "rejected")).toBe(true); // the 401s, as the page sees them
    expect(sent, "requests the page had to send itself").toEqual([]);
    expect(earlyWaiting()).toBe(0);
    expect(early.some((u) => u.includes("timeframe%5B%5D=") || u.includes("timeframe[]="))).toBe(true);
  });
});
