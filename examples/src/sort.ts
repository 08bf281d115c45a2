/**
 * @file `pnpm demo`: a small transformer encoder (TransformerEncoderLayer, so MultiHeadAttention)
 * learns to sort sequences of 8 digits from generated data, then reports exact-sequence
 * accuracy on 2,000 held-out sequences, prints a few, and saves its checkpoint for
 * `attention-map`. Each output position must find the k-th smallest input: attention's job.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as tg from "typegrad";
import { defaultOut, runCli, type Options } from "./lib/cli.js";
import { progress } from "./lib/progress.js";

/** The sort example's options. */
export const SORT_OPTIONS = {
  steps: { type: "number", default: 400, integer: true, min: 1, help: "training steps" },
  batch: { type: "number", default: 128, integer: true, min: 1, help: "sequences per step" },
  length: { type: "number", default: 8, integer: true, min: 2, help: "digits per sequence" },
  dModel: { type: "number", default: 64, integer: true, min: 4, help: "model width" },
  heads: { type: "number", default: 4, integer: true, min: 1, help: "attention heads" },
  layers: { type: "number", default: 2, integer: true, min: 1, help: "encoder layers" },
  lr: { type: "number", default: 2e-3, min: 0, help: "peak learning rate (AdamW, linear warmup, cosine decay)" },
  evalSize: { type: "number", default: 2000, integer: true, min: 1, help: "held-out sequences for the accuracy" },
  seed: { type: "number", default: 0, integer: true, help: "random seed (same seed, same run)" },
  out: { type: "string", default: defaultOut("sort"), help: "output folder (checkpoint)" },
  quiet: { type: "boolean", default: false, help: "no progress output" },
} as const;

/** Options of `trainSort`. */
export type SortOptions = Options<typeof SORT_OPTIONS>;

const DIGITS = 10;

/** A transformer encoder that maps a digit sequence to per-position logits of the sorted digit. */
export class Sorter extends tg.nn.Module {
  readonly embed: tg.nn.Embedding;
  readonly positions: tg.nn.Embedding;
  readonly layers: tg.nn.ModuleList<tg.nn.TransformerEncoderLayer>;
  readonly head: tg.nn.Linear;

  constructor(readonly config: { length: number; dModel: number; heads: number; layers: number }) {
    super();
    const d = config.dModel;
    this.embed = this.registerModule("embed", new tg.nn.Embedding(DIGITS, d));
    this.positions = this.registerModule("positions", new tg.nn.Embedding(config.length, d));
    const layer = () => new tg.nn.TransformerEncoderLayer(d, config.heads, { dimFeedforward: 4 * d, dropout: 0, batchFirst: true, normFirst: true });
    this.layers = this.registerModule("layers", new tg.nn.ModuleList(Array.from({ length: config.layers }, layer)));
    this.head = this.registerModule("head", new tg.nn.Linear(d, DIGITS));
  }

  /** The input to the first layer: token plus position embeddings, [B, L, d]. */
  embedTokens(tokens: tg.Tensor): tg.Tensor {
    return this.embed.forward(tokens).add(this.positions.forward(tg.arange(tokens.shape[1]!)));
  }

  forward(tokens: tg.Tensor): tg.Tensor {
    let x = this.embedTokens(tokens);
    for (const layer of this.layers) x = layer.forward(x);
    return this.head.forward(x);
  }
}

/** `count` random sequences and their sorted versions (int32 [count, length]). */
export function makeBatch(count: number, length: number): { inputs: tg.Tensor; targets: tg.Tensor } {
  const inputs = tg.randint(0, DIGITS, [count, length]);
  const values = inputs.toArray() as Int32Array;
  const sorted = new Int32Array(values.length);
  for (let r = 0; r < count; r++) sorted.set(values.subarray(r * length, (r + 1) * length).slice().sort(), r * length);
  return { inputs, targets: tg.tensor(sorted, { shape: [count, length] }) };
}

/** Exact-sequence accuracy (every position right) of the model on a batch. */
export function accuracy(model: Sorter, inputs: tg.Tensor, targets: tg.Tensor): number {
  const predicted = tg.noGrad(() => model.forward(inputs).argmax(-1));
  const rowsRight = predicted.eq(targets).to("int32").sum(-1).eq(targets.shape[1]!);
  return rowsRight.to("float32").mean().item();
}

/** What a run produced. */
export interface SortResult {
  accuracy: number;
  losses: number[];
  seconds: number;
  checkpoint: string;
  model: Sorter;
  examples: string[];
}

/** Trains the sorter and evaluates it on held-out sequences. */
export function trainSort(o: SortOptions): SortResult {
  tg.manualSeed(o.seed);
  const model = new Sorter({ length: o.length, dModel: o.dModel, heads: o.heads, layers: o.layers });
  const opt = new tg.optim.AdamW(model.parameters(), { lr: o.lr, weightDecay: 0.01 });
  const warmup = Math.max(1, Math.round(o.steps * 0.1));
  const schedule = (t: number) => (t < warmup ? (t + 1) / warmup : 0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * (t - warmup)) / Math.max(1, o.steps - warmup))));
  const sched = new tg.optim.lrScheduler.LambdaLR(opt, schedule);
  const bar = progress("sort", o.steps, { quiet: o.quiet });
  const losses: number[] = [];
  const started = performance.now();
  for (let step = 1; step <= o.steps; step++) {
    const { inputs, targets } = makeBatch(o.batch, o.length);
    opt.zeroGrad();
    const loss = tg.nn.functional.crossEntropy(model.forward(inputs).reshape([-1, DIGITS]), targets.reshape([-1]));
    loss.backward();
    tg.nn.utils.clipGradNorm_(model.parameters(), 1);
    opt.step();
    const lr = sched.getLastLr()[0]!;
    sched.step();
    losses.push(loss.item());
    bar.update(step, { loss: losses[losses.length - 1]!, lr });
  }
  bar.stop();
  const seconds = (performance.now() - started) / 1000;
  tg.manualSeed(o.seed + 1_000_003); // held-out data from another stream
  const heldOut = makeBatch(o.evalSize, o.length);
  const acc = accuracy(model, heldOut.inputs, heldOut.targets);
  const shown = tg.noGrad(() => model.forward(heldOut.inputs.narrow(0, 0, 4)).argmax(-1));
  const examples = [0, 1, 2, 3].map((i) => {
    const row = (t: tg.Tensor) => (t.select(0, i).tolist() as number[]).join("");
    return `${row(heldOut.inputs)} -> ${row(shown)}${row(shown) === row(heldOut.targets) ? "" : `  (want ${row(heldOut.targets)})`}`;
  });
  mkdirSync(o.out, { recursive: true });
  const checkpoint = join(o.out, "sort.safetensors");
  tg.nn.saveSafetensors(model.stateDict(), checkpoint, { config: JSON.stringify(model.config), accuracy: String(acc) });
  return { accuracy: acc, losses, seconds, checkpoint, model, examples };
}

async function main(): Promise<void> {
  await runCli("pnpm demo", "Trains a transformer encoder to sort digit sequences.", SORT_OPTIONS, (o) => {
    const r = trainSort(o);
    console.log(`\ntrained ${o.steps} steps in ${r.seconds.toFixed(1)} s (final loss ${r.losses[r.losses.length - 1]!.toFixed(4)})`);
    console.log(`exact-sequence accuracy on ${o.evalSize} held-out sequences: ${(100 * r.accuracy).toFixed(2)}%`);
    for (const line of r.examples) console.log(`  ${line}`);
    console.log(`checkpoint: ${r.checkpoint} (used by \`pnpm example attention-map\`)`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
