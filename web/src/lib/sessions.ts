// Signed-in sessions as the account page lists them. Pure functions.

import { formatDateTime, formatRelative } from "./time";

/** The fields of a session the labels read (auth.Session). */
export interface SessionLike {
  id: string;
  created_at: string;
  last_seen_at: string;
  user_agent?: string;
  ip?: string;
  current: boolean;
}

// Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari",
// Android says "Linux" and iOS says "Mac OS X".
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, "Edge"],
  [/\b(OPR|Opera)\//, "Opera"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\b(Firefox|FxiOS)\//, "Firefox"],
  [/\b(Chrome|CriOS|Chromium)\//, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "Safari"],
  [/^curl\//, "curl"],
];

const SYSTEMS: [RegExp, string][] = [
  [/\b(iPhone|iPad|iPod)\b/, "iOS"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b/, "Linux"],
];

/** A short name for the device of a session from its user agent: "Firefox on Linux", "Safari on iOS". */
export function sessionLabel(userAgent: string | undefined): string {
  const ua = userAgent?.trim() ?? "";
  if (!ua) return "Unknown device";
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  if (browser) return browser;
  if (system) return `A browser on ${system}`;
  return "Unknown browser";
}

/** The line under a session's label: when it started, when it was last used, and from where. */
export function sessionDetail(s: SessionLike, now: number, timeZone: string): string {
  const parts = [`Signed in ${formatDateTime(s.created_at, timeZone)}`, `last active ${formatRelative(s.last_seen_at, now)}`];
  if (s.ip) parts.push(`from ${s.ip}`);
  return parts.join(" · ");
}

/** The current session first, then the most recently used. */
export function sortSessions<T extends SessionLike>(sessions: readonly T[]): T[] {
  return [...sessions].sort((a, b) => {
    if (a.current !== b.current) return a.current ? -1 : 1;
    return Date.parse(b.last_seen_at) - Date.parse(a.last_seen_at);
  });
}
