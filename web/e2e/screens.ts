import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";
import { outputDir } from "./env";

const seen = new Set<string>();

/**
 * Records a screen once it has settled: waits for every loading message to
 * go, saves a full-page PNG named name, and runs axe on it. A serious or
 * critical violation fails the test (softly, so that the rest of the test
 * still runs) with the list of them; the others are counted in
 * screens.jsonl beside the PNGs.
 */
export async function screen(page: Page, name: string): Promise<void> {
  if (seen.has(name)) throw new Error(`screen ${name} recorded twice; give each one its own name`);
  seen.add(name);
  await expect(page.locator(".loading"), `${name}: still loading`).toHaveCount(0);
  mkdirSync(outputDir, { recursive: true });
  // From the top: a full-page shot of a scrolled page shows the sticky bar midway.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(outputDir, `${name}.png`), fullPage: true, animations: "disabled" });

  const { violations } = await new AxeBuilder({ page }).analyze();
  const blocking = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  appendFileSync(
    path.join(outputDir, "screens.jsonl"),
    JSON.stringify({
      screen: name,
      path: new URL(page.url()).pathname,
      violations: violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
    }) + "\n",
  );
  const report = blocking
    .map((v) => `  ${v.impact} ${v.id}: ${v.help} (${v.helpUrl})\n` + v.nodes.map((n) => `    ${n.target.join(" ")}: ${n.failureSummary?.replace(/\n/g, " ")}`).join("\n"))
    .join("\n");
  expect.soft(blocking.length, `accessibility violations on ${name} (${page.url()}):\n${report}`).toBe(0);
}
