// The profile form: what it shows of a stored profile, what it checks
// before sending, and the body it sends. The API stays the authority; these
// checks only spare a round trip for what the browser can tell.

import { isValidTimeZone } from "./time";

/** A stored profile (accounts.Profile), as far as the form reads it. */
export interface StoredProfile {
  display_name: string;
  timezone: string;
  locale: string;
  preferences: Record<string, unknown>;
}

export interface ProfileForm {
  display_name: string;
  timezone: string;
  locale: string;
}

/** The API's limit on a display name, in bytes of UTF-8. */
export const MAX_DISPLAY_NAME_BYTES = 200;
/** The API's limit on a locale tag, in characters. */
export const MAX_LOCALE_LENGTH = 35;

export function profileForm(p: StoredProfile): ProfileForm {
  return { display_name: p.display_name, timezone: p.timezone, locale: p.locale };
}

/** The canonical form of a BCP 47 tag ("en-us" is "en-US"), or undefined when it is not one. */
export function canonicalLocale(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

/**
 * Errors of the form the browser can see, keyed by the JSON pointer the API
 * would use, so that they show where the API's own field errors do.
 */
export function validateProfile(f: ProfileForm): Record<string, string> {
  const errs: Record<string, string> = {};
  const name = f.display_name.trim();
  if (new TextEncoder().encode(name).length > MAX_DISPLAY_NAME_BYTES) {
    errs["/display_name"] = `Use at most ${MAX_DISPLAY_NAME_BYTES} bytes (fewer characters for accented letters and other scripts).`;
  } else if (/[\p{Cc}\p{Cf}]/u.test(name)) {
    errs["/display_name"] = "Use printable characters only.";
  }
  const tz = f.timezone.trim();
  if (tz && (tz === "Local" || !isValidTimeZone(tz))) {
    errs["/timezone"] = "Use an IANA time zone name such as Europe/Paris, or leave it empty.";
  }
  const locale = f.locale.trim();
  if (locale && (locale.length > MAX_LOCALE_LENGTH || canonicalLocale(locale) === undefined)) {
    errs["/locale"] = "Use a BCP 47 language tag such as en-US, or leave it empty.";
  }
  return errs;
}

/**
 * The body of PUT /v1/profile: the form's fields, trimmed, and the stored
 * preferences unchanged, since the PUT replaces the whole profile and this
 * form does not edit them.
 */
export function profileUpdate(f: ProfileForm, stored: StoredProfile) {
  const locale = f.locale.trim();
  return {
    display_name: f.display_name.trim(),
    timezone: f.timezone.trim(),
    locale: locale ? (canonicalLocale(locale) ?? locale) : "",
    preferences: stored.preferences ?? {},
  };
}

/** True when the form differs from the stored profile. */
export function profileChanged(f: ProfileForm, stored: StoredProfile): boolean {
  const u = profileUpdate(f, stored);
  return u.display_name !== stored.display_name || u.timezone !== stored.timezone || u.locale !== stored.locale;
}
