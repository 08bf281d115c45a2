/**
 * @file Loads the `sort` checkpoint (or trains one if there is none) and draws the attention
 * weights of every head of every layer for one input, with the input digits on both axes:
 * to put the k-th smallest digit at position k, heads learn to look up digits by rank.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as tg from "typegrad";
import { defaultOut, runCli, type Options } from "./lib/cli.js";
import { heatmapGrid, type Heatmap } from "./lib/svg.js";
import { SORT_OPTIONS, Sorter, trainSort } from "./sort.js";

/** The attention-map options. */
export const ATTENTION_MAP_OPTIONS = {
  checkpoint: { type: "string", default: join(defaultOut("sort"), "sort.safetensors"), help: "sort checkpoint to load (trained first if missing)" },
  input: { type: "string", default: "52830471", help: "the digit sequence to look at" },
  trainSteps: { type: "number", default: 400, integer: true, min: 1, help: "steps when a checkpoint has to be trained first" },
  seed: { type: "number", default: 0, integer: true, help: "random seed when training" },
  out: { type: "string", default: defaultOut("attention-map"), help: "output folder" },
  quiet: { type: "boolean", default: false, help: "no progress output" },
} as const;

/** Options of `attentionMap`. */
export type AttentionMapOptions = Options<typeof ATTENTION_MAP_OPTIONS>;

/** Loads a sort model from its checkpoint (config in the metadata). */
export function loadSorter(path: string): Sorter {
  const bytes = new Uint8Array(readFileSync(path));
  const config = JSON.parse(tg.nn.safetensorsMetadata(bytes).config ?? "null") as Sorter["config"] | null;
  if (!config) throw new Error(`${path} has no sort model config in its metadata (was it written by the sort example?)`);
  const model = new Sorter(config);
  model.loadStateDict(tg.nn.parseSafetensors(bytes));
  return model.eval();
}

/** Per-layer, per-head attention weights [L, L] of `model` on `digits`. */
export function attentionWeights(model: Sorter, digits: readonly number[]): number[][][][] {
  const tokens = tg.tensor(Int32Array.from(digits), { shape: [1, digits.length] });
  const out: number[][][][] = [];
  tg.noGrad(() => {
    let x = model.embedTokens(tokens);
    for (const layer of model.layers) {
      const h = layer.normFirst ? layer.norm1.forward(x) : x;
      const [, weights] = layer.self_attn.forward(h, h, h, { needWeights: true, averageAttnWeights: false });
      out.push(weights!.select(0, 0).tolist() as number[][][]);
      x = layer.forward(x);
    }
  });
  return out;
}

/** Writes the heatmap SVG; returns its path and the model's output for the input. */
export function attentionMap(o: AttentionMapOptions): { svg: string; output: string } {
  if (!/^\d+$/.test(o.input)) throw new Error(`--input must be digits, got "${o.input}"`);
  if (!existsSync(o.checkpoint)) {
    if (!o.quiet) console.log(`no checkpoint at ${o.checkpoint}: training the sort model first`);
    const defaults = Object.fromEntries(Object.entries(SORT_OPTIONS).map(([k, v]) => [k, v.default]));
    trainSort({ ...(defaults as Options<typeof SORT_OPTIONS>), steps: o.trainSteps, seed: o.seed, quiet: o.quiet, out: join(o.checkpoint, "..") });
  }
  const model = loadSorter(o.checkpoint);
  const digits = Array.from(o.input, Number);
  if (digits.length !== model.config.length) throw new Error(`--input must have ${model.config.length} digits (the model's length), got ${digits.length}`);
  const predicted = tg.noGrad(() => model.forward(tg.tensor(Int32Array.from(digits), { shape: [1, digits.length] })).argmax(-1)).tolist() as number[][];
  const output = predicted[0]!.join("");
  const labels = digits.map(String);
  const rows = digits.map((_, i) => `${i}`);
  const maps: Heatmap[] = attentionWeights(model, digits).flatMap((heads, l) =>
    heads.map((values, h) => ({ title: `layer ${l} head ${h}`, rows, cols: labels, values })),
  );
  mkdirSync(o.out, { recursive: true });
  const svg = join(o.out, "attention.svg");
  const title = `sort model attention on ${o.input} -> ${output} (rows: output position, columns: input digit)`;
  tg.nn.writeFileAtomic(svg, heatmapGrid(title, maps, model.config.heads));
  return { svg, output };
}

async function main(): Promise<void> {
  await runCli("pnpm example attention-map", "Draws the sort model's attention weights for one input.", ATTENTION_MAP_OPTIONS, (o) => {
    const r = attentionMap(o);
    console.log(`${o.input} -> ${r.output}\nwrote ${r.svg}`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
