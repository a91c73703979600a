// RFC 9457 problem documents, as every Portico error is one.

export interface FieldError {
  pointer: string;
  detail: string;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  request_id?: string;
  errors?: FieldError[];
  retry_after_seconds?: number;
  step?: string;
  reason?: string;
  [key: string]: unknown;
}

/** True when a parsed body looks like a problem document. */
export function isProblem(body: unknown): body is Problem {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as { title?: unknown }).title === "string" &&
    typeof (body as { status?: unknown }).status === "number"
  );
}

/**
 * A problem for any failure: the body itself when it is one, else one made
 * from the HTTP status (a proxy's HTML page, a network error).
 */
export function toProblem(body: unknown, status: number, statusText = ""): Problem {
  if (isProblem(body)) return body;
  if (status === 0) {
    return { title: "The server could not be reached", status: 0, detail: "Check your connection and try again." };
  }
  return { title: statusText || `Request failed (HTTP ${status})`, status };
}

/** The last segment of the problem type: "https://…/problems/csrf-check-failed" is "csrf-check-failed". */
export function problemCode(p: Problem): string {
  if (!p.type) return "";
  const path = p.type.split(/[?#]/)[0] ?? "";
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * Field errors keyed by their pointer below prefix: with prefix "/document",
 * "/document/p2p/cellular/upload" becomes "/p2p/cellular/upload". Errors
 * outside the prefix (or with no pointer) are returned apart, to be shown
 * with the form as a whole. Several errors of one field are joined.
 */
export function fieldErrors(p: Problem | null | undefined, prefix = ""): { byPointer: Record<string, string>; other: string[] } {
  const byPointer: Record<string, string> = {};
  const other: string[] = [];
  for (const e of p?.errors ?? []) {
    if (prefix === "" || e.pointer === prefix || e.pointer.startsWith(prefix + "/")) {
      const key = e.pointer.slice(prefix.length);
      byPointer[key] = byPointer[key] ? `${byPointer[key]}; ${e.detail}` : e.detail;
    } else {
      other.push(e.pointer ? `${e.pointer}: ${e.detail}` : e.detail);
    }
  }
  return { byPointer, other };
}

/** Explanations for statuses whose title alone does not say what to do. */
export function problemHint(p: Problem): string | undefined {
  switch (p.status) {
    case 412:
      return "Someone saved a newer version since you loaded this one. Reload to see it, then apply your change again.";
    case 428:
      return "The save did not say which version it replaces. Reload the settings and try again.";
    case 429:
      return p.retry_after_seconds ? `Try again in ${p.retry_after_seconds} s.` : "Try again in a moment.";
    case 403:
      return problemCode(p) === "csrf-check-failed" ? "Reload the page and try again." : undefined;
    default:
      return undefined;
  }
}
