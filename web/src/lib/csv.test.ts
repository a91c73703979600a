import { describe, expect, it } from "vitest";
import { csvEscape, csvFileName, toCsv } from "./csv";

describe("csvEscape", () => {
  it("leaves plain text and numbers alone", () => {
    expect(csvEscape("plain")).toBe("plain");
    expect(csvEscape(42)).toBe("42");
    expect(csvEscape(-0.5)).toBe("-0.5");
    expect(csvEscape(1e21)).toBe("1e+21");
    expect(csvEscape(true)).toBe("true");
  });
  it("writes missing values as empty fields", () => {
    expect(csvEscape(null)).toBe("");
    expect(csvEscape(undefined)).toBe("");
    expect(csvEscape(Number.NaN)).toBe("");
  });
  it("quotes separators, quotes, line breaks and edge spaces", () => {
    expect(csvEscape("a,b")).toBe('"a,b"');
    expect(csvEscape('say "hi"')).toBe('"say ""hi"""');
    expect(csvEscape("line1\nline2")).toBe('"line1\nline2"');
    expect(csvEscape("cr\rhere")).toBe('"cr\rhere"');
    expect(csvEscape(" padded")).toBe('" padded"');
  });
  it("defuses spreadsheet formulas in text", () => {
    expect(csvEscape("=SUM(A1:A2)")).toBe("'=SUM(A1:A2)");
    expect(csvEscape("+33 1 23")).toBe("'+33 1 23");
    expect(csvEscape("-x")).toBe("'-x");
    expect(csvEscape("@cmd")).toBe("'@cmd");
    expect(csvEscape("=A1,B1")).toBe(`"'=A1,B1"`);
  });
});

describe("toCsv", () => {
  it("joins rows with CRLF and ends with one", () => {
    expect(
      toCsv(
        ["key", "value"],
        [
          ["FR", 1.5],
          ["", null],
          ['Big "ISP", Inc.', 3],
        ],
      ),
    ).toBe('key,value\r\nFR,1.5\r\n,\r\n"Big ""ISP"", Inc.",3\r\n');
  });
  it("writes the header alone for no rows", () => {
    expect(toCsv(["a"], [])).toBe("a\r\n");
  });
});

describe("csvFileName", () => {
  it("keeps safe characters", () => {
    expect(csvFileName(["Acme Streaming", "cdn_bytes", "2026-03-29"])).toBe("acme-streaming_cdn_bytes_2026-03-29.csv");
    expect(csvFileName(["../../etc", ""])).toBe("..-..-etc.csv");
    expect(csvFileName([])).toBe("export.csv");
  });
});
