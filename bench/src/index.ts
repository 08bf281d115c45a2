/**
 * @file `pnpm bench`: runs the workloads of ../shared/bench/WORKLOADS.md that exist so far
 * (W0, W1, W2, W3), prints one JSON line per result and a summary table, and writes the JSON
 * lines to bench/results/<date>.jsonl. Flags: --only W1 (comma-separated), --sizes 128,256
 * (W1), --iterations N, --warmup N.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runAttention } from "./workloads/attention.js";
import { runW1 } from "./workloads/w1-matmul.js";
import { runW3 } from "./workloads/w3-gpt.js";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    sizes: { type: "string", default: "128,256,512,1024" },
    iterations: { type: "string" },
    warmup: { type: "string" },
  },
});

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`bench: --${name} must be a positive integer, got ${raw}`);
  return n;
}

const timing = {
  ...(values.iterations ? { iterations: positiveInt("iterations", values.iterations) } : {}),
  ...(values.warmup ? { warmup: positiveInt("warmup", values.warmup) } : {}),
};
const sizes = values.sizes.split(",").map((s) => positiveInt("sizes", s));
const only = new Set((values.only ?? "W0,W1,W2,W3").toUpperCase().split(","));
for (const w of only) if (!["W0", "W1", "W2", "W3"].includes(w)) throw new RangeError(`bench: unknown workload ${w} (expected W0, W1, W2 or W3)`);

interface Row {
  workload: string;
  what: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  figure: string;
  peakRssMiB: number;
}
const lines: object[] = [];
const rows: Row[] = [];
const emit = (line: object, row: Row) => {
  console.log(JSON.stringify(line));
  lines.push(line);
  rows.push(row);
};

if (only.has("W0")) {
  const r = runAttention("W0", timing);
  emit(r, { ...r, workload: "W0", what: "MHA B1 T8 E32 H2 fwd+bwd", figure: `${(r.medianMs * 1000).toFixed(0)} us/iter` });
}
if (only.has("W1")) {
  for (const r of runW1(sizes, timing)) emit(r, { ...r, workload: "W1", what: `matmul n=${r.n}`, figure: `${r.gflops.toFixed(2)} GFLOP/s` });
}
if (only.has("W2")) {
  const r = runAttention("W2", timing);
  emit(r, { ...r, workload: "W2", what: "MHA B8 T128 E256 H8 fwd+bwd", figure: `${r.medianMs.toFixed(1)} ms/iter` });
}
if (only.has("W3")) {
  const r = runW3(timing);
  emit(r, { ...r, workload: "W3", what: "tiny GPT train step (AdamW)", figure: `${r.medianMs.toFixed(1)} ms/step, ${r.tokensPerSecond.toFixed(0)} tokens/s` });
}

console.log("\nworkload  what                           median ms  (min..max)            figure                         peak RSS");
for (const r of rows) {
  const spread = `(${r.minMs.toFixed(2)}..${r.maxMs.toFixed(2)})`;
  console.log(`${r.workload.padEnd(9)} ${r.what.padEnd(30)} ${r.medianMs.toFixed(3).padStart(10)}  ${spread.padEnd(20)}  ${r.figure.padEnd(30)} ${r.peakRssMiB.toFixed(0)} MiB`);
}
console.log("system: typegrad (plain TypeScript kernels), 1 thread");

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "results");
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().replace(/[:.]/g, "-")}.jsonl`);
writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
console.log(`\nwrote ${file}`);
