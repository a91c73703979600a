// Analytics filters: "dimension:value" keeps, "!dimension:value" drops.

export type Dimension = "integration" | "content_id" | "stream_type" | "platform" | "country" | "isp";

export const DIMENSIONS: readonly { id: Dimension; label: string }[] = [
  { id: "integration", label: "Integration" },
  { id: "content_id", label: "Content" },
  { id: "stream_type", label: "Stream type" },
  { id: "platform", label: "Platform" },
  { id: "country", label: "Country" },
  { id: "isp", label: "ISP" },
];

export interface Filter {
  dimension: Dimension;
  value: string;
  exclude: boolean;
}

export const MAX_FILTERS = 20;

export function dimensionLabel(d: string): string {
  return DIMENSIONS.find((x) => x.id === d)?.label ?? d;
}

/** The filters[] query value of a filter. */
export function filterParam(f: Filter): string {
  return `${f.exclude ? "!" : ""}${f.dimension}:${f.value}`;
}

/** Parses a filters[] value; null when it is not one. The value may contain colons. */
export function parseFilter(s: string): Filter | null {
  const exclude = s.startsWith("!");
  const body = exclude ? s.slice(1) : s;
  const i = body.indexOf(":");
  if (i < 0) return null;
  const dimension = body.slice(0, i);
  if (!DIMENSIONS.some((d) => d.id === dimension)) return null;
  return { dimension: dimension as Dimension, value: body.slice(i + 1), exclude };
}

/** Adds a filter unless an equal one is there; at most MAX_FILTERS. */
export function addFilter(list: readonly Filter[], f: Filter): Filter[] {
  if (list.some((x) => x.dimension === f.dimension && x.value === f.value && x.exclude === f.exclude)) return [...list];
  if (list.length >= MAX_FILTERS) return [...list];
  return [...list, f];
}

/** How a dimension value reads: "" is unknown (for country and isp). */
export function valueLabel(value: string): string {
  return value === "" ? "(unknown)" : value;
}
