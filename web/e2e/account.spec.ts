import { expect, test } from "@playwright/test";
import { statePath } from "./env";
import { screen } from "./screens";

// The administrator's own account: its second factor is started here but
// never confirmed, so the other tests still sign in with a password alone.
test.use({ storageState: statePath("admin") });

test("account: profile, sessions, and a second factor's enrolment, where a wrong code signs nobody out", async ({ page }) => {
  await page.goto("/account");
  await expect(page.getByRole("heading", { level: 1, name: "Account" })).toBeVisible();
  for (const name of ["Profile", "Password", "Sessions", "Two-factor authentication"]) {
    await expect(page.getByRole("heading", { level: 2, name })).toBeVisible();
  }
  await expect(page.getByTestId("account-email")).toContainText("@");
  await expect(page.locator('[data-testid="session"][data-current="true"]')).toHaveCount(1);
  await screen(page, "account");

  await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
  const qr = page.getByTestId("totp-qr");
  await expect(qr).toBeVisible();
  const secret = await page.getByTestId("totp-secret").getAttribute("data-value");
  expect(secret, "the TOTP secret, for manual entry").toMatch(/^[A-Z2-7]{16,}$/);
  await screen(page, "account-totp-enrol");

  // A wrong code is the typist's error, shown at the field: the session
  // goes on.
  await page.getByTestId("totp-code").fill("000000");
  await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
  await expect(page.getByTestId("totp-code")).toHaveAttribute("aria-invalid", "true");
  const me = await page.request.get("/v1/me");
  expect(me.status(), "the session after a wrong code").toBe(200);
  await expect(page.getByRole("heading", { level: 1, name: "Account" })).toBeVisible();
});
