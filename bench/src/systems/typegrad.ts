/**
 * @file typegrad in the side-by-side bench: its own workload code (../workloads/attention.ts for
 * W0 and W2, w1-matmul.ts, w3-gpt.ts with the examples package's TinyGPT) timed by its own helper, with the
 * plan's warm-up and iteration counts. The time budget does not apply here (typegrad's timing
 * helper runs exactly the counts it is given).
 *
 * `verifyTypegrad` is separate: it loads the shared starting values of ./init.ts into the same
 * modules, so that `pnpm bench --verify` can compare typegrad's losses with the other systems'.
 */
import * as T from "@typegrad/tensor";
import { noGrad, tensor, type Tensor } from "@typegrad/autograd";
import { MultiHeadAttention, functional as F } from "@typegrad/nn";
import { AdamW } from "@typegrad/optim";
import { TinyGPT } from "@typegrad/examples/models/gpt";
import { runAttention } from "../workloads/attention.js";
import { runW1 } from "../workloads/w1-matmul.js";
import { runW3, w3Setup } from "../workloads/w3-gpt.js";
import { W0_SIZE, W2_SIZE, W3_CONFIG, attentionLabel, attentionSpecs, gptBatch, gptSpecs, initValues, type AttentionSize, type InitSpec } from "./init.js";
import type { Plan, Result, SystemInfo } from "./types.js";

/**
 * typegrad's kernel backend and threads, from the tensor package's `backendInfo()` (or
 * `getBackend()`) where it has them (the wasm backend of the performance issue); else plain JS,
 * one thread. typegrad's workload code reports 1 thread regardless, so this value replaces it.
 */
export function typegradInfo(): SystemInfo {
  const mod = T as unknown as Record<string, unknown>;
  const call = <R>(name: string): R | undefined => (typeof mod[name] === "function" ? (mod[name] as () => R)() : undefined);
  const info = call<{ backend?: string; threads?: number; relaxedSimd?: boolean; reason?: string }>("backendInfo");
  const backend = info?.backend ?? call<string>("getBackend") ?? "js";
  const threads = backend === "wasm" ? (info?.threads ?? call<number>("getNumThreads") ?? 1) : 1;
  const simd = backend === "wasm" ? (info?.relaxedSimd ? " (relaxed SIMD)" : " (SIMD)") : "";
  return { detail: `typegrad (workspace), ${backend} kernels${simd}, ${threads} thread${threads === 1 ? "" : "s"}`, threads };
}

/** Runs one plan with typegrad's own workload code. */
export async function runTypegrad(info: SystemInfo, plan: Plan): Promise<Omit<Result, "peakRssMiB" | "startRssMiB">[]> {
  const base = { system: plan.system, detail: info.detail, workload: plan.workload };
  if (plan.workload === "W1") {
    return plan.sizes.map((n, i) => {
      const counts = plan.counts[i]!;
      const [r] = runW1([n], counts);
      if (!r) throw new Error("typegrad: W1 returned nothing");
      return { ...base, label: `W1 n=${n}`, n, medianMs: r.medianMs, minMs: r.minMs, maxMs: r.maxMs, warmup: counts.warmup, warmupRequested: counts.warmup, iterations: r.iterations, iterationsRequested: counts.iterations, threads: info.threads, gflops: r.gflops };
    });
  }
  const counts = plan.counts[0]!;
  if (plan.workload === "W3") {
    const r = runW3(counts);
    return [{ ...base, label: "W3 tiny GPT train step", medianMs: r.medianMs, minMs: r.minMs, maxMs: r.maxMs, warmup: counts.warmup, warmupRequested: counts.warmup, iterations: r.iterations, iterationsRequested: counts.iterations, threads: info.threads, tokensPerSecond: r.tokensPerSecond }];
  }
  const r = runAttention(plan.workload, counts);
  return [{ ...base, label: attentionLabel(plan.workload), medianMs: r.medianMs, minMs: r.minMs, maxMs: r.maxMs, warmup: counts.warmup, warmupRequested: counts.warmup, iterations: r.iterations, iterationsRequested: counts.iterations, threads: info.threads }];
}

/** typegrad's W3 training step, as its workload builds it (for the RSS check). */
export function typegradW3Step(): () => number {
  return w3Setup().step;
}

/** Copies a spec's shared values into a parameter. */
function load(p: Tensor, spec: InitSpec): void {
  noGrad(() => p.copy_(tensor(initValues(spec), { shape: spec.shape })));
}

/** W0/W2 from the shared values: sum(out * G) (the check value of the other systems). */
function verifyAttention(size: AttentionSize): number {
  const specs = attentionSpecs(size);
  const mha = new MultiHeadAttention(size.embed, size.heads, { batchFirst: true });
  const params = new Map(mha.namedParameters());
  for (const s of specs.params) {
    const p = params.get(s.name);
    if (!p) throw new Error(`typegrad: MHA has no parameter ${s.name}`);
    load(p, s);
  }
  const x = tensor(initValues(specs.x), { shape: specs.x.shape, requiresGrad: true });
  const g = tensor(initValues(specs.g), { shape: specs.g.shape });
  const [out] = mha.forward(x, x, x, { isCausal: true, needWeights: false });
  const loss = out.mul(g).sum();
  loss.backward();
  return loss.item();
}

/** W3 from the shared values: the losses of the first three training steps. */
function verifyGpt(): number[] {
  const { vocab, context, dModel, heads, layers, batch, lr, weightDecay } = W3_CONFIG;
  const model = new TinyGPT({ vocab, context, dModel, heads, layers });
  const params = new Map(model.namedParameters());
  for (const s of gptSpecs()) {
    const p = params.get(s.name);
    if (!p) throw new Error(`typegrad: TinyGPT has no parameter ${s.name}`);
    load(p, s);
  }
  if (params.size !== gptSpecs().length) throw new Error(`typegrad: TinyGPT has ${params.size} parameters, the shared init ${gptSpecs().length}`);
  const { tokens: tv, targets: gv } = gptBatch();
  const tokens = tensor(tv, { shape: [batch, context] });
  const targets = tensor(gv, { shape: [batch * context] });
  const opt = new AdamW(model.parameters(), { lr, weightDecay });
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) {
    opt.zeroGrad();
    const loss = F.crossEntropy(model.forward(tokens).reshape([-1, vocab]), targets);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  return losses;
}

/** The check values of `--verify`: W0, W2 (sum(out * G)) and W3 (three losses). */
export function verifyTypegrad(): Record<"W0" | "W2" | "W3", number[]> {
  return { W0: [verifyAttention(W0_SIZE)], W2: [verifyAttention(W2_SIZE)], W3: verifyGpt() };
}
