// Display formatting of figures. Pure functions; every screen goes through
// them so that a unit reads the same everywhere.

import { numberFormat } from "./intl";

/** The placeholder for a figure that has no value. */
export const NO_VALUE = "—";

const BYTE_UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB"] as const;
const BIT_RATE_UNITS = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s", "Pbit/s"] as const;

function isFiniteNumber(n: number | null | undefined): n is number {
  return typeof n === "number" && Number.isFinite(n);
}

/**
 * Three significant digits, at most two decimals, no trailing zeros lost in
 * rounding: 1.23, 12.3, 123, and 999.96 rounds up to the next unit in the
 * callers.
 */
function significant(n: number): string {
  const abs = Math.abs(n);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return n.toFixed(decimals).replace(/\.0+$|(\.\d*?)0+$/, "$1");
}

/** Scales n by powers of 1000 into units; returns the scaled value and its unit. */
function scale<U extends string>(n: number, units: readonly U[]): [number, U] {
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  // 999.996 kB rounds to "1000 kB"; show it as 1 MB.
  if (Math.abs(Number(significant(v))) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return [v, units[i] as U];
}

/** Bytes in decimal (SI) units, as CDN traffic is billed: 1 kB = 1000 B. */
export function formatBytes(n: number | null | undefined): string {
  if (!isFiniteNumber(n)) return NO_VALUE;
  if (Math.abs(n) < 1000) return `${Math.round(n)} B`;
  const [v, unit] = scale(n, BYTE_UNITS);
  return `${significant(v)} ${unit}`;
}

/** A bit rate in decimal units: 1 Mbit/s = 1,000,000 bit/s. */
export function formatBitRate(bitsPerSecond: number | null | undefined): string {
  if (!isFiniteNumber(bitsPerSecond)) return NO_VALUE;
  if (Math.abs(bitsPerSecond) < 1000) return `${significant(bitsPerSecond)} bit/s`;
  const [v, unit] = scale(bitsPerSecond, BIT_RATE_UNITS);
  return `${significant(v)} ${unit}`;
}

/** A ratio of 0 to 1 as a percentage: 0.4567 is "45.7%". */
export function formatRatio(ratio: number | null | undefined, decimals = 1): string {
  if (!isFiniteNumber(ratio)) return NO_VALUE;
  const pct = ratio * 100;
  // Do not round a small non-zero share to a flat 0 or a near-total to 100.
  const min = 10 ** -decimals;
  if (pct > 0 && pct < min) return `<${min.toFixed(decimals)}%`;
  if (pct < 100 && pct > 100 - min) return `>${(100 - min).toFixed(decimals)}%`;
  return `${pct.toFixed(decimals)}%`;
}

/** A whole count with digit grouping: 12,345. */
export function formatCount(n: number | null | undefined): string {
  if (!isFiniteNumber(n)) return NO_VALUE;
  return numberFormat({ maximumFractionDigits: 0 }).format(n);
}

/** A number with up to `decimals` fraction digits and grouping: 1,234.5. */
export function formatNumber(n: number | null | undefined, decimals = 1): string {
  if (!isFiniteNumber(n)) return NO_VALUE;
  return numberFormat({ maximumFractionDigits: decimals }).format(n);
}

/**
 * A duration in milliseconds, in its two largest units: "850 ms", "1.25 s",
 * "12 min 5 s", "3 h 12 min", "2 d 3 h".
 */
export function formatDuration(ms: number | null | undefined): string {
  if (!isFiniteNumber(ms)) return NO_VALUE;
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${significant(abs / 1000)} s`;
  const totalSeconds = Math.round(abs / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (days > 0) return `${sign}${days} d${hours ? ` ${hours} h` : ""}`;
  if (hours > 0) return `${sign}${hours} h${minutes ? ` ${minutes} min` : ""}`;
  return `${sign}${minutes} min${seconds ? ` ${seconds} s` : ""}`;
}

/** The units the analytics API answers in (analytics.Unit). */
export type Unit = "sessions" | "ms" | "bytes" | "ratio" | "bit/s" | "beacons";

/** A figure in its unit, as the analytics API names it. */
export function formatValue(value: number | null | undefined, unit: Unit): string {
  switch (unit) {
    case "bytes":
      return formatBytes(value);
    case "bit/s":
      return formatBitRate(value);
    case "ratio":
      return formatRatio(value);
    case "ms":
      return formatDuration(value);
    case "sessions":
    case "beacons":
      return isFiniteNumber(value) && !Number.isInteger(value)
        ? formatNumber(value)
        : formatCount(value);
  }
}
