// Writes .gz and .br variants beside every compressible file of the build,
// for the gateway to serve when the client accepts them. Deterministic:
// gzip headers carry no name or time, so equal input gives equal output.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = process.argv[2] ?? "dist";
const compressible = /\.(js|mjs|css|html|svg|json|txt|map)$/;

function* files(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

const rows = [];
for (const path of files(root)) {
  if (!compressible.test(path) || path.endsWith(".map")) continue;
  const data = readFileSync(path);
  const gz = gzipSync(data, { level: 9 });
  const br = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  writeFileSync(path + ".gz", gz);
  writeFileSync(path + ".br", br);
  rows.push([relative(root, path), data.length, gz.length, br.length]);
}

const kb = (n) => (n / 1024).toFixed(1).padStart(8) + " kB";
for (const [name, raw, gz, br] of rows) {
  console.log(`${name.padEnd(48)} ${kb(raw)}  gzip ${kb(gz)}  br ${kb(br)}`);
}
