import { expect, test } from "@playwright/test";
import { demoOrg, statePath } from "./env";
import { screen } from "./screens";

test.use({ storageState: statePath("admin") });

test("staff: every organization, and a search", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "Organizations" })).toBeVisible();
  await screen(page, "staff-home");

  await page.getByRole("link", { name: "Staff: organizations" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "All organizations" })).toBeVisible();
  const orgs = page.getByRole("table", { name: "Organizations" });
  await expect(orgs.getByRole("link", { name: demoOrg.name })).toBeVisible();
  expect(await orgs.locator("tbody tr").count()).toBeGreaterThanOrEqual(2);
  await screen(page, "staff-organizations");

  const search = page.getByRole("search");
  await search.getByLabel("Name, slug or id").fill("acme");
  await search.getByRole("button", { name: "Search" }).click();
  await expect(orgs.locator("tbody tr")).toHaveCount(1);
  await expect(orgs.getByRole("row", { name: new RegExp(demoOrg.name) })).toContainText(demoOrg.slug);
  await screen(page, "staff-organizations-search");

  await search.getByLabel("Name, slug or id").fill("no-such-organization");
  await search.getByRole("button", { name: "Search" }).click();
  await expect(page.getByText("No organization matches")).toBeVisible();
});
