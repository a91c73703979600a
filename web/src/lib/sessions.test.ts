import { describe, expect, it } from "vitest";
import { sessionDetail, sessionLabel, sortSessions } from "./sessions";

const UA = {
  firefoxLinux: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  chromeWindows: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  edgeWindows: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
  safariMac: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  safariIPhone: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  chromeAndroid: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36",
  operaMac: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 OPR/111.0.0.0",
  chromeOS: "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  headless: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
};

describe("sessionLabel", () => {
  it("names the browser and the system", () => {
    expect(sessionLabel(UA.firefoxLinux)).toBe("Firefox on Linux");
    expect(sessionLabel(UA.chromeWindows)).toBe("Chrome on Windows");
    expect(sessionLabel(UA.edgeWindows)).toBe("Edge on Windows");
    expect(sessionLabel(UA.safariMac)).toBe("Safari on macOS");
    expect(sessionLabel(UA.safariIPhone)).toBe("Safari on iOS");
    expect(sessionLabel(UA.chromeAndroid)).toBe("Chrome on Android");
    expect(sessionLabel(UA.operaMac)).toBe("Opera on macOS");
    expect(sessionLabel(UA.chromeOS)).toBe("Chrome on ChromeOS");
  });

  it("says what it can of an unusual user agent", () => {
    expect(sessionLabel(UA.headless)).toBe("A browser on Linux");
    expect(sessionLabel("curl/8.8.0")).toBe("curl");
    expect(sessionLabel("Go-http-client/1.1")).toBe("Unknown browser");
    expect(sessionLabel("")).toBe("Unknown device");
    expect(sessionLabel(undefined)).toBe("Unknown device");
  });
});

describe("sessionDetail", () => {
  const now = Date.UTC(2026, 2, 29, 12, 0);
  it("gives the start in the person's time zone, the last use relative to now and the address", () => {
    const s = { id: "ses_1", created_at: "2026-03-28T08:30:00Z", last_seen_at: "2026-03-29T11:55:00Z", ip: "203.0.113.5", current: false };
    expect(sessionDetail(s, now, "Europe/Paris")).toBe("Signed in Mar 28, 2026, 09:30 GMT+1 · last active 5 min ago · from 203.0.113.5");
  });

  it("leaves out an address the API did not give", () => {
    const s = { id: "ses_1", created_at: "2026-03-29T11:59:50Z", last_seen_at: "2026-03-29T11:59:50Z", current: true };
    expect(sessionDetail(s, now, "UTC")).toBe("Signed in Mar 29, 2026, 11:59 UTC · last active just now");
  });
});

describe("sortSessions", () => {
  it("puts the current session first, then the most recently used, without changing its argument", () => {
    const list = [
      { id: "a", created_at: "", last_seen_at: "2026-03-29T10:00:00Z", current: false },
      { id: "b", created_at: "", last_seen_at: "2026-03-29T09:00:00Z", current: true },
      { id: "c", created_at: "", last_seen_at: "2026-03-29T11:00:00Z", current: false },
    ];
    expect(sortSessions(list).map((s) => s.id)).toEqual(["b", "c", "a"]);
    expect(list.map((s) => s.id)).toEqual(["a", "b", "c"]);
  });
});
