import { writeFileSync } from "node:fs";
import path from "node:path";
import { expect, type Page, type Request, test } from "@playwright/test";
import { demoTotals, outputDir, statePath } from "./env";
import { getJSON, orgOf } from "./org";
import { screen } from "./screens";

test.use({ storageState: statePath("owner") });

const HOUR = 3_600_000;
const TIMEFRAMES = { "24h": 24 * HOUR, "7d": 7 * 24 * HOUR } as const;

/** The overall figure requests the page sent, as sent. */
function overallRequests(page: Page): URL[] {
  const seen: URL[] = [];
  page.on("request", (r: Request) => {
    const u = new URL(r.url());
    if (r.method() === "GET" && /\/analytics\/overall$/.test(u.pathname)) seen.push(u);
  });
  return seen;
}

function period(u: URL): { from: number; to: number } {
  const [from, to] = u.searchParams.getAll("timeframe[]");
  return { from: Date.parse(from ?? ""), to: Date.parse(to ?? "") };
}

/** "" (no value) is null; anything else the number the attribute holds. */
function attrValue(v: string | null): number | null {
  expect(v, "figure without data-value").not.toBeNull();
  return v === "" ? null : Number(v);
}

/**
 * Checks every key figure on the page against the API's answer to the
 * same query, sent again through the page's session: the current and the
 * previous period, exactly.
 */
async function checkFigures(page: Page, sent: URL[], timeframe: keyof typeof TIMEFRAMES) {
  const figures = page.locator('[data-testid^="figure-"]');
  await expect(page.getByRole("list", { name: "Key figures" })).toBeVisible();
  const count = await figures.count();
  expect(count, "key figures shown").toBeGreaterThan(0);
  const len = TIMEFRAMES[timeframe];
  for (let i = 0; i < count; i++) {
    const fig = figures.nth(i);
    const metric = (await fig.getAttribute("data-testid"))!.slice("figure-".length);
    const ofMetric = sent.filter((u) => u.searchParams.get("metric") === metric && period(u).to - period(u).from === len);
    const current = ofMetric.reduce<URL | undefined>((a, u) => (!a || period(u).to > period(a).to ? u : a), undefined);
    expect(current, `the page's request for ${metric} over ${timeframe}`).toBeDefined();
    const { from, to } = period(current!);
    // The period ends at the next whole hour, as the page says.
    expect(to % HOUR).toBe(0);
    expect(to - Date.now()).toBeLessThanOrEqual(HOUR);
    const previous = ofMetric.find((u) => period(u).to === from);
    expect(previous, `the page's request for ${metric} over the ${timeframe} before`).toBeDefined();

    for (const [attr, u] of [["data-value", current!], ["data-previous", previous!]] as const) {
      const api = await getJSON<{ data: { value: number | null } }>(page, u.pathname + u.search);
      expect(attrValue(await fig.getAttribute(attr)), `${metric} ${attr} over ${timeframe} (${u.search})`).toBe(api.data.value);
    }
  }
}

test("the overview's key figures are the API's, and nothing is missing", async ({ page }) => {
  const org = await orgOf(page);
  const sent = overallRequests(page);
  await page.goto(`/orgs/${org}`);
  await expect(page.getByRole("heading", { level: 1, name: "Acme Streaming: overview" })).toBeVisible();
  await expect(page.locator("section[aria-busy]").first()).toHaveAttribute("aria-busy", "false");
  await checkFigures(page, sent, "24h");
  await expect(page.getByTestId("partial-data")).toHaveCount(0);
  await expect(page.getByRole("table").filter({ hasText: "Acme Web" })).toBeVisible();
  await screen(page, "overview");

  await page.getByRole("radio", { name: "7d" }).check();
  await expect(page).toHaveURL(/timeframe=7d/);
  await expect(page.locator("section[aria-busy]").first()).toHaveAttribute("aria-busy", "false");
  await checkFigures(page, sent, "7d");
  await expect(page.getByTestId("partial-data")).toHaveCount(0);
  await expect(page.getByRole("heading", { level: 2, name: "Integrations, last 7 days" })).toBeVisible();
  await screen(page, "overview-7d");

  // The last 7 days hold the whole demo day: the traffic figures equal
  // the totals portico all --demo counted from the beacons it sent, a
  // recomputation that owes nothing to analytics.
  const totals = demoTotals();
  if (!totals) {
    test.info().annotations.push({ type: "skipped check", description: "PORTICO_DEMO_TOTALS unset: no recomputation to compare with" });
    return;
  }
  const value = async (metric: string) => attrValue(await page.getByTestId(`figure-${metric}`).getAttribute("data-value"));
  expect(await value("cdn_bytes"), "CDN bytes over 7d against the beacons sent").toBe(totals.cdn_bytes);
  expect(await value("p2p_bytes"), "P2P bytes over 7d against the beacons sent").toBe(totals.p2p_bytes);
  expect(await value("offload_ratio"), "offload ratio over 7d against the beacons sent").toBeCloseTo(
    totals.p2p_bytes / (totals.cdn_bytes + totals.p2p_bytes), 12);
});


test.describe("on a 360 px wide phone", () => {
  test.use({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

  test("the overview fits without scrolling sideways, and its menu opens", async ({ page }) => {
    const org = await orgOf(page);
    await page.goto(`/orgs/${org}`);
    await expect(page.getByRole("list", { name: "Key figures" })).toBeVisible();
    await expect(page.locator("section[aria-busy]").first()).toHaveAttribute("aria-busy", "false");
    const width = await page.evaluate(() => document.scrollingElement!.scrollWidth);
    expect(width, "document width at 360 px").toBeLessThanOrEqual(360 + 2);
    await expect(page.getByTestId("figure-cdn_bytes")).toBeInViewport();
    await screen(page, "overview-360");

    const menu = page.getByRole("button", { name: "Menu" });
    await menu.click();
    await expect(menu).toHaveAttribute("aria-expanded", "true");
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" })).toBeVisible();
    await screen(page, "overview-360-menu");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Integrations" })).toBeVisible();
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360 + 2);
  });

  test("every other screen of the organization fits too", async ({ page }) => {
    const org = await orgOf(page);
    const screens: [string, string, string][] = [
      ["analytics-360", `/orgs/${org}/analytics`, "Analytics"],
      ["integrations-360", `/orgs/${org}/integrations`, "Integrations"],
      ["members-360", `/orgs/${org}/members`, "Members"],
      ["api-keys-360", `/orgs/${org}/api-keys`, "API keys"],
      ["audit-360", `/orgs/${org}/audit`, "Audit log"],
    ];
    for (const [name, path, heading] of screens) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
      await expect(page.locator(".loading")).toHaveCount(0);
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth), `document width of ${path} at 360 px`).toBeLessThanOrEqual(360 + 2);
      await screen(page, name);
    }
    await page.goto(`/orgs/${org}/integrations`);
    await page.getByRole("link", { name: "Acme Web" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Acme Web" })).toBeVisible();
    await expect(page.locator(".loading")).toHaveCount(0);
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth), "document width of an integration at 360 px").toBeLessThanOrEqual(360 + 2);
    await screen(page, "integration-detail-360");
  });
});

test("performance of a first load of the overview (measured, not asserted)", async ({ page }) => {
  const org = await orgOf(page);
  // When the first key figure is in the document, and the frame after it.
  await page.addInitScript(() => {
    const w = window as unknown as { __figuresInDom?: number; __figuresPainted?: number };
    new MutationObserver((_, observer) => {
      if (w.__figuresInDom === undefined && document.querySelector('[data-testid^="figure-"]')) {
        w.__figuresInDom = performance.now();
        observer.disconnect();
        requestAnimationFrame(() => {
          w.__figuresPainted = performance.now();
        });
      }
    }).observe(document, { childList: true, subtree: true });
  });
  const scripts: { url: string; request: Request }[] = [];
  page.on("request", (r) => {
    if (r.resourceType() === "script") scripts.push({ url: r.url(), request: r });
  });

  await page.goto(`/orgs/${org}`);
  await page.waitForFunction(() => (window as unknown as { __figuresPainted?: number }).__figuresPainted !== undefined);
  await expect(page.getByRole("list", { name: "Key figures" })).toBeVisible();
  // The rest of the first load: the chart and the tables.
  await expect(page.locator("section[aria-busy]").first()).toHaveAttribute("aria-busy", "false");
  await expect(page.locator(".loading")).toHaveCount(0);
  const timing = await page.evaluate(() => {
    const w = window as unknown as { __figuresInDom: number; __figuresPainted: number };
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
    const started = Object.fromEntries(
      performance.getEntriesByType("resource").map((e) => [new URL(e.name).pathname, { startMs: e.startTime, decodedBytes: (e as PerformanceResourceTiming).decodedBodySize }]),
    );
    return { figuresInDomMs: w.__figuresInDom, figuresVisibleMs: w.__figuresPainted, domContentLoadedMs: nav?.domContentLoadedEventEnd ?? null, started };
  });
  type ScriptFile = { path: string; status: number | null; contentEncoding: string | null; encodedBytes: number; decodedBytes: number | null; beforeFigures: boolean };
  const files: ScriptFile[] = [];
  for (const s of scripts) {
    const res = await s.request.response();
    const sizes = await s.request.sizes();
    const p = new URL(s.url).pathname;
    files.push({
      path: p,
      status: res?.status() ?? null,
      contentEncoding: (await res?.headerValue("content-encoding")) ?? null,
      encodedBytes: sizes.responseBodySize,
      decodedBytes: timing.started[p]?.decodedBytes ?? null,
      beforeFigures: (timing.started[p]?.startMs ?? Infinity) <= timing.figuresVisibleMs,
    });
  }
  const sum = (fs: ScriptFile[]) => fs.reduce((n, f) => n + f.encodedBytes, 0);
  const before = files.filter((f) => f.beforeFigures);
  const report = {
    measuredAt: new Date().toISOString(),
    baseURL: new URL(page.url()).origin,
    page: "overview (24h), first load, empty cache",
    figuresVisibleMs: Math.round(timing.figuresVisibleMs),
    figuresInDomMs: Math.round(timing.figuresInDomMs),
    domContentLoadedMs: timing.domContentLoadedMs === null ? null : Math.round(timing.domContentLoadedMs),
    initialJavaScript: {
      files: files.length,
      encodedBytes: sum(files),
      beforeFiguresFiles: before.length,
      beforeFiguresEncodedBytes: sum(before),
      byFile: files,
    },
  };
  writeFileSync(path.join(outputDir, "performance.json"), JSON.stringify(report, null, 2) + "\n");
  console.log(
    `overview: key figures visible ${report.figuresVisibleMs} ms after navigation start; initial JavaScript ` +
      `${report.initialJavaScript.encodedBytes} bytes transferred in ${files.length} files ` +
      `(${report.initialJavaScript.beforeFiguresEncodedBytes} bytes in ${before.length} before the figures)`,
  );
  expect(files.length, "scripts loaded").toBeGreaterThan(0);
});
