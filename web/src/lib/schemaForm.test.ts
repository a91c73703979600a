import { describe, expect, it } from "vitest";
import schema from "../api/delivery-settings.schema.json";
import {
  buildForm,
  checkField,
  humanize,
  type FieldNode,
  type JsonSchema,
  listToText,
  parseNumberInput,
  resolveRef,
  textToList,
} from "./schemaForm";

const root = schema as JsonSchema;
const form = buildForm(root, ["properties"]);
const byName = (nodes: FieldNode[], name: string) => nodes.find((n) => n.name === name)!;

describe("buildForm on the delivery settings schema", () => {
  it("has the settings fields, in schema order, without the omitted ones", () => {
    expect(form.map((n) => n.name)).toEqual([
      "p2p",
      "activation_ratio",
      "activation_threshold",
      "content_id",
      "geo",
      "isp",
      "enterprise_sites",
    ]);
  });
  it("resolves $refs down to the leaves, with paths", () => {
    const p2p = byName(form, "p2p");
    expect(p2p.kind).toBe("object");
    if (p2p.kind !== "object") return;
    const cellular = byName(p2p.children, "cellular");
    expect(cellular.kind).toBe("object");
    if (cellular.kind !== "object") return;
    expect(cellular.children.map((c) => [c.kind, c.path])).toEqual([
      ["boolean", ["p2p", "cellular", "download"]],
      ["boolean", ["p2p", "cellular", "upload"]],
    ]);
  });
  it("reads bounds, enums and lists", () => {
    expect(byName(form, "activation_ratio")).toMatchObject({ kind: "number", integer: false, minimum: 0, maximum: 1 });
    expect(byName(form, "activation_threshold")).toMatchObject({ kind: "number", integer: true, minimum: 0 });
    const content = byName(form, "content_id");
    if (content.kind !== "object") throw new Error("content_id is an object");
    expect(byName(content.children, "source")).toMatchObject({
      kind: "enum",
      required: true,
      options: ["url", "url_without_query", "path", "regex"],
    });
    const geo = byName(form, "geo");
    if (geo.kind !== "object") throw new Error("geo is an object");
    expect(byName(geo.children, "allow")).toMatchObject({ kind: "stringList", unique: true, maxItems: 300 });
    const sites = byName(form, "enterprise_sites");
    expect(sites).toMatchObject({ kind: "objectList", maxItems: 200 });
    if (sites.kind !== "objectList") return;
    expect(sites.item.children.map((c) => [c.name, c.kind, c.required])).toEqual([
      ["name", "string", true],
      ["public_ips", "stringList", true],
      ["private_subnets", "stringList", false],
      ["enabled", "boolean", false],
    ]);
  });
  it("labels fields readably", () => {
    expect(byName(form, "p2p").label).toBe("Peer-to-peer delivery");
    expect(byName(form, "activation_ratio").label).toBe("Activation ratio");
    expect(byName(form, "activation_ratio").description).toMatch(/progressive rollout/);
    expect(humanize("url_without_query")).toBe("Url without query");
  });
  it("refuses refs it cannot follow", () => {
    expect(() => resolveRef(root, { $ref: "#/$defs/nope" })).toThrow(/unknown/);
    expect(() => resolveRef(root, { $ref: "https://elsewhere/x.json" })).toThrow(/unsupported/);
  });
});

describe("checkField", () => {
  const ratio = byName(form, "activation_ratio");
  const threshold = byName(form, "activation_threshold");
  const geo = byName(form, "geo");
  const allow = geo.kind === "object" ? byName(geo.children, "allow") : geo;
  it("checks number bounds and integers", () => {
    expect(checkField(ratio, 0.5)).toBeNull();
    expect(checkField(ratio, 1.5)).toBe("At most 1.");
    expect(checkField(ratio, -0.1)).toBe("At least 0.");
    expect(checkField(ratio, Number.NaN)).toBe("Enter a number.");
    expect(checkField(threshold, 2.5)).toBe("Enter a whole number.");
    expect(checkField(ratio, undefined)).toBeNull();
  });
  it("checks list items against the item pattern and uniqueness", () => {
    expect(checkField(allow, ["FR", "DE"])).toBeNull();
    expect(checkField(allow, ["FR", "fr"])).toBe('"fr" is not valid here.');
    expect(checkField(allow, ["FR", "FR"])).toBe("Each item only once.");
  });
  it("requires required leaves", () => {
    const sites = byName(form, "enterprise_sites");
    if (sites.kind !== "objectList") throw new Error("objectList expected");
    const name = byName(sites.item.children, "name");
    const ips = byName(sites.item.children, "public_ips");
    expect(checkField(name, undefined)).toBe("Required.");
    expect(checkField(name, "")).toBe("Required.");
    expect(checkField(ips, [])).toBe("At least 1 item.");
  });
});

describe("input conversions", () => {
  it("turns text into lists and back", () => {
    expect(textToList(" FR \n\nDE, IT ")).toEqual(["FR", "DE", "IT"]);
    expect(textToList("  \n ")).toBeUndefined();
    expect(listToText(["a", "b"])).toBe("a\nb");
    expect(listToText(undefined)).toBe("");
  });
  it("parses numbers, empty as unset", () => {
    expect(parseNumberInput("")).toBeUndefined();
    expect(parseNumberInput(" 0.25 ")).toBe(0.25);
    expect(parseNumberInput("abc")).toBeNaN();
  });
});
