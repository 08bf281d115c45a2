/**
 * @file A tiny GPT trained on real English text (nlp-corpus), with the defaults of the learning
 * workload L1 (WORKLOADS.md): T=64, d=128, H=4, 2 pre-LN blocks, tanh-GELU, batch 32 random
 * windows, AdamW 1e-3 (wd 0.01) with 100 warmup steps and a cosine decay to 1e-4 over 3000
 * steps, gradient clipping at 1.0, seed 0, validation loss over 50 fixed batches. Checkpoints
 * (model, optimizer, scheduler, step, RNG) let `--resume` continue exactly; at the end it
 * writes a loss curve (SVG) and samples text with temperature and top-k.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as tg from "typegrad";
import { checkpointConfig, loadCheckpoint, saveCheckpoint } from "./lib/checkpoint.js";
import { defaultOut, runCli, type Options } from "./lib/cli.js";
import { loadCorpus, type Corpus } from "./lib/corpus.js";
import { progress } from "./lib/progress.js";
import { lineChart } from "./lib/svg.js";
import { TinyGPT } from "./models/gpt.js";

/** The char-gpt options; the defaults are L1's recipe. */
export const CHAR_GPT_OPTIONS = {
  steps: { type: "number", default: 3000, integer: true, min: 1, help: "training steps" },
  batch: { type: "number", default: 32, integer: true, min: 1, help: "windows per step" },
  context: { type: "number", default: 64, integer: true, min: 2, help: "tokens per window (T)" },
  dModel: { type: "number", default: 128, integer: true, min: 4, help: "model width (d)" },
  heads: { type: "number", default: 4, integer: true, min: 1, help: "attention heads" },
  layers: { type: "number", default: 2, integer: true, min: 1, help: "transformer blocks" },
  lr: { type: "number", default: 1e-3, min: 0, help: "peak learning rate" },
  minLr: { type: "number", default: 1e-4, min: 0, help: "final learning rate of the cosine decay" },
  warmup: { type: "number", default: 100, integer: true, min: 0, help: "linear warmup steps" },
  weightDecay: { type: "number", default: 0.01, min: 0, help: "AdamW weight decay" },
  clip: { type: "number", default: 1, min: 0, help: "gradient norm clipping (0: off)" },
  chars: { type: "number", default: 2_000_000, integer: true, min: 1000, help: "code points of nlp-corpus to use" },
  evalEvery: { type: "number", default: 500, integer: true, min: 1, help: "steps between validation losses" },
  evalBatches: { type: "number", default: 50, integer: true, min: 1, help: "fixed validation batches" },
  checkpointEvery: { type: "number", default: 500, integer: true, min: 1, help: "steps between checkpoints" },
  resume: { type: "boolean", default: false, help: "continue from the checkpoint in --out" },
  stopAt: { type: "number", default: 0, integer: true, min: 0, help: "stop after this step, as if interrupted (0: run to --steps)" },
  sampleLength: { type: "number", default: 400, integer: true, min: 0, help: "characters to sample after training" },
  temperature: { type: "number", default: 0.8, min: 0.01, help: "sampling temperature" },
  topK: { type: "number", default: 20, integer: true, min: 1, help: "sample among the k most likely characters" },
  seed: { type: "number", default: 0, integer: true, help: "random seed (same seed, same run)" },
  out: { type: "string", default: defaultOut("char-gpt"), help: "output folder (checkpoint, loss curve)" },
  quiet: { type: "boolean", default: false, help: "no progress output" },
} as const;

/** Options of `trainCharGpt`. */
export type CharGptOptions = Options<typeof CHAR_GPT_OPTIONS>;

/** L1's learning rate at step t (from 0), relative to the peak: linear warmup, then cosine to minLr. */
export function lrFactor(o: Pick<CharGptOptions, "steps" | "warmup" | "lr" | "minLr">, t: number): number {
  if (t < o.warmup) return (t + 1) / o.warmup;
  const span = Math.max(1, o.steps - o.warmup);
  return (o.minLr + (o.lr - o.minLr) * 0.5 * (1 + Math.cos((Math.PI * Math.min(t - o.warmup, span)) / span))) / o.lr;
}

/** A batch of windows at `offsets`: inputs [B, T] and targets shifted by one. */
function windows(tokens: Int32Array, offsets: readonly number[], T: number): { x: tg.Tensor; y: tg.Tensor } {
  const x = new Int32Array(offsets.length * T);
  const y = new Int32Array(offsets.length * T);
  offsets.forEach((o, r) => {
    x.set(tokens.subarray(o, o + T), r * T);
    y.set(tokens.subarray(o + 1, o + T + 1), r * T);
  });
  return { x: tg.tensor(x, { shape: [offsets.length, T] }), y: tg.tensor(y, { shape: [offsets.length, T] }) };
}

/** Mean cross-entropy over L1's fixed validation batches: offsets ((k*B + j) * 997) mod (len - T - 1). */
export function validationLoss(model: TinyGPT, corpus: Corpus, o: CharGptOptions): number {
  const span = corpus.val.length - o.context - 1;
  let total = 0;
  tg.noGrad(() => {
    for (let k = 0; k < o.evalBatches; k++) {
      const offsets = Array.from({ length: o.batch }, (_, j) => ((k * o.batch + j) * 997) % span);
      const { x, y } = windows(corpus.val, offsets, o.context);
      total += tg.nn.functional.crossEntropy(model.forward(x).reshape([-1, corpus.vocab.length]), y.reshape([-1])).item();
    }
  });
  return total / o.evalBatches;
}

/** Samples `length` characters after `prompt` (temperature, top-k). */
export function sample(model: TinyGPT, corpus: Corpus, prompt: string, length: number, temperature: number, topK: number): string {
  const index = new Map(corpus.vocab.map((c, i) => [c, i]));
  const ids = Array.from(prompt, (c) => index.get(c) ?? 0);
  const out: string[] = [];
  tg.noGrad(() => {
    for (let i = 0; i < length; i++) {
      const context = ids.slice(-model.config.context);
      const logits = model.forward(tg.tensor(Int32Array.from(context), { shape: [1, context.length] })).select(1, -1).select(0, 0);
      const scaled = Array.from(logits.toArray() as Float32Array, (v) => v / temperature);
      const top = scaled.map((v, k) => [v, k] as const).sort((a, b) => b[0] - a[0]).slice(0, topK);
      const max = top[0]![0];
      const weights = top.map(([v]) => Math.exp(v - max));
      let u = tg.rand([1]).item() * weights.reduce((a, b) => a + b, 0);
      let pick = top[top.length - 1]![1];
      for (let k = 0; k < top.length; k++) {
        u -= weights[k]!;
        if (u <= 0) {
          pick = top[k]![1];
          break;
        }
      }
      ids.push(pick);
      out.push(corpus.vocab[pick]!);
    }
  });
  return out.join("");
}

/** What a run produced. */
export interface CharGptResult {
  losses: number[];
  validation: [number, number][];
  finalValidation: number;
  seconds: number;
  files: string[];
  sample: string;
}

/**
 * Options a resumed run must share with the checkpoint's: the model, the data, and everything
 * the schedule and the update read (a different value would silently mix two runs).
 */
const RUN_SHAPING = ["context", "dModel", "heads", "layers", "chars", "batch", "steps", "seed", "lr", "minLr", "warmup", "weightDecay", "clip"] as const;

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Trains (or resumes) the char-level GPT. */
export function trainCharGpt(o: CharGptOptions, corpus: Corpus = loadCorpus(o.chars)): CharGptResult {
  tg.manualSeed(o.seed);
  const model = new TinyGPT({ vocab: corpus.vocab.length, context: o.context, dModel: o.dModel, heads: o.heads, layers: o.layers, gelu: "tanh" });
  const opt = new tg.optim.AdamW(model.parameters(), { lr: o.lr, weightDecay: o.weightDecay });
  const sched = new tg.optim.lrScheduler.LambdaLR(opt, (t) => lrFactor(o, t));
  mkdirSync(o.out, { recursive: true });
  const checkpointPath = join(o.out, "checkpoint.safetensors");
  let losses: number[] = [];
  let validation: [number, number][] = [];
  let start = 0;
  if (o.resume) {
    if (!existsSync(checkpointPath)) throw new Error(`--resume: no checkpoint at ${checkpointPath}`);
    const saved = checkpointConfig(checkpointPath);
    const changed = RUN_SHAPING.filter((k) => saved[k] !== o[k]);
    if (changed.length > 0) {
      const what = changed.map((k) => `--${kebab(k)} ${String(saved[k])} in the checkpoint, ${String(o[k])} now`).join("; ");
      throw new Error(`--resume: the checkpoint at ${checkpointPath} was written with other options (${what})`);
    }
    const info = loadCheckpoint(checkpointPath, model, opt, sched);
    start = info.step;
    losses = info.extra.losses as number[];
    validation = info.extra.validation as [number, number][];
  }
  const bar = progress("char-gpt", o.steps, { quiet: o.quiet, every: 50 });
  const started = performance.now();
  const span = corpus.train.length - o.context - 1;
  const last = o.stopAt > 0 ? Math.min(o.stopAt, o.steps) : o.steps;
  for (let step = start + 1; step <= last; step++) {
    const offsets = Array.from(tg.randint(0, span, [o.batch]).toArray() as Int32Array);
    const { x, y } = windows(corpus.train, offsets, o.context);
    opt.zeroGrad();
    const loss = tg.nn.functional.crossEntropy(model.forward(x).reshape([-1, corpus.vocab.length]), y.reshape([-1]));
    loss.backward();
    if (o.clip > 0) tg.nn.utils.clipGradNorm_(model.parameters(), o.clip);
    opt.step();
    const lr = sched.getLastLr()[0]!;
    sched.step();
    losses.push(loss.item());
    bar.update(step, { loss: losses[losses.length - 1]!, lr });
    if (step % o.evalEvery === 0 || step === o.steps) validation.push([step, validationLoss(model, corpus, o)]);
    if (step % o.checkpointEvery === 0 || step === last) {
      saveCheckpoint(checkpointPath, model, opt, sched, { step, config: { ...o }, extra: { losses, validation } });
    }
  }
  bar.stop();
  const seconds = (performance.now() - started) / 1000;
  const finalValidation = validation[validation.length - 1]?.[1] ?? validationLoss(model, corpus, o);
  const curvePath = join(o.out, "loss.svg");
  const smooth = losses.map((_, i) => [i + 1, mean(losses.slice(Math.max(0, i - 24), i + 1))] as [number, number]);
  tg.nn.writeFileAtomic(curvePath, lineChart("char-gpt on nlp-corpus", "step", "cross-entropy (nats/char)", [
    { name: "train (25-step mean)", points: smooth, color: "#1f77b4" },
    { name: "validation", points: validation, color: "#d62728" },
  ]));
  const text = o.sampleLength > 0 ? sample(model, corpus, "The ", o.sampleLength, o.temperature, o.topK) : "";
  return { losses, validation, finalValidation, seconds, files: [checkpointPath, curvePath], sample: text };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

async function main(): Promise<void> {
  await runCli("pnpm example char-gpt", "Trains a character-level GPT on English text (L1's recipe by default).", CHAR_GPT_OPTIONS, (o) => {
    const r = trainCharGpt(o);
    console.log(`\ntrained to step ${o.steps} in ${r.seconds.toFixed(1)} s; validation loss ${r.finalValidation.toFixed(4)} nats/char`);
    for (const [step, v] of r.validation) console.log(`  step ${step}: validation ${v.toFixed(4)}`);
    console.log(`files: ${r.files.join(", ")}`);
    if (r.sample) console.log(`\nsample (temperature ${o.temperature}, top-k ${o.topK}):\nThe ${r.sample}`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
