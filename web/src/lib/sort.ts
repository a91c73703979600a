// Sorting of table rows by a column.

export type SortDirection = "asc" | "desc";

export interface SortState<K extends string> {
  key: K;
  direction: SortDirection;
}

/**
 * Rows sorted by the value of a column, stably. Missing values (null,
 * undefined, NaN) go last whatever the direction, as the API orders them.
 * Strings compare by locale, numeric-aware (item2 before item10).
 */
export function sortRows<T, K extends string>(
  rows: readonly T[],
  sort: SortState<K>,
  value: (row: T, key: K) => string | number | null | undefined,
): T[] {
  const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });
  const missing = (v: unknown) => v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));
  const sign = sort.direction === "asc" ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, v: value(row, sort.key) }))
    .sort((a, b) => {
      const am = missing(a.v);
      const bm = missing(b.v);
      if (am || bm) return am === bm ? a.i - b.i : am ? 1 : -1;
      let c: number;
      if (typeof a.v === "number" && typeof b.v === "number") c = a.v - b.v;
      else c = collator.compare(String(a.v), String(b.v));
      return c === 0 ? a.i - b.i : sign * c;
    })
    .map((x) => x.row);
}

/** The next sort state when a column header is pressed: a new column starts at its default direction, the same one flips. */
export function nextSort<K extends string>(current: SortState<K>, key: K, defaultDirection: SortDirection): SortState<K> {
  if (current.key !== key) return { key, direction: defaultDirection };
  return { key, direction: current.direction === "asc" ? "desc" : "asc" };
}

/** The aria-sort value of a column header. */
export function ariaSort<K extends string>(current: SortState<K>, key: K): "ascending" | "descending" | "none" {
  if (current.key !== key) return "none";
  return current.direction === "asc" ? "ascending" : "descending";
}
