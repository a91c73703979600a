// The password change form: its own checks and what the API's answers mean
// for each field.

import { type Problem, problemCode } from "./problem";

export interface PasswordForm {
  current: string;
  next: string;
  confirm: string;
}

export type PasswordField = keyof PasswordForm;

/** The API's bounds on a new password, in characters (Unicode code points). */
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 128;

/** Errors the browser can see before sending, by field. */
export function validatePasswordChange(f: PasswordForm): Partial<Record<PasswordField, string>> {
  const errs: Partial<Record<PasswordField, string>> = {};
  if (!f.current) errs.current = "Enter your current password.";
  const length = [...f.next].length;
  if (length < MIN_PASSWORD) errs.next = `Use at least ${MIN_PASSWORD} characters.`;
  else if (length > MAX_PASSWORD) errs.next = `Use at most ${MAX_PASSWORD} characters.`;
  if (!errs.next && f.confirm !== f.next) errs.confirm = "The two new passwords differ.";
  return errs;
}

/**
 * A refused change, by field: a wrong current password is a 401
 * "unauthenticated" (without a Bearer challenge: the session is fine), a
 * new password the policy refuses is a 400 "invalid-argument" whose detail
 * says why. Anything else is for the form as a whole.
 */
export function passwordChangeErrors(p: Problem): { fields: Partial<Record<PasswordField, string>>; other?: Problem } {
  const code = problemCode(p);
  if (p.status === 401 && code === "unauthenticated") {
    return { fields: { current: "Your current password is not right." } };
  }
  if (p.status === 400 && code === "invalid-argument") {
    return { fields: { next: sentence(p.detail) ?? `Use ${MIN_PASSWORD} to ${MAX_PASSWORD} characters.` } };
  }
  return { fields: {}, other: p };
}

/** "password too short (minimum 8 characters)." as "Password too short (minimum 8 characters)." */
function sentence(s: string | undefined): string | undefined {
  const t = s?.trim();
  if (!t) return undefined;
  const capital = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
