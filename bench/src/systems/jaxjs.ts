/**
 * @file W0-W3 in jax-js 0.1.25 (`@jax-js/jax`) on its `wasm` device, as its users run it: the
 * loss is a pure function of a parameter pytree, `valueAndGrad` differentiates it, and `jit`
 * compiles the whole step (W0/W2: forward + backward; W3: forward, cross-entropy, backward and
 * the AdamW update, with the step count as a traced scalar so one compiled program serves
 * every step). Arrays follow jax-js's move semantics (`.ref` to keep a reference); each step's
 * outputs are awaited with `blockUntilReady` inside the timed region, then disposed or carried
 * into the next step, so nothing leaks.
 *
 * Same math as the other systems: MHA with PyTorch's packed in-projection and
 * `nn.dotProductAttention(..., { isCausal: true })` (softmax(q k^T / sqrt(d) + causal mask) v),
 * LayerNorm = `nn.standardize` (biased variance, eps 1e-5) * gain + bias, exact GELU
 * (`approximate: false`), cross-entropy = mean of -log_softmax(logits)[target], AdamW with
 * PyTorch's update. In Node, jax-js's wasm device is single-threaded: its worker pool needs the
 * browser's global `Worker`, which Node does not have.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { blockUntilReady, defaultDevice, init, jit, nn, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import { measure } from "../timing.js";
import { W3_CONFIG, attentionLabel, attentionSize, attentionSpecs, gptBatch, gptSpecs, initValues, matmulOperands, type AttentionSize, type InitSpec } from "./init.js";
import type { Plan, Result, SystemInfo } from "./types.js";

type Arr = np.Array;
type MhaParams = { inW: Arr; inB: Arr; outW: Arr; outB: Arr };
type Params = { [name: string]: Arr };

/**
 * jax-js 0.1.25's einsum parser (behind `nn.dotProductAttention`) calls `.map` / `.filter` on a
 * `matchAll` iterator: ES2025 iterator helpers, which Node 22 has and Node 20 lacks. Where they
 * are missing, add the two it uses (lazy, as the standard ones) to %IteratorPrototype%.
 */
function ensureIteratorHelpers(): boolean {
  const proto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as Record<string, unknown>;
  if (typeof proto["map"] === "function" && typeof proto["filter"] === "function") return false;
  Object.defineProperty(proto, "map", {
    configurable: true,
    writable: true,
    value: function* map(this: Iterator<unknown>, fn: (v: unknown, i: number) => unknown) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) yield fn(r.value, i++);
    },
  });
  Object.defineProperty(proto, "filter", {
    configurable: true,
    writable: true,
    value: function* filter(this: Iterator<unknown>, fn: (v: unknown, i: number) => unknown) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) if (fn(r.value, i++)) yield r.value;
    },
  });
  return true;
}

/** Starts the wasm device. Call once per process. */
export async function initJax(): Promise<SystemInfo> {
  const polyfilled = ensureIteratorHelpers();
  const devices = await init("wasm");
  if (!devices.includes("wasm")) throw new Error(`jax-js: wasm device unavailable (got ${devices.join(", ")})`);
  defaultDevice("wasm");
  const pkg = join(dirname(createRequire(import.meta.url).resolve("@jax-js/jax")), "..", "package.json");
  const version = (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
  const pooled = typeof SharedArrayBuffer !== "undefined" && typeof (globalThis as { Worker?: unknown }).Worker !== "undefined";
  return { detail: `jax-js ${version}, wasm device, jit${polyfilled ? " (Node 20: iterator-helper polyfill)" : ""}`, threads: pooled ? Math.max(1, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 4) : 1 };
}

/** A float32 array from an init spec. */
function fromSpec(spec: InitSpec): Arr {
  return np.array(initValues(spec)).reshape(spec.shape);
}

/** x [..., in] W^T + b for W [out, in]. Consumes its arguments. */
function linear(x: Arr, w: Arr, b: Arr): Arr {
  return np.matmul(x, np.matrixTranspose(w)).add(b);
}

/** Causal multi-head self-attention on x [B, T, E]. Consumes x and p. */
function mha(x: Arr, p: MhaParams, heads: number): Arr {
  const [B, T, E] = x.shape as [number, number, number];
  const D = E / heads;
  const [q, k, v] = np.split(linear(x, p.inW, p.inB), 3, 2) as [Arr, Arr, Arr];
  const toHeads = (t: Arr) => t.reshape([B, T, heads, D]);
  const attended = nn.dotProductAttention(toHeads(q), toHeads(k), toHeads(v), { isCausal: true });
  return linear(attended.reshape([B, T, E]), p.outW, p.outB);
}

/** LayerNorm over the last axis. Consumes its arguments. */
function layerNorm(x: Arr, w: Arr, b: Arr): Arr {
  return nn.standardize(x, -1, { epsilon: 1e-5 }).mul(w).add(b);
}

/** W0 / W2: parameters, input, output weight, and the jitted forward + backward. */
function attentionSetup(size: AttentionSize) {
  const specs = attentionSpecs(size);
  const [inW, inB, outW, outB] = specs.params.map(fromSpec) as [Arr, Arr, Arr, Arr];
  const params: MhaParams = { inW, inB, outW, outB };
  const x = fromSpec(specs.x);
  const g = fromSpec(specs.g);
  const loss = (p: MhaParams, xIn: Arr, gIn: Arr): Arr => mha(xIn, p, size.heads).mul(gIn).sum();
  const fwdBwd = jit(valueAndGrad(loss, { argnums: [0, 1] }));
  /** One forward + backward (gradients of the parameters and of x); the loss when `read`. */
  const step = async (read: boolean): Promise<number> => {
    const [value, grads] = fwdBwd(tree.ref(params), x.ref, g.ref);
    await blockUntilReady([value, grads]);
    tree.dispose(grads);
    if (read) return value.item();
    value.dispose();
    return 0;
  };
  const dispose = () => {
    tree.dispose(params);
    x.dispose();
    g.dispose();
    fwdBwd.dispose();
  };
  return { step, dispose };
}

/** W3: the tiny GPT's parameters, AdamW moments, the fixed batch, and the jitted training step. */
export function gptSetup() {
  const { vocab, context: T, heads, layers, batch: B, lr, weightDecay } = W3_CONFIG;
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  const specs = gptSpecs();
  const names = specs.map((s) => s.name);
  const { tokens: tv, targets: gv } = gptBatch();
  const tokens = np.array(tv, { dtype: np.int32 }).reshape([B, T]);
  const targetOneHot = nn.oneHot(np.array(gv, { dtype: np.int32 }), vocab).astype(np.float32);

  const gptLoss = (P: Params, tok: Arr, target1h: Arr): Arr => {
    const take = (name: string): Arr => {
      const a = P[name];
      if (!a) throw new Error(`jax-js: no parameter ${name}`);
      return a;
    };
    let x = np.take(take("token_embedding.weight"), tok, 0).add(take("position_embedding.weight"));
    for (let l = 0; l < layers; l++) {
      const p = `blocks.${l}.`;
      const h = layerNorm(x.ref, take(`${p}ln1.weight`), take(`${p}ln1.bias`));
      const attnP: MhaParams = { inW: take(`${p}attn.in_proj_weight`), inB: take(`${p}attn.in_proj_bias`), outW: take(`${p}attn.out_proj.weight`), outB: take(`${p}attn.out_proj.bias`) };
      x = x.add(mha(h, attnP, heads));
      const h2 = layerNorm(x.ref, take(`${p}ln2.weight`), take(`${p}ln2.bias`));
      const hidden = nn.gelu(linear(h2, take(`${p}fc1.weight`), take(`${p}fc1.bias`)), { approximate: false });
      x = x.add(linear(hidden, take(`${p}fc2.weight`), take(`${p}fc2.bias`)));
    }
    const logits = linear(layerNorm(x, take("ln_final.weight"), take("ln_final.bias")), take("head.weight"), take("head.bias")).reshape([B * T, vocab]);
    return nn.logSoftmax(logits, -1).mul(target1h).sum(-1).mean().neg();
  };

  const trainStep = jit((params: Params, m: Params, v: Params, count: Arr, tok: Arr, target1h: Arr) => {
    const [loss, grads] = valueAndGrad(gptLoss)(tree.ref(params), tok, target1h);
    const t = count.add(1);
    const bc1 = np.subtract(1, np.power(beta1, t.ref));
    const bc2 = np.subtract(1, np.power(beta2, t.ref));
    const newP: Params = {};
    const newM: Params = {};
    const newV: Params = {};
    for (const name of names) {
      const g = grads[name]!;
      const m1 = m[name]!.mul(beta1).add(g.ref.mul(1 - beta1));
      const m2 = v[name]!.mul(beta2).add(np.square(g).mul(1 - beta2));
      const update = m1.ref.div(bc1.ref).div(np.sqrt(m2.ref.div(bc2.ref)).add(eps));
      newP[name] = params[name]!.mul(1 - lr * weightDecay).sub(update.mul(lr));
      newM[name] = m1;
      newV[name] = m2;
    }
    bc1.dispose();
    bc2.dispose();
    return [loss, newP, newM, newV, t];
  });

  let params: Params = Object.fromEntries(specs.map((s) => [s.name, fromSpec(s)]));
  let m: Params = Object.fromEntries(specs.map((s) => [s.name, np.zeros(s.shape)]));
  let v: Params = Object.fromEntries(specs.map((s) => [s.name, np.zeros(s.shape)]));
  let count = np.zeros([]);

  /** One training step; resolves to the loss. */
  const step = async (): Promise<number> => {
    const [loss, p2, m2, v2, c2] = trainStep(params, m, v, count, tokens.ref, targetOneHot.ref) as [Arr, Params, Params, Params, Arr];
    params = p2;
    m = m2;
    v = v2;
    count = c2;
    await blockUntilReady([loss, params, m, v, count]);
    return loss.item();
  };
  const dispose = () => {
    tree.dispose([params, m, v, count, tokens, targetOneHot]);
    trainStep.dispose();
  };
  return { step, dispose };
}

/** Runs one plan (one workload; W1: each size). */
export async function runJax(info: SystemInfo, plan: Plan): Promise<Omit<Result, "peakRssMiB" | "startRssMiB">[]> {
  const base = { system: plan.system, detail: info.detail, workload: plan.workload, threads: info.threads };
  const counts = plan.counts[0]!;
  if (plan.workload === "W0" || plan.workload === "W2") {
    const s = attentionSetup(attentionSize(plan.workload));
    const first = await s.step(true);
    const t = await measure(() => s.step(false), counts, plan.budgetMs);
    s.dispose();
    return [{ ...base, label: attentionLabel(plan.workload), ...t, check: [first] }];
  }
  if (plan.workload === "W1") {
    const out: Omit<Result, "peakRssMiB" | "startRssMiB">[] = [];
    for (const [i, n] of plan.sizes.entries()) {
      const { a: av, b: bv } = matmulOperands(n);
      const a = np.array(av).reshape([n, n]);
      const b = np.array(bv).reshape([n, n]);
      const t = await measure(
        async () => {
          const c = np.matmul(a.ref, b.ref);
          await c.blockUntilReady();
          c.dispose();
        },
        plan.counts[i]!,
        plan.budgetMs,
      );
      a.dispose();
      b.dispose();
      out.push({ ...base, label: `W1 n=${n}`, n, ...t, gflops: (2 * n ** 3) / (t.medianMs * 1e6), note: "eager np.matmul" });
    }
    return out;
  }
  const s = gptSetup();
  const check: number[] = [];
  const t = await measure(
    async () => {
      const loss = await s.step();
      if (check.length < 3) check.push(loss);
    },
    counts,
    plan.budgetMs,
  );
  s.dispose();
  return [{ ...base, label: "W3 tiny GPT train step", ...t, tokensPerSecond: (W3_CONFIG.batch * W3_CONFIG.context) / (t.medianMs / 1000), check }];
}
