// QR codes as a matrix of modules and as one SVG path, so that the page
// draws them with SVG elements: no inline style, no script, no data URL.

import { encode } from "uqr";

/** Modules of light margin around the code; the QR specification asks for 4. */
export const QUIET_ZONE = 4;

/** The QR code of text as rows of modules, true for dark, with the quiet zone included. */
export function qrMatrix(text: string): boolean[][] {
  // Level M survives a smudge or a glare on a screen and keeps an otpauth
  // URI of about 120 characters at version 6 (41 modules), easy to scan.
  return encode(text, { ecc: "M", border: QUIET_ZONE }).data;
}

/**
 * The SVG path data that fills the dark modules of a matrix, one unit per
 * module: each horizontal run of dark modules is one rectangle.
 */
export function qrPath(matrix: readonly (readonly boolean[])[]): string {
  const parts: string[] = [];
  matrix.forEach((row, y) => {
    let x = 0;
    while (x < row.length) {
      if (!row[x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < row.length && row[x]) x++;
      parts.push(`M${start} ${y}h${x - start}v1h-${x - start}z`);
    }
  });
  return parts.join("");
}
