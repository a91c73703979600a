import { describe, expect, it } from "vitest";
import { canonicalLocale, profileChanged, profileForm, profileUpdate, validateProfile } from "./profile";

const stored = { display_name: "Olive", timezone: "Europe/Paris", locale: "fr-FR", preferences: { theme: "dark", tables: { dense: true } } };

describe("validateProfile", () => {
  it("accepts a stored profile and empty fields", () => {
    expect(validateProfile(profileForm(stored))).toEqual({});
    expect(validateProfile({ display_name: "", timezone: "", locale: "" })).toEqual({});
  });

  it("counts the display name in bytes, as the API does", () => {
    expect(validateProfile({ display_name: "a".repeat(200), timezone: "", locale: "" })).toEqual({});
    expect(validateProfile({ display_name: "a".repeat(201), timezone: "", locale: "" })["/display_name"]).toMatch(/200 bytes/);
    // 100 characters of two bytes each fit; 101 do not.
    expect(validateProfile({ display_name: "é".repeat(100), timezone: "", locale: "" })).toEqual({});
    expect(validateProfile({ display_name: "é".repeat(101), timezone: "", locale: "" })["/display_name"]).toBeDefined();
  });

  it("refuses control characters in the display name", () => {
    expect(validateProfile({ display_name: "Olive\u0007", timezone: "", locale: "" })["/display_name"]).toMatch(/printable/);
  });

  it("refuses a time zone the browser does not know, and Local", () => {
    expect(validateProfile({ display_name: "", timezone: "Mars/Olympus", locale: "" })["/timezone"]).toMatch(/IANA/);
    expect(validateProfile({ display_name: "", timezone: "Local", locale: "" })["/timezone"]).toBeDefined();
    expect(validateProfile({ display_name: "", timezone: "America/New_York", locale: "" })).toEqual({});
  });

  it("refuses what is not a BCP 47 tag", () => {
    expect(validateProfile({ display_name: "", timezone: "", locale: "english please" })["/locale"]).toMatch(/BCP 47/);
    expect(validateProfile({ display_name: "", timezone: "", locale: "en-" + "a".repeat(40) })["/locale"]).toBeDefined();
    expect(validateProfile({ display_name: "", timezone: "", locale: "pt-br" })).toEqual({});
  });
});

describe("profileUpdate", () => {
  it("trims, canonicalizes the locale and keeps the stored preferences", () => {
    expect(profileUpdate({ display_name: "  Olive O. ", timezone: " Asia/Tokyo ", locale: "en-gb" }, stored)).toEqual({
      display_name: "Olive O.",
      timezone: "Asia/Tokyo",
      locale: "en-GB",
      preferences: { theme: "dark", tables: { dense: true } },
    });
  });

  it("sends empty fields as unset", () => {
    expect(profileUpdate({ display_name: "", timezone: "", locale: " " }, stored)).toMatchObject({ display_name: "", timezone: "", locale: "" });
  });
});

describe("profileChanged", () => {
  it("sees a change of any field, not of spacing or case of the locale", () => {
    expect(profileChanged(profileForm(stored), stored)).toBe(false);
    expect(profileChanged({ ...profileForm(stored), display_name: " Olive " }, stored)).toBe(false);
    expect(profileChanged({ ...profileForm(stored), locale: "fr-fr" }, stored)).toBe(false);
    expect(profileChanged({ ...profileForm(stored), timezone: "UTC" }, stored)).toBe(true);
  });
});

describe("canonicalLocale", () => {
  it("canonicalizes a tag and refuses garbage", () => {
    expect(canonicalLocale("EN-us")).toBe("en-US");
    expect(canonicalLocale("zh-hant-tw")).toBe("zh-Hant-TW");
    expect(canonicalLocale("not a tag")).toBeUndefined();
  });
});
