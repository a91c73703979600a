import { expect, test } from "@playwright/test";
import { people } from "./env";
import { screen } from "./screens";

test("sign in with a wrong password, then the right one, then sign out", async ({ page }) => {
  const owner = people.owner;
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await screen(page, "sign-in");

  // A wrong password: the page shows the problem the API answered.
  await page.getByLabel("E-mail address").fill(owner.email);
  await page.getByLabel("Password").fill("not the password");
  const refused = page.waitForResponse((r) => r.url().endsWith("/v1/login") && r.request().method() === "POST");
  await page.getByRole("button", { name: "Sign in" }).click();
  const res = await refused;
  expect(res.status()).toBe(401);
  const problem = (await res.json()) as { title: string; detail?: string };
  const alert = page.getByRole("alert");
  await expect(alert).toContainText(problem.title);
  if (problem.detail) await expect(alert).toContainText(problem.detail);
  await expect(page).toHaveURL(/\/sign-in$/);
  await screen(page, "sign-in-refused");

  // The right one: the owner of one organization lands on its overview.
  await page.getByLabel("Password").fill(owner.password());
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/orgs\/[^/]+$/);
  await expect(page.getByRole("heading", { level: 1, name: /Acme Streaming: overview/ })).toBeVisible();
  const me = await page.request.get("/v1/me");
  expect(me.status()).toBe(200);
  const orgs = ((await me.json()) as { orgs: { id: string }[] }).orgs;
  expect(new URL(page.url()).pathname).toBe(`/orgs/${orgs[0]!.id}`);

  // Signing out ends the session on the server too.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  expect((await page.request.get("/v1/me")).status()).toBe(401);
  await page.goto(`/orgs/${orgs[0]!.id}/members`);
  await expect(page).toHaveURL(/\/sign-in\?next=/);
});
