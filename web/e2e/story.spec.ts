import { readFileSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import { baseURL, statePath } from "./env";
import { getJSON, orgOf } from "./org";
import { screen } from "./screens";

// The customer's story through the UI alone: the owner invites an
// administrator; she accepts from the mail's link, signs in, creates an
// integration for her site, and her player gets its SDK config.

/** The accept link of the invitation mailed to email, from portico's log (mail is logged, not sent, by portico all). */
async function acceptLink(email: string): Promise<string> {
  const log = process.env.PORTICO_LOG;
  if (!log) throw new Error("PORTICO_LOG is not set: the invitation's link is read from portico's log");
  for (let i = 0; i < 100; i++) {
    for (const line of readFileSync(log, "utf8").split("\n")) {
      if (!line.includes(email)) continue;
      const rec = JSON.parse(line) as { msg?: string; to?: string; accept_url?: string };
      if (rec.to === email && rec.accept_url) return rec.accept_url;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no invitation mail to ${email} in ${log}`);
}

/** Opens url's path and fragment on the dashboard under test. */
function onDashboard(url: string): string {
  const u = new URL(url);
  return `${baseURL}${u.pathname}${u.hash}`;
}

async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("the customer's story: invited, joined, signed in, an integration made and its config fetched", async ({ browser }) => {
  const owner = await browser.newContext({ storageState: statePath("owner") });
  const ownerPage = await owner.newPage();
  const org = await orgOf(ownerPage);
  const email = `ada-${Date.now()}@acme.example`;
  const password = "ada's own long passphrase";

  await ownerPage.goto(`/orgs/${org}/members`);
  const invite = ownerPage.getByRole("form", { name: "Invite someone" });
  await invite.getByLabel("E-mail address").fill(email);
  await invite.getByLabel("Role").selectOption("admin");
  await invite.getByRole("button", { name: "Send invitation" }).click();
  await expect(ownerPage.getByRole("status").filter({ hasText: `Invitation sent to ${email}.` })).toBeVisible();
  await owner.close();

  // Ada, in a browser of her own, from the mail's link.
  const ada = await browser.newContext();
  const page = await ada.newPage();
  await page.goto(onDashboard(await acceptLink(email)));
  await expect(page.getByRole("heading", { level: 1, name: "Accept invitation" })).toBeVisible();
  await page.getByLabel("Your name").fill("Ada Admin");
  await page.getByLabel("New password").fill(password);
  await page.getByRole("button", { name: "Create account and join" }).click();
  await expect(page.getByText("Invitation accepted")).toBeVisible();
  await screen(page, "story-accepted");
  await page.getByRole("link", { name: "Sign in" }).click();
  await signIn(page, email, password);
  await expect(page).toHaveURL(new RegExp(`/orgs/${org}`));

  // Her integration, for her site.
  await page.goto(`/orgs/${org}/integrations`);
  await page.getByRole("button", { name: "New integration" }).click();
  const form = page.getByRole("form", { name: "New integration" });
  await form.getByLabel("Name").fill("Ada's site");
  await form.getByLabel("Allowed domains").fill("ada.acme.example");
  await form.getByRole("button", { name: "Create integration" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Ada's site" })).toBeVisible();
  const key = (await page.getByTestId("delivery-key").innerText()).trim();
  const integrationId = page.url().split("/").pop()!;
  await screen(page, "story-integration");

  // Her player, on her site, gets the integration's config.
  const cfg = await getJSON<{ integration_id: string }>(page, `/v1/sdk/config/${encodeURIComponent(key)}`, { Origin: "https://ada.acme.example" });
  expect(cfg.integration_id).toBe(integrationId);
  await ada.close();
});
