// GET requests started before the screen that needs them has rendered.
//
// The first screen of a visit waits on a chain: the entry script, the
// session, the screen's own script, its first render, and only then its
// requests. When the address already says which screen it is, its requests
// can start with the entry script instead: the early client sends them, and
// the page's client, asking the same thing moments later, takes the answer
// already on its way rather than sending the request again.

/** How long an early answer waits for the page to ask for it. */
export const EARLY_MAX_AGE_MS = 10_000;

const started = new Map<string, { response: Promise<Response>; at: number }>();

function sweep(now: number) {
  for (const [url, e] of started) {
    if (now - e.at > EARLY_MAX_AGE_MS) started.delete(url);
  }
}

/**
 * fetch for the early client: sends the request and keeps its answer for
 * the page's first GET of the same URL. The early caller gets a copy.
 */
export function fetchEarly(request: Request): Promise<Response> {
  const now = Date.now();
  sweep(now);
  const response = fetch(request);
  if (request.method === "GET") {
    started.set(request.url, { response, at: now });
    // A failure reaches the page through its own request.
    response.catch(() => undefined);
  }
  return response.then((r) => r.clone());
}

/**
 * fetch for the page's client: a GET whose twin was started early, not
 * long ago, takes that answer (once); anything else is sent.
 */
export function fetchTakingEarly(request: Request): Promise<Response> {
  if (request.method === "GET") {
    const hit = started.get(request.url);
    if (hit) {
      started.delete(request.url);
      if (Date.now() - hit.at <= EARLY_MAX_AGE_MS) return hit.response;
    }
  }
  return fetch(request);
}

/** How many early answers are waiting (for tests). */
export function earlyWaiting(): number {
  return started.size;
}

/** Drops every early answer (for tests). */
export function forgetEarly(): void {
  started.clear();
}
