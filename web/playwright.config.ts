import path from "node:path";
import { defineConfig } from "@playwright/test";
import { baseURL, chromiumArgs, chromiumPath, outputDir } from "./e2e/env";

// Browser tests of the dashboard against `portico all --demo`, in Debian's
// Chromium (Playwright's own browser builds are not used). web/e2e/README.md
// says how to run them; `go test ./web` runs them against a fresh binary.
export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/global-setup.ts",
  outputDir: path.join(outputDir, "test-results"),
  // One browser and one backend share two cores with the rest of the tests.
  workers: 1,
  fullyParallel: false,
  // A retry would hide a flaky screen; a failure is reported as it happened.
  retries: 0,
  forbidOnly: true,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    baseURL,
    browserName: "chromium",
    launchOptions: { executablePath: chromiumPath(), args: chromiumArgs },
    viewport: { width: 1280, height: 800 },
    locale: "en-US",
    timezoneId: "UTC",
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    screenshot: "only-on-failure",
    trace: "off",
  },
  projects: [
    { name: "setup", testMatch: /auth\.setup\.ts/ },
    { name: "dashboard", testMatch: /\.spec\.ts/, dependencies: ["setup"] },
  ],
});
