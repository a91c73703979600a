// CSV export (RFC 4180), built client-side from the data on screen.

export type CsvCell = string | number | boolean | null | undefined;

/**
 * One field: quoted when it holds a comma, quote, line break or edge space,
 * quotes doubled. Text that a spreadsheet would run as a formula (=, +, -, @,
 * tab, carriage return first) is prefixed with an apostrophe; numbers are
 * written as they are.
 */
export function csvEscape(cell: CsvCell): string {
  if (cell === null || cell === undefined) return "";
  if (typeof cell === "number") return Number.isFinite(cell) ? String(cell) : "";
  if (typeof cell === "boolean") return cell ? "true" : "false";
  let s = cell;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  if (/[",\r\n]/.test(s) || /^\s|\s$/.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** A whole document: a header row then the rows, CRLF line ends, and a final CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((r) => r.map(csvEscape).join(",")).join("\r\n") + "\r\n";
}

/** A safe file name from parts: "acme-streaming_cdn_bytes_2026-03-29.csv". */
export function csvFileName(parts: readonly string[]): string {
  const clean = parts
    .map((p) => p.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^-+|-+$/g, ""))
    .filter(Boolean);
  return `${clean.join("_") || "export"}.csv`;
}
