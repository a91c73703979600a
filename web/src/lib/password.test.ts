import { describe, expect, it } from "vitest";
import { passwordChangeErrors, validatePasswordChange } from "./password";

const type = (code: string) => `https://portico.dev/problems/${code}`;

describe("validatePasswordChange", () => {
  it("accepts a complete form", () => {
    expect(validatePasswordChange({ current: "old", next: "correct horse", confirm: "correct horse" })).toEqual({});
  });

  it("asks for the current password, a long enough new one and the same one twice", () => {
    expect(validatePasswordChange({ current: "", next: "short", confirm: "short" })).toEqual({
      current: "Enter your current password.",
      next: "Use at least 8 characters.",
    });
    expect(validatePasswordChange({ current: "x", next: "long enough", confirm: "long enougH" })).toEqual({ confirm: "The two new passwords differ." });
    expect(validatePasswordChange({ current: "x", next: "a".repeat(129), confirm: "a".repeat(129) }).next).toBe("Use at most 128 characters.");
  });

  it("counts characters, not UTF-16 units", () => {
    // Four emoji are 8 UTF-16 units but 4 characters.
    expect(validatePasswordChange({ current: "x", next: "🔑🔑🔑🔑", confirm: "🔑🔑🔑🔑" }).next).toBe("Use at least 8 characters.");
    expect(validatePasswordChange({ current: "x", next: "🔑".repeat(8), confirm: "🔑".repeat(8) })).toEqual({});
  });
});

describe("passwordChangeErrors", () => {
  it("puts a wrong current password on its field", () => {
    const p = { type: type("unauthenticated"), title: "Unauthenticated", status: 401, detail: "The credentials are missing, wrong, expired or revoked." };
    expect(passwordChangeErrors(p)).toEqual({ fields: { current: "Your current password is not right." } });
  });

  it("puts the policy's refusal on the new password, as a sentence", () => {
    const p = { type: type("invalid-argument"), title: "Invalid argument", status: 400, detail: "password too short (minimum 8 characters)." };
    expect(passwordChangeErrors(p)).toEqual({ fields: { next: "Password too short (minimum 8 characters)." } });
    expect(passwordChangeErrors({ ...p, detail: "password too long (maximum 128 characters)" }).fields.next).toBe("Password too long (maximum 128 characters).");
    expect(passwordChangeErrors({ ...p, detail: undefined }).fields.next).toBe("Use 8 to 128 characters.");
  });

  it("leaves throttling and failures to the form", () => {
    const p = { type: type("too-many-attempts"), title: "Too many attempts", status: 429, retry_after_seconds: 30 };
    expect(passwordChangeErrors(p)).toEqual({ fields: {}, other: p });
    const gw = { title: "Unauthenticated", status: 401 };
    expect(passwordChangeErrors(gw)).toEqual({ fields: {}, other: gw });
  });
});
