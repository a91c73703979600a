import { expect, test } from "@playwright/test";
import { baseURL, statePath } from "./env";
import { orgOf } from "./org";
import { screen } from "./screens";

test.use({ storageState: statePath("owner") });

test("members and invitations", async ({ page }) => {
  const org = await orgOf(page);
  await page.goto(`/orgs/${org}/members`);
  await expect(page.getByRole("heading", { level: 1, name: "Members" })).toBeVisible();
  const members = page.getByRole("region", { name: "Members" });
  await expect(members.getByRole("row", { name: /\(you\)/ })).toBeVisible();
  // The owner and the demo's viewer.
  await expect(members.locator("tbody tr")).toHaveCount(2);

  const email = `invitee-${Date.now()}@acme.example`;
  const invite = page.getByRole("form", { name: "Invite someone" });
  await invite.getByLabel("E-mail address").fill(email);
  await invite.getByLabel("Role").selectOption("editor");
  await invite.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Invitation sent to ${email}.` })).toBeVisible();
  const invitations = page.getByRole("region", { name: "Invitations" });
  await expect(invitations.getByRole("row", { name: new RegExp(email.replace(/[.]/g, "\\.")) })).toContainText("editor");
  await screen(page, "members");
});

test("API keys: a new key's secret is shown once", async ({ page, playwright }) => {
  const org = await orgOf(page);
  await page.goto(`/orgs/${org}/api-keys`);
  await expect(page.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
  await screen(page, "api-keys");

  const name = `browser test ${Date.now()}`;
  const form = page.getByRole("form", { name: "New API key" });
  await form.getByLabel("Name").fill(name);
  const created = page.waitForResponse((r) => r.url().endsWith(`/v1/orgs/${org}/api-keys`) && r.request().method() === "POST");
  await form.getByRole("button", { name: "Create key" }).click();
  const body = (await (await created).json()) as { id: string; key: string };
  const secret = page.getByTestId("api-key-secret");
  await expect(secret).toHaveText(body.key);
  await expect(page.getByRole("region", { name: "Keys" }).getByRole("row", { name: new RegExp(name) })).toContainText("analytics:read");
  await screen(page, "api-key-created");

  // The key reads analytics, with nothing but itself.
  const script = await playwright.request.newContext({ baseURL, storageState: { cookies: [], origins: [] }, extraHTTPHeaders: { Authorization: `Bearer ${body.key}` } });
  try {
    const res = await script.get(`/v1/orgs/${org}/analytics/overall?metric=viewers&timeframe[]=24h`);
    expect(res.status(), await res.text()).toBe(200);
  } finally {
    await script.dispose();
  }

  // Once dismissed, or on the next visit, the secret is nowhere on the page.
  await page.getByRole("button", { name: "I have saved it" }).click();
  await expect(secret).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole("region", { name: "Keys" }).getByRole("row", { name: new RegExp(name) })).toBeVisible();
  expect(await page.content()).not.toContain(body.key);
});
