import { readFileSync } from "node:fs";
import { expect, type Locator, test } from "@playwright/test";
import { demoTotals, statePath } from "./env";
import { orgOf } from "./org";
import { screen } from "./screens";

test.use({ storageState: statePath("owner") });

/** Parses RFC 4180 CSV (quotes, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n") {
      row.push(field.replace(/\r$/, ""));
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length) rows.push([...row, field]);
  return rows;
}

/** The row headers of a table body, in order. */
async function rowLabels(table: Locator): Promise<string[]> {
  return (await table.locator("tbody tr th").allInnerTexts()).map((s) => s.trim());
}

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

test("analytics: a metric, a split, a sorted breakdown and its CSV", async ({ page }) => {
  const org = await orgOf(page);
  await page.goto(`/orgs/${org}/analytics`);
  await expect(page.getByRole("heading", { level: 1, name: "Analytics" })).toBeVisible();

  // A metric and a split: one series per platform, named in the chart's table.
  const byCountry = page.waitForResponse((r) => /\/analytics\/breakdown\?/.test(r.url()) && r.url().includes("metric=viewers") && r.url().includes("group_by=country"));
  await page.getByLabel("Metric", { exact: true }).selectOption({ label: "Viewers" });
  const api = (await (await byCountry).json()) as { data: { key: string; value: number | null }[]; next_cursor?: string };
  await expect(page.getByRole("heading", { level: 2, name: "Viewers over time" })).toBeVisible();
  const split = page.waitForResponse((r) => r.url().includes("/analytics/breakdown") && r.url().includes("group_by=platform"));
  await page.getByLabel("Split by").selectOption({ label: "Platform" });
  const top = (await (await split).json()) as { data: { key: string }[] };
  expect(top.data.length, "platforms in the demo").toBeGreaterThan(1);
  const seriesPanel = page.getByRole("region", { name: "Viewers over time" });
  await expect(seriesPanel.locator(".loading")).toHaveCount(0);
  await seriesPanel.getByText("Show the data as a table").click();
  const seriesTable = seriesPanel.getByRole("table", { name: "Series values per bucket" });
  await expect(seriesTable.locator("thead th")).toHaveText(["Start", ...top.data.map((d) => d.key)]);
  await screen(page, "analytics-split");

  // The breakdown by country, sorted by the country's name, then back.
  const breakdown = page.getByRole("region", { name: "Breakdown" });
  const table = breakdown.getByRole("table");
  await expect(table).toBeVisible();
  const byValue = await rowLabels(table);
  expect(byValue.length, "countries in the demo").toBeGreaterThan(2);
  const nameHeader = table.getByRole("columnheader", { name: /Country/ });
  await nameHeader.getByRole("button").click();
  await expect(nameHeader).toHaveAttribute("aria-sort", "ascending");
  const ascending = await rowLabels(table);
  expect(ascending).toEqual([...byValue].sort(collator.compare));
  await nameHeader.getByRole("button").click();
  await expect(nameHeader).toHaveAttribute("aria-sort", "descending");
  const descending = await rowLabels(table);
  expect(descending).toEqual([...ascending].reverse());
  // Sorted by the metric, largest first, as the API's numbers say.
  const valueHeader = table.getByRole("columnheader", { name: /Viewers/ });
  await valueHeader.getByRole("button").click();
  await expect(valueHeader).toHaveAttribute("aria-sort", "descending");
  expect(await rowLabels(table)).toEqual(byValue);
  await nameHeader.getByRole("button").click();
  await expect(nameHeader).toHaveAttribute("aria-sort", "ascending");
  await screen(page, "analytics-breakdown-sorted");

  // The CSV has the header and the rows shown, in the order shown.
  const download = page.waitForEvent("download");
  await breakdown.getByRole("button", { name: "Export CSV" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/_viewers_by_country\.csv$/);
  const csv = parseCsv(readFileSync((await file.path())!, "utf8"));
  expect(csv[0]).toEqual(["country", "name", "viewers (sessions)"]);
  const shown = await rowLabels(table);
  expect(csv.slice(1).map((r) => r[1])).toEqual(shown);
  // Each row's figure is the API's.
  expect(api.next_cursor ?? null, "the demo's countries fit one page").toBeNull();
  const want = new Map(api.data.map((d) => [d.key, d.value]));
  expect(csv.length - 1).toBe(want.size);
  for (const r of csv.slice(1)) expect(r[2] === "" ? null : Number(r[2]), `viewers of ${r[0]}`).toBe(want.get(r[0]!));

  // Over 7 days, which hold the whole demo day, the CDN traffic of every
  // country adds up to what the demo's players sent.
  const totals = demoTotals();
  if (!totals) {
    test.info().annotations.push({ type: "skipped check", description: "PORTICO_DEMO_TOTALS unset: no recomputation to compare with" });
    return;
  }
  await page.getByRole("radio", { name: "7d" }).check();
  const cdnByCountry = page.waitForResponse(
    (r) => /\/analytics\/breakdown\?/.test(r.url()) && r.url().includes("metric=cdn_bytes") && r.url().includes("group_by=country"),
  );
  await page.getByLabel("Metric", { exact: true }).selectOption({ label: "CDN traffic" });
  const cdnApi = (await (await cdnByCountry).json()) as { data: { key: string; value: number | null }[]; next_cursor?: string };
  expect(cdnApi.next_cursor ?? null, "the demo's countries fit one page").toBeNull();
  await expect(breakdown.locator(".loading")).toHaveCount(0);
  const cdnDownload = page.waitForEvent("download");
  await breakdown.getByRole("button", { name: "Export CSV" }).click();
  const cdnCsv = parseCsv(readFileSync((await (await cdnDownload).path())!, "utf8"));
  const shownSum = cdnCsv.slice(1).reduce((sum, r) => sum + Number(r[2]), 0);
  expect(cdnCsv.length - 1, "countries shown").toBe(cdnApi.data.length);
  expect(shownSum, "CDN bytes of every country over 7d against the beacons sent").toBe(totals.cdn_bytes);
  await screen(page, "analytics-cdn-7d");
});
