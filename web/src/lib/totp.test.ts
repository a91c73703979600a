import { describe, expect, it } from "vitest";
import { codeProblemMessage, groupSecret, isCode, normalizeCode, otpauthInfo, recoveryCodesFile } from "./totp";

describe("groupSecret", () => {
  it("splits a base32 secret in groups of four", () => {
    expect(groupSecret("JBSWY3DPEHPK3PXP")).toBe("JBSW Y3DP EHPK 3PXP");
    expect(groupSecret("JBSWY3DPEHPK3PXPJB")).toBe("JBSW Y3DP EHPK 3PXP JB");
    expect(groupSecret("ABC")).toBe("ABC");
    expect(groupSecret("")).toBe("");
  });

  it("ignores spaces and dashes already there and upper-cases", () => {
    expect(groupSecret("jbsw y3dp-ehpk3pxp")).toBe("JBSW Y3DP EHPK 3PXP");
  });

  it("takes another group size", () => {
    expect(groupSecret("ABCDEFG", 3)).toBe("ABC DEF G");
  });
});

describe("otpauthInfo", () => {
  it("reads the issuer parameter and the account of the label", () => {
    expect(otpauthInfo("otpauth://totp/Portico:olive%40acme.example?algorithm=SHA1&digits=6&issuer=Portico&period=30&secret=ABC")).toEqual({
      issuer: "Portico",
      account: "olive@acme.example",
    });
  });

  it("falls back to the label's issuer, and to no issuer", () => {
    expect(otpauthInfo("otpauth://totp/Acme%20Gateway:olive@acme.example?secret=ABC")).toEqual({ issuer: "Acme Gateway", account: "olive@acme.example" });
    expect(otpauthInfo("otpauth://totp/olive@acme.example?secret=ABC")).toEqual({ issuer: "", account: "olive@acme.example" });
  });

  it("gives nothing for what is not an otpauth URI", () => {
    expect(otpauthInfo("https://example.com/totp/A:b")).toEqual({ issuer: "", account: "" });
    expect(otpauthInfo("not a uri")).toEqual({ issuer: "", account: "" });
  });
});

describe("codes", () => {
  it("keeps the digits of a code as typed", () => {
    expect(normalizeCode(" 123 456 ")).toBe("123456");
    expect(normalizeCode("123-456")).toBe("123456");
    expect(isCode("123456")).toBe(true);
    expect(isCode("12345")).toBe(false);
    expect(isCode("12345a")).toBe(false);
    expect(isCode("1234567")).toBe(false);
  });

  it("explains a wrong code and a malformed one, and nothing else", () => {
    const type = (code: string) => `https://portico.dev/problems/${code}`;
    expect(codeProblemMessage({ type: type("unauthenticated"), title: "Unauthenticated", status: 401 })).toMatch(/not right/);
    expect(codeProblemMessage({ type: type("invalid-argument"), title: "Invalid argument", status: 400 })).toMatch(/six digits/);
    expect(codeProblemMessage({ type: type("too-many-attempts"), title: "Too many attempts", status: 429 })).toBeUndefined();
    expect(codeProblemMessage({ title: "Request failed", status: 401 })).toBeUndefined();
  });
});

describe("recoveryCodesFile", () => {
  const codes = ["ABCD-EFGH-JKMN-PQRS", "TVWX-YZ01-2345-6789"];
  const createdAt = Date.UTC(2026, 2, 29, 12, 5);

  it("names the issuer and account, dates the codes in the person's time zone and lists one code a line", () => {
    const { filename, text } = recoveryCodesFile(codes, { issuer: "Portico", account: "olive@acme.example", createdAt, timeZone: "Europe/Paris" });
    expect(filename).toBe("portico-recovery-codes.txt");
    const lines = text.split("\n");
    expect(lines[0]).toBe("Portico recovery codes");
    expect(lines[1]).toBe("Account: olive@acme.example");
    expect(lines[2]).toBe("Created: Mar 29, 2026, 14:05 GMT+2");
    expect(lines.slice(-3)).toEqual([...codes, ""]);
    expect(text.endsWith("6789\n")).toBe(true);
  });

  it("makes a safe file name of any issuer and leaves out an unknown account", () => {
    const { filename, text } = recoveryCodesFile(codes, { issuer: " Acme / Gateway! ", account: "", createdAt, timeZone: "UTC" });
    expect(filename).toBe("acme-gateway-recovery-codes.txt");
    expect(text).not.toContain("Account:");
    expect(recoveryCodesFile(codes, { issuer: "", account: "", createdAt, timeZone: "UTC" }).filename).toBe("portico-recovery-codes.txt");
    expect(recoveryCodesFile(codes, { issuer: "€€", account: "", createdAt, timeZone: "UTC" }).filename).toBe("portico-recovery-codes.txt");
  });
});
