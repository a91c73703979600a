// The change of a figure against the previous period of equal length.

export type ChangeKind = "relative" | "points";

export interface Change {
  /** relative: (current - previous) / previous; points: current - previous (for ratios). */
  kind: ChangeKind;
  /** null when there is nothing to compare (a missing figure, or a relative change from 0). */
  value: number | null;
  direction: "up" | "down" | "flat" | "none";
}

/** Changes smaller than this (relative, or in ratio points) count as flat. */
export const FLAT_EPSILON = 0.0005;

/**
 * The change from previous to current. Ratios (0 to 1) change in percentage
 * points, everything else relatively. A relative change from 0 to anything
 * but 0 has no value (it would be infinite).
 */
export function computeChange(
  current: number | null | undefined,
  previous: number | null | undefined,
  kind: ChangeKind,
): Change {
  if (current == null || previous == null || !Number.isFinite(current) || !Number.isFinite(previous)) {
    return { kind, value: null, direction: "none" };
  }
  let value: number;
  if (kind === "points") {
    value = current - previous;
  } else if (previous === 0) {
    if (current === 0) return { kind, value: 0, direction: "flat" };
    return { kind, value: null, direction: current > 0 ? "up" : "down" };
  } else {
    value = (current - previous) / Math.abs(previous);
  }
  const direction = Math.abs(value) < FLAT_EPSILON ? "flat" : value > 0 ? "up" : "down";
  return { kind, value, direction };
}

/** "+12.3%", "−4.0 pp", "0.0%", "new" (up from zero), or "—". */
export function formatChange(c: Change): string {
  if (c.value === null) {
    if (c.kind === "relative" && c.direction === "up") return "new";
    return "—";
  }
  const v = c.value * 100;
  const abs = Math.abs(v).toFixed(1);
  const sign = c.direction === "flat" ? "±" : v > 0 ? "+" : "−";
  return c.kind === "points" ? `${sign}${abs} pp` : `${sign}${abs}%`;
}

/** Whether a change is good news: traffic offloaded up is good, rebuffering up is bad. */
export type Polarity = "higher-is-better" | "lower-is-better" | "neutral";

export function changeTone(c: Change, polarity: Polarity): "good" | "bad" | "neutral" {
  if (polarity === "neutral" || c.direction === "flat" || c.direction === "none") return "neutral";
  const up = c.direction === "up";
  return up === (polarity === "higher-is-better") ? "good" : "bad";
}

/** A sentence for screen readers: "up 12.3% from 1.2 GB in the previous period". */
export function describeChange(c: Change, previousText: string): string {
  if (c.direction === "none") return c.value === null && previousText !== "—" ? `previous period: ${previousText}` : "no previous figure to compare";
  if (c.direction === "flat") return `unchanged from ${previousText} in the previous period`;
  const text = formatChange(c).replace(/^[+−±]/, "");
  return `${c.direction} ${text} from ${previousText} in the previous period`;
}
