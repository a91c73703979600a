// Copies the configs service's delivery settings JSON Schema into the app,
// where the settings form is generated from it. Run by `npm run gen:api`.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const from = new URL("../../internal/configs/schema/delivery-settings.json", import.meta.url);
const to = new URL("../src/api/delivery-settings.schema.json", import.meta.url);
const schema = JSON.parse(readFileSync(from, "utf8"));
writeFileSync(to, JSON.stringify(schema, null, 2) + "\n");
console.log(`wrote ${fileURLToPath(to).split("/").slice(-3).join("/")}`);
