import { describe, expect, it } from "vitest";
import { QUIET_ZONE, qrMatrix, qrPath } from "./qr";

const URI = "otpauth://totp/Portico:olive%40acme.example?algorithm=SHA1&digits=6&issuer=Portico&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/** The 7×7 finder pattern of a QR code: a dark ring, a light ring and a dark 3×3 centre. */
function isFinder(m: boolean[][], top: number, left: number): boolean {
  for (let y = 0; y < 7; y++) {
    for (let x = 0; x < 7; x++) {
      const ring = Math.max(Math.abs(x - 3), Math.abs(y - 3));
      const want = ring !== 2;
      if (m[top + y]?.[left + x] !== want) return false;
    }
  }
  return true;
}

describe("qrMatrix", () => {
  it("makes a square code of a valid version with finder patterns in three corners and a light quiet zone", () => {
    const m = qrMatrix(URI);
    const size = m.length;
    const inner = size - 2 * QUIET_ZONE;
    expect((inner - 17) % 4).toBe(0);
    expect(inner).toBeGreaterThanOrEqual(21);
    for (const row of m) expect(row).toHaveLength(size);
    expect(isFinder(m, QUIET_ZONE, QUIET_ZONE)).toBe(true);
    expect(isFinder(m, QUIET_ZONE, size - QUIET_ZONE - 7)).toBe(true);
    expect(isFinder(m, size - QUIET_ZONE - 7, QUIET_ZONE)).toBe(true);
    expect(isFinder(m, size - QUIET_ZONE - 7, size - QUIET_ZONE - 7)).toBe(false);
    for (let i = 0; i < QUIET_ZONE; i++) {
      expect(m[i]!.some(Boolean)).toBe(false);
      expect(m[size - 1 - i]!.some(Boolean)).toBe(false);
      expect(m.some((row) => row[i] || row[size - 1 - i])).toBe(false);
    }
  });

  it("gives a different code for a different secret and the same one for the same text", () => {
    expect(qrMatrix(URI)).toEqual(qrMatrix(URI));
    expect(qrMatrix(URI)).not.toEqual(qrMatrix(URI.replace("JBSW", "KBSW")));
  });
});

describe("qrPath", () => {
  it("draws each run of dark modules as one rectangle", () => {
    expect(
      qrPath([
        [true, true, false, true],
        [false, false, false, false],
        [false, true, true, true],
      ]),
    ).toBe("M0 0h2v1h-2zM3 0h1v1h-1zM1 2h3v1h-3z");
  });

  it("is empty for an all-light matrix", () => {
    expect(qrPath([[false, false], [false, false]])).toBe("");
    expect(qrPath([])).toBe("");
  });

  it("covers exactly the dark modules of a real code", () => {
    const m = qrMatrix(URI);
    const painted = m.map((row) => row.map(() => false));
    for (const r of qrPath(m).matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
      const [x, y, w] = [Number(r[1]), Number(r[2]), Number(r[3])];
      for (let i = 0; i < w; i++) painted[y]![x + i] = true;
    }
    expect(painted).toEqual(m);
  });
});
