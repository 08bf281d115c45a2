/**
 * @file `pnpm bench`: runs the workloads of ../shared/bench/WORKLOADS.md that exist so far
 * (W1), prints one JSON line per result and a summary table, and writes the JSON lines to
 * bench/results/<date>.jsonl. Flags: --only W1, --sizes 128,256, --iterations N, --warmup N.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runW1 } from "./workloads/w1-matmul.js";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    sizes: { type: "string", default: "128,256,512,1024" },
    iterations: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
  },
});

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`bench: --${name} must be a positive integer, got ${raw}`);
  return n;
}

const timing = { iterations: positiveInt("iterations", values.iterations), warmup: positiveInt("warmup", values.warmup) };
const sizes = values.sizes.split(",").map((s) => positiveInt("sizes", s));
const only = values.only?.toUpperCase();
const lines: object[] = [];

if (!only || only === "W1") {
  for (const r of runW1(sizes, timing)) {
    console.log(JSON.stringify(r));
    lines.push(r);
  }
}

console.log("\nworkload  system          size   median ms   GFLOP/s   (min..max ms)");
for (const r of lines as ReturnType<typeof runW1>) {
  console.log(
    `${r.workload.padEnd(9)} ${r.system.padEnd(15)} ${String(r.n).padStart(5)} ${r.medianMs.toFixed(2).padStart(11)} ${r.gflops.toFixed(2).padStart(9)}   (${r.minMs.toFixed(2)}..${r.maxMs.toFixed(2)})`,
  );
}

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "results");
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().replace(/[:.]/g, "-")}.jsonl`);
writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
console.log(`\nwrote ${file}`);
