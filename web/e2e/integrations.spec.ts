import { expect, test } from "@playwright/test";
import { statePath } from "./env";
import { getJSON, orgOf } from "./org";
import { screen } from "./screens";

test.use({ storageState: statePath("owner") });

type SdkConfig = { integration_id: string; settings: { activation_ratio?: number } };

test("integrations: a settings change reaches the player, an invalid one is refused by its field, history shows the diff", async ({ page }) => {
  const org = await orgOf(page);
  await page.goto(`/orgs/${org}/integrations`);
  await expect(page.getByRole("heading", { level: 1, name: "Integrations" })).toBeVisible();
  await expect(page.getByRole("row", { name: /Acme Web/ })).toContainText("acme.example");
  await screen(page, "integrations");

  await page.getByRole("link", { name: "Acme Web" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Acme Web" })).toBeVisible();
  const key = (await page.getByTestId("delivery-key").innerText()).trim();
  expect(key).not.toBe("");
  const integrationId = page.url().split("/").pop()!;
  // A player on one of the integration's allowed domains (acme.example).
  const player = () => getJSON<SdkConfig>(page, `/v1/sdk/config/${encodeURIComponent(key)}`, { Origin: "https://www.acme.example" });
  const before = await player();
  expect(before.integration_id).toBe(integrationId);

  const settings = page.getByRole("region", { name: "Delivery settings" });
  const version = settings.locator("#settings-version");
  await expect(version).toContainText(/Version \d+/);
  const from = Number(/Version (\d+)/.exec(await version.innerText())![1]);
  await screen(page, "integration-detail");

  // An invalid value: a content id pattern without the capture group the
  // API requires, which only the API can tell; its message is shown by
  // the field and the field is marked invalid.
  const contentId = settings.getByRole("group", { name: "Content ID" });
  await contentId.getByLabel("Source").selectOption("regex");
  const pattern = contentId.getByLabel("Pattern");
  await pattern.fill("^/live/[a-z]+\\.m3u8$");
  const checked = page.waitForResponse((r) => r.url().endsWith("/settings/validate"));
  await settings.getByRole("button", { name: "Validate" }).click();
  const problem = (await (await checked).json()) as { errors?: { pointer: string; detail: string }[] };
  const fieldError = problem.errors?.find((e) => e.pointer === "/document/content_id/pattern");
  expect(fieldError, `the API's errors: ${JSON.stringify(problem.errors)}`).toBeDefined();
  await expect(pattern).toHaveAttribute("aria-invalid", "true");
  await expect(pattern).toHaveAccessibleDescription(new RegExp(fieldError!.detail.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  await expect(contentId.locator(".field-error")).toHaveText(fieldError!.detail);
  await screen(page, "integration-settings-invalid");

  // A value the form checks itself, shown by its field before any request.
  const ratio = settings.getByLabel("Activation ratio");
  await ratio.fill("2");
  await expect(ratio).toHaveAttribute("aria-invalid", "true");
  await expect(ratio).toHaveAccessibleDescription(/At most 1/);

  // A valid change, saved as a new version: the player gets it once the
  // SDK config snapshot is refreshed (every 2 s).
  await page.reload(); // discards the invalid edits
  await expect(version).toContainText(`Version ${from}`);
  const next = Math.round((0.05 + Math.random() * 0.9) * 1000) / 1000;
  await settings.getByLabel("Activation ratio").fill(String(next));
  await settings.getByLabel("Change message").fill(`browser test: activation ratio ${next}`);
  await settings.getByRole("button", { name: "Save as new version" }).click();
  await expect(version).toContainText(`Version ${from + 1}, “browser test: activation ratio ${next}”`);
  await expect
    .poll(async () => (await player()).settings.activation_ratio, { message: "the player's activation_ratio", timeout: 15_000, intervals: [250] })
    .toBe(next);

  // The history lists the new version as current, and compares the one
  // before with it.
  const history = page.getByRole("region", { name: "Version history" });
  await expect(history.getByRole("row", { name: new RegExp(`v${from + 1} \\(current\\)`) })).toContainText(`browser test: activation ratio ${next}`);
  await history.getByRole("button", { name: `Compare version ${from} with the current one` }).click();
  const diff = history.getByRole("region", { name: `Changes from v${from} to v${from + 1}` });
  await expect(diff.getByRole("listitem").filter({ hasText: "/activation_ratio" })).toContainText(String(next));
  await screen(page, "integration-history-diff");
});
