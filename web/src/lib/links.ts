// Tokens carried in the fragment of links from Portico's mails, which
// browsers never send to servers.

/** The invitation token of /accept-invitation#pinv_… (accounts.InvitationToken), or null. */
export function tokenFromHash(hash: string): string | null {
  let raw: string;
  try {
    raw = decodeURIComponent(hash.replace(/^#/, ""));
  } catch {
    return null;
  }
  const m = /^(?:token=)?(pinv_[A-Za-z0-9_-]{43})$/.exec(raw);
  return m ? m[1]! : null;
}

/** The code of /reset-password#reset_code=… (the auth service's reset link), or null. */
export function resetCodeFromHash(hash: string): string | null {
  const code = new URLSearchParams(hash.replace(/^#/, "")).get("reset_code");
  return code ? code : null;
}

/** A safe place to go after sign-in: a path of this app, never another site. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || next.startsWith("/sign-in")) return "/";
  return next;
}
