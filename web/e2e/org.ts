import { expect, type Page } from "@playwright/test";

/** The id of the one organization the signed-in person belongs to (the demo's, for its owner). */
export async function orgOf(page: Page): Promise<string> {
  const res = await page.request.get("/v1/me");
  expect(res.status(), "GET /v1/me: is the stored session still valid?").toBe(200);
  const me = (await res.json()) as { orgs: { id: string }[] };
  expect(me.orgs.length).toBe(1);
  return me.orgs[0]!.id;
}

/** The body of a GET through the page's session, failing unless 200. */
export async function getJSON<T>(page: Page, url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await page.request.get(url, { headers });
  expect(res.status(), `GET ${url}: ${res.status() === 200 ? "" : await res.text()}`).toBe(200);
  return (await res.json()) as T;
}
