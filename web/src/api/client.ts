// The API client, typed from api/portico.yaml (src/api/schema.d.ts, made by
// `npm run gen:api`): a change in the API fails the type check.

import createClient, { type Middleware } from "openapi-fetch";
import { type Problem, toProblem } from "../lib/problem";
import { fetchEarly, fetchTakingEarly } from "./early";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Organization = Schemas["accounts.Organization"];
export type Integration = Schemas["configs.Integration"];
export type Metric = Schemas["analytics.Metric"];
export type Outcome = Schemas["Outcome"];
export type Role = Schemas["accounts.Role"];

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The header the gateway requires on every unsafe request signed in with the session cookie. */
export const CSRF_HEADER = "Portico-CSRF";

type Listener = () => void;
const unauthenticatedListeners = new Set<Listener>();

/** Calls listener whenever the API answers 401 to a signed-in request: the session has ended. */
export function onUnauthenticated(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

/**
 * Whether an answer says the session has ended: a 401 with a Bearer
 * challenge (WWW-Authenticate), as the gateway sends when the credential
 * is gone. A wrong password or code the person typed (a password change,
 * TOTP confirmation) is 401 too, but without the challenge: it must not
 * sign them out.
 */
export function sessionEndedBy(response: Response): boolean {
  return response.status === 401 && response.headers.has("WWW-Authenticate");
}

/** True when err is an API error that says the session has ended. */
export function sessionEnded(err: unknown): boolean {
  return err instanceof ApiError && err.response !== undefined && sessionEndedBy(err.response);
}

const sessionMiddleware: Middleware = {
  onRequest({ request }) {
    if (UNSAFE.has(request.method.toUpperCase()) && !request.headers.has(CSRF_HEADER)) {
      request.headers.set(CSRF_HEADER, "1");
    }
    return request;
  },
  onResponse({ request, response }) {
    const path = new URL(request.url, "http://x").pathname;
    const signingIn = path.startsWith("/v1/login") || path.startsWith("/v1/password/") || path === "/v1/invitations/accept";
    if (!signingIn && sessionEndedBy(response)) {
      for (const l of unauthenticatedListeners) l();
    }
    return response;
  },
};

const clientOptions = {
  baseUrl: "",
  credentials: "same-origin",
  headers: { Accept: "application/json, application/problem+json" },
} as const;

export const api = createClient<paths>({ ...clientOptions, fetch: (r) => fetchTakingEarly(r) });
api.use(sessionMiddleware);

/**
 * The client of requests started before their screen renders (see
 * early.ts): the screen's own calls through api take their answers. It
 * signals no ended session; the screen's calls do, when they take a 401.
 */
export const earlyApi = createClient<paths>({ ...clientOptions, fetch: (r) => fetchEarly(r) });

/** The client type, for functions that work with either. */
export type Client = typeof api;

/** A failed API call, with its problem document. */
export class ApiError extends Error {
  readonly problem: Problem;
  readonly status: number;
  readonly response: Response | undefined;
  constructor(problem: Problem, response?: Response) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = "ApiError";
    this.problem = problem;
    this.status = problem.status;
    this.response = response;
  }
}

/** The problem of any error thrown by an API call. */
export function problemOf(err: unknown): Problem {
  if (err instanceof ApiError) return err.problem;
  if (err instanceof DOMException && err.name === "AbortError") return { title: "Canceled", status: 0 };
  if (err instanceof TypeError) return toProblem(undefined, 0);
  return { title: "Something went wrong", status: 0, detail: err instanceof Error ? err.message : String(err) };
}

type FetchResult<T> = { data?: T; error?: unknown; response: Response };

/**
 * The data of an openapi-fetch call, or an ApiError with its problem. A
 * network failure is a problem with status 0.
 */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<{ data: T; response: Response }> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(toProblem(undefined, 0));
  }
  const { data, error, response } = result;
  if (!response.ok) throw new ApiError(toProblem(error, response.status, response.statusText), response);
  return { data: data as T, response };
}

/** Like unwrap, the data alone. */
export async function request<T>(call: Promise<FetchResult<T>>): Promise<T> {
  return (await unwrap(call)).data;
}

/** A fresh Idempotency-Key for a create request. */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

/** The CSRF header object for operations whose parameters list it. */
export const csrf = { [CSRF_HEADER]: "1" } as const;
