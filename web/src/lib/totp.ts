// Two-factor authentication (TOTP): what the account page shows of an
// enrolment and of the recovery codes. Pure functions of their arguments.

import { formatDateTime } from "./time";
import { type Problem, problemCode } from "./problem";

/** A base32 secret in groups of four, for typing into an app by hand: "JBSW Y3DP EHPK 3PXP". */
export function groupSecret(secret: string, size = 4): string {
  const compact = secret.replace(/[\s-]/g, "").toUpperCase();
  const groups: string[] = [];
  for (let i = 0; i < compact.length; i += size) groups.push(compact.slice(i, i + size));
  return groups.join(" ");
}

/** The issuer and account an otpauth URI names, as an authenticator app will list them. */
export function otpauthInfo(uri: string): { issuer: string; account: string } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { issuer: "", account: "" };
  }
  if (url.protocol !== "otpauth:") return { issuer: "", account: "" };
  // otpauth://totp/Issuer:account?issuer=Issuer: the path is the label.
  const label = safeDecode(url.pathname.replace(/^\/+/, "").replace(/^totp\//, ""));
  const colon = label.indexOf(":");
  const labelIssuer = colon >= 0 ? label.slice(0, colon).trim() : "";
  const account = (colon >= 0 ? label.slice(colon + 1) : label).trim();
  return { issuer: url.searchParams.get("issuer") ?? labelIssuer, account };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A code as typed ("123 456", "123-456") as the API takes it: the digits alone. */
export function normalizeCode(input: string): string {
  return input.replace(/[\s-]/g, "");
}

/** True when a code is six digits, the only form the API accepts. */
export function isCode(code: string): boolean {
  return /^[0-9]{6}$/.test(code);
}

/** What went wrong with a code the person typed, in words; undefined when the problem is not about the code. */
export function codeProblemMessage(p: Problem): string | undefined {
  const code = problemCode(p);
  if (p.status === 401 && code === "unauthenticated") {
    return "That code is not right. Enter the code your app shows now; each code works once.";
  }
  if (p.status === 400 && code === "invalid-argument") return "Enter the six digits your app shows.";
  return undefined;
}

/** The recovery codes as a text file to keep: a title, who they are for, when, and one code a line. */
export function recoveryCodesFile(
  codes: readonly string[],
  { issuer, account, createdAt, timeZone }: { issuer: string; account: string; createdAt: number; timeZone: string },
): { filename: string; text: string } {
  const name = issuer.trim() || "Portico";
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "portico";
  const lines = [
    `${name} recovery codes`,
    ...(account ? [`Account: ${account}`] : []),
    `Created: ${formatDateTime(createdAt, timeZone)}`,
    "",
    "Each code signs you in once when you cannot use your authenticator app.",
    "Keep this file somewhere safe, such as a password manager, and delete other copies.",
    "",
    ...codes,
  ];
  return { filename: `${slug}-recovery-codes.txt`, text: lines.join("\n") + "\n" };
}
