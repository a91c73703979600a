import { mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { outputDir } from "./env";

/** Empties the output directory of an earlier run's screens and measurements. */
export default function globalSetup(): void {
  mkdirSync(outputDir, { recursive: true });
  for (const name of readdirSync(outputDir)) {
    if (/\.(png|json|jsonl)$/.test(name)) rmSync(path.join(outputDir, name));
  }
}
