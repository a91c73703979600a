// What the browser tests take from the environment, in one place, for the
// configuration and the specs alike.

import { accessSync, constants } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The dashboard under test: `portico all --demo`'s gateway, or `vite preview` in front of one. */
export const baseURL = (process.env.PORTICO_BASE_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");

/** Where each screen's PNG, the measurements and the signed-in states go. */
export const outputDir = path.resolve(process.env.PORTICO_SCREENSHOTS || path.join(webDir, "e2e-output"));

/** The Chromium to drive: PORTICO_CHROMIUM, else the first `chromium` on PATH. */
export function chromiumPath(): string {
  const explicit = process.env.PORTICO_CHROMIUM;
  if (explicit) return explicit;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, "chromium");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error("no chromium on PATH; install Debian's (apt-get install chromium) or set PORTICO_CHROMIUM");
}

/**
 * Flags for a headless Chromium in a closed network: without the
 * background-networking ones it keeps trying to reach Google's services.
 */
export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A required variable, or an error that names it. */
export function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; see web/e2e/README.md`);
  return v;
}

/** The demo customer of `portico all --demo` and the administrator. */
export const people = {
  owner: { email: "owner@acme.example", password: () => required("PORTICO_DEMO_PASSWORD") },
  admin: { email: process.env.PORTICO_ADMIN_EMAIL || "admin@localhost", password: () => required("PORTICO_ADMIN_PASSWORD") },
};

/** The organization of the demo. */
export const demoOrg = { name: "Acme Streaming", slug: "acme-streaming" };

/** The signed-in browser state of a person, written by auth.setup.ts. */
export function statePath(who: keyof typeof people): string {
  return path.join(outputDir, ".auth", `${who}.json`);
}

/**
 * The demo traffic's totals, counted by portico all --demo from the
 * beacons it sent (PORTICO_DEMO_TOTALS, which the Go test sets from its
 * log): a recomputation that owes nothing to analytics.
 */
export function demoTotals(): { cdn_bytes: number; p2p_bytes: number; sessions: number } | undefined {
  const raw = process.env.PORTICO_DEMO_TOTALS;
  return raw ? JSON.parse(raw) : undefined;
}
