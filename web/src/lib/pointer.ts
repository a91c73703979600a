// JSON Pointers (RFC 6901) and immutable edits of JSON documents by path.

export type Path = readonly (string | number)[];
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The pointer of a path: ["geo", "allow", 0] is "/geo/allow/0"; "~" and "/" are escaped. */
export function toPointer(path: Path): string {
  return path.map((t) => "/" + String(t).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

/** The path of a pointer; "" is the whole document. */
export function fromPointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new Error(`not a JSON pointer: ${pointer}`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The value at path, or undefined. */
export function getIn(doc: unknown, path: Path): unknown {
  let cur: unknown = doc;
  for (const t of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[String(t)];
  }
  return cur;
}

function isEmptyObject(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
}

/**
 * A copy of doc with the value at path replaced; objects on the way are
 * created. Setting undefined removes the key, and an object left empty by the
 * removal is removed from its parent too, so that clearing a field leaves the
 * default in force rather than an empty override.
 */
export function setIn(doc: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(doc) && typeof head === "number") {
    const copy = doc.slice();
    const next = setIn(copy[head], rest, value);
    if (next === undefined) copy.splice(head, 1);
    else copy[head] = next;
    return copy;
  }
  const base = doc !== null && typeof doc === "object" && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  const copy: Record<string, unknown> = { ...base };
  const next = setIn(base[String(head)], rest, value);
  if (next === undefined || (rest.length > 0 && isEmptyObject(next))) delete copy[String(head)];
  else copy[String(head)] = next;
  return copy;
}
