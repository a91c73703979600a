// A form model generated from a JSON Schema (the subset the delivery
// settings schema uses: $ref into $defs, objects, booleans, numbers,
// integers, enums, strings, arrays of strings and arrays of objects). The
// form renders the model; the API's settings/validate stays the authority.

import type { Path } from "./pointer";

export interface JsonSchema {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  pattern?: string;
  [key: string]: unknown;
}

interface Base {
  path: Path;
  name: string;
  label: string;
  description?: string;
  required: boolean;
}

export type FieldNode =
  | (Base & { kind: "object"; children: FieldNode[] })
  | (Base & { kind: "boolean" })
  | (Base & { kind: "number"; integer: boolean; minimum?: number; maximum?: number })
  | (Base & { kind: "enum"; options: string[] })
  | (Base & { kind: "string"; minLength?: number; maxLength?: number; pattern?: string })
  | (Base & { kind: "stringList"; maxItems?: number; minItems?: number; unique: boolean; item: JsonSchema })
  | (Base & { kind: "objectList"; maxItems?: number; minItems?: number; item: FieldNode & { kind: "object" } })
  | (Base & { kind: "unsupported"; schema: JsonSchema });

/** Labels for names that do not read well humanised. */
const LABELS: Record<string, string> = {
  p2p: "Peer-to-peer delivery",
  wifi_ethernet: "Wi-Fi and Ethernet",
  geo: "Countries",
  isp: "ISPs",
  content_id: "Content ID",
  public_ips: "Public IP addresses",
  private_subnets: "Private subnets",
  enterprise_sites: "Enterprise sites",
};

/** "activation_ratio" reads "Activation ratio". */
export function humanize(name: string): string {
  if (LABELS[name]) return LABELS[name]!;
  const s = name.replace(/[_-]+/g, " ").trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Resolves a local $ref ("#/$defs/x") against the root, following chains. */
export function resolveRef(root: JsonSchema, schema: JsonSchema): JsonSchema {
  let s = schema;
  for (let depth = 0; s.$ref && depth < 32; depth++) {
    const m = /^#\/\$defs\/([^/]+)$/.exec(s.$ref);
    if (!m) throw new Error(`unsupported $ref ${s.$ref}`);
    const target = root.$defs?.[m[1]!];
    if (!target) throw new Error(`unknown $ref ${s.$ref}`);
    const { $ref: _ignored, ...rest } = s;
    s = { ...target, ...rest };
  }
  return s;
}

function typeOf(s: JsonSchema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== "null");
  if (s.type) return s.type;
  if (s.properties) return "object";
  if (s.enum) return "enum";
  return undefined;
}

/** The form model of schema at path. */
export function buildField(root: JsonSchema, schema: JsonSchema, path: Path, name: string, required: boolean): FieldNode {
  const s = resolveRef(root, schema);
  const base: Base = {
    path,
    name,
    label: s.title ?? humanize(name),
    required,
    ...(s.description ? { description: s.description } : {}),
  };
  if (s.enum && s.enum.every((v) => typeof v === "string")) {
    return { ...base, kind: "enum", options: s.enum as string[] };
  }
  switch (typeOf(s)) {
    case "object":
      return {
        ...base,
        kind: "object",
        children: Object.entries(s.properties ?? {}).map(([k, v]) =>
          buildField(root, v, [...path, k], k, (s.required ?? []).includes(k)),
        ),
      };
    case "boolean":
      return { ...base, kind: "boolean" };
    case "number":
    case "integer":
      return {
        ...base,
        kind: "number",
        integer: typeOf(s) === "integer",
        ...(s.minimum !== undefined ? { minimum: s.minimum } : {}),
        ...(s.maximum !== undefined ? { maximum: s.maximum } : {}),
      };
    case "string":
      return {
        ...base,
        kind: "string",
        ...(s.minLength !== undefined ? { minLength: s.minLength } : {}),
        ...(s.maxLength !== undefined ? { maxLength: s.maxLength } : {}),
        ...(s.pattern !== undefined ? { pattern: s.pattern } : {}),
      };
    case "array": {
      const item = resolveRef(root, s.items ?? {});
      const bounds = {
        ...(s.maxItems !== undefined ? { maxItems: s.maxItems } : {}),
        ...(s.minItems !== undefined ? { minItems: s.minItems } : {}),
      };
      if (typeOf(item) === "string") {
        return { ...base, kind: "stringList", unique: s.uniqueItems === true, item, ...bounds };
      }
      if (typeOf(item) === "object") {
        const node = buildField(root, item, [], "item", true);
        if (node.kind === "object") return { ...base, kind: "objectList", item: node, ...bounds };
      }
      return { ...base, kind: "unsupported", schema: s };
    }
  }
  return { ...base, kind: "unsupported", schema: s };
}

/**
 * The form of a settings schema: the fields of the root's $ref'd definition,
 * less the names in `omit` (edited apart, such as the named property sets).
 */
export function buildForm(root: JsonSchema, omit: readonly string[] = []): FieldNode[] {
  const settings = resolveRef(root, { $ref: root.$ref ?? "#/$defs/settings" });
  return Object.entries(settings.properties ?? {})
    .filter(([k]) => !omit.includes(k))
    .map(([k, v]) => buildField(root, v, [k], k, (settings.required ?? []).includes(k)));
}

/** Text of a string list field: one item a line. */
export function listToText(v: unknown): string {
  return Array.isArray(v) ? v.map(String).join("\n") : "";
}

/** A string list from text: trimmed lines, blank ones dropped; undefined (unset) when there are none. */
export function textToList(text: string): string[] | undefined {
  const items = text
    .split(/\r?\n|,/)
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length ? items : undefined;
}

/**
 * A number from an input's text; undefined (unset) when empty, NaN when it is
 * not a number (the field shows an error).
 */
export function parseNumberInput(text: string): number | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  return Number(t);
}

/** The client-side check of a field's value, or null; the API checks again. */
export function checkField(node: FieldNode, value: unknown): string | null {
  if (value === undefined || value === null) {
    return node.required && node.kind !== "object" ? "Required." : null;
  }
  switch (node.kind) {
    case "number": {
      if (typeof value !== "number" || Number.isNaN(value)) return "Enter a number.";
      if (node.integer && !Number.isInteger(value)) return "Enter a whole number.";
      if (node.minimum !== undefined && value < node.minimum) return `At least ${node.minimum}.`;
      if (node.maximum !== undefined && value > node.maximum) return `At most ${node.maximum}.`;
      return null;
    }
    case "string": {
      if (typeof value !== "string") return "Enter text.";
      if (node.minLength !== undefined && value.length < node.minLength) return node.minLength === 1 ? "Required." : `At least ${node.minLength} characters.`;
      if (node.maxLength !== undefined && value.length > node.maxLength) return `At most ${node.maxLength} characters.`;
      return null;
    }
    case "stringList": {
      if (!Array.isArray(value)) return "Enter one item a line.";
      if (node.maxItems !== undefined && value.length > node.maxItems) return `At most ${node.maxItems} items.`;
      if (node.minItems !== undefined && value.length < node.minItems) return `At least ${node.minItems} item${node.minItems === 1 ? "" : "s"}.`;
      if (node.unique && new Set(value).size !== value.length) return "Each item only once.";
      const pattern = node.item.pattern;
      if (pattern) {
        const re = new RegExp(pattern, "u");
        const bad = value.find((v) => typeof v !== "string" || !re.test(v));
        if (bad !== undefined) return `"${String(bad)}" is not valid here.`;
      }
      const max = node.item.maxLength;
      if (max !== undefined) {
        const long = value.find((v) => typeof v === "string" && v.length > max);
        if (long !== undefined) return `Items are at most ${max} characters.`;
      }
      return null;
    }
    case "objectList":
      if (!Array.isArray(value)) return "Expected a list.";
      if (node.maxItems !== undefined && value.length > node.maxItems) return `At most ${node.maxItems} items.`;
      return null;
    default:
      return null;
  }
}
