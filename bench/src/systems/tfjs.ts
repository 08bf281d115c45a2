/**
 * @file W0-W3 in TensorFlow.js 4.22 (`@tensorflow/tfjs-core`), on its `wasm` backend
 * (`@tensorflow/tfjs-backend-wasm`: XNNPACK, SIMD; the .wasm binaries are read from the
 * package's dist folder in node_modules, never downloaded) or its `cpu` backend (plain JS).
 *
 * The model math is the same as typegrad's and PyTorch's: MHA with packed in-projection
 * (x W_in^T + b_in, split into q, k, v), per-head softmax(q k^T / sqrt(d) + causal mask) v,
 * out-projection; pre-LN GPT blocks with exact (erf) GELU; cross-entropy = mean of
 * -log_softmax(logits)[target]; AdamW (decoupled weight decay, PyTorch's update:
 * p <- p (1 - lr wd); m, v Adam moments; p <- p - lr m^ / (sqrt(v^) + eps)), written with tfjs
 * ops because `tf.train.adam` has no weight decay. Gradients come from `tf.valueAndGrads` (W0,
 * W2) and `tf.variableGrads` (W3); every step runs inside `tf.tidy`, so no tensor outlives it.
 *
 * Gradients: tfjs-core's Node build (a CommonJS bundle) has no gradient functions; the union
 * package `@tensorflow/tfjs` registers them from `tfjs-core/dist/register_all_gradients.js`, an
 * ES module graph written for bundlers (extensionless and directory imports). `initTfjs` loads
 * that file with a small resolve hook for those imports; tfjs keeps its engine and registries on
 * a global, so the gradients land in the same engine as the backends (as with the union package).
 *
 * Two tfjs limits shape the code: the wasm backend has no `UnsortedSegmentSum`, which the
 * gradient of `tf.gather` needs, so embeddings are one-hot matmuls (exact, and cheap at vocab
 * 65 and T 64); and in Node the wasm backend is single-threaded (tfjs turns its threaded build
 * off under Node, tensorflow/tfjs#3830).
 */
import { createRequire, register } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { measure } from "../timing.js";
import { W3_CONFIG, attentionLabel, attentionSize, attentionSpecs, gptBatch, gptSpecs, initValues, matmulOperands, type AttentionSize } from "./init.js";
import type { Plan, Result, SystemInfo } from "./types.js";

export type TfjsBackend = "wasm" | "cpu";

/** Resolves tfjs-core's bundler-style imports: `./x` as `./x.js`, else `./x/index.js`. */
const RESOLVE_HOOK = `
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    const inTfjs = (context.parentURL ?? "").includes("/@tensorflow/tfjs-core/");
    if (!inTfjs || !specifier.startsWith(".")) throw e;
    const code = e && e.code;
    if ((code !== "ERR_UNSUPPORTED_DIR_IMPORT" && code !== "ERR_MODULE_NOT_FOUND") || specifier.endsWith(".js")) throw e;
    try {
      return await next(specifier + ".js", context);
    } catch {
      return next(specifier + "/index.js", context);
    }
  }
}`;

let gradientsRegistered = false;

/** Registers tfjs-core's gradient functions (what `@tensorflow/tfjs` does on import). */
async function registerGradients(): Promise<void> {
  if (gradientsRegistered) return;
  register(`data:text/javascript,${encodeURIComponent(RESOLVE_HOOK)}`);
  await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  gradientsRegistered = true;
}

/** Selects and initializes the backend. Call once per process. */
export async function initTfjs(backend: TfjsBackend): Promise<SystemInfo> {
  await registerGradients();
  if (backend === "wasm") {
    const require = createRequire(import.meta.url);
    const dist = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");
    setWasmPaths(`${dist}/`);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend ${backend} failed to initialize`);
  await tf.ready();
  const simd = backend === "wasm" && tf.env().getBool("WASM_HAS_SIMD_SUPPORT");
  const threads = backend === "wasm" ? getThreadsCount() : 1;
  return {
    detail: `tfjs-core ${tf.version_core}, ${backend} backend${backend === "wasm" ? (simd ? " (SIMD, XNNPACK)" : " (no SIMD)") : " (plain JS)"}`,
    threads,
  };
}

/** A float32 tensor from an init spec's values. */
function fromValues(values: Float32Array, shape: number[]): tf.Tensor {
  return tf.tensor(values, shape, "float32");
}

/** Additive causal mask [T, T]: 0 on and below the diagonal, -inf above. */
function causalMask(T: number): tf.Tensor2D {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = -Infinity;
  return tf.tensor2d(m, [T, T]);
}

/** x [N, in] W^T + b for W [out, in]. */
function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x, w as tf.Tensor2D, false, true), b);
}

/** Multi-head self-attention on x [B, T, E] with PyTorch's packed parameters. */
function mha(x: tf.Tensor3D, inW: tf.Tensor, inB: tf.Tensor, outW: tf.Tensor, outB: tf.Tensor, heads: number, mask: tf.Tensor): tf.Tensor3D {
  const [B, T, E] = x.shape;
  const D = E / heads;
  const qkv = linear(tf.reshape(x, [B * T, E]), inW, inB);
  const [q, k, v] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const toHeads = (t: tf.Tensor2D) => tf.transpose(tf.reshape(t, [B, T, heads, D]), [0, 2, 1, 3]);
  const scores = tf.add(tf.mul(tf.matMul(toHeads(q), toHeads(k), false, true), 1 / Math.sqrt(D)), mask);
  const attended = tf.matMul(tf.softmax(scores), toHeads(v));
  const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [B * T, E]) as tf.Tensor2D;
  return tf.reshape(linear(merged, outW, outB), [B, T, E]);
}

/** LayerNorm over the last axis, eps 1e-5 (biased variance, as PyTorch). */
function layerNorm<T extends tf.Tensor>(x: T, w: tf.Tensor, b: tf.Tensor): T {
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, 1e-5))), w), b);
}

/** Exact GELU: x/2 (1 + erf(x / sqrt 2)). */
function gelu<T extends tf.Tensor>(x: T): T {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** W0 / W2 state: MHA parameters, input and output weight, and the fwd+bwd function. */
function attentionSetup(size: AttentionSize) {
  const specs = attentionSpecs(size);
  const params = specs.params.map((s) => fromValues(initValues(s), s.shape));
  const x = fromValues(initValues(specs.x), specs.x.shape) as tf.Tensor3D;
  const g = fromValues(initValues(specs.g), specs.g.shape);
  const mask = causalMask(size.tokens);
  const loss = (xIn: tf.Tensor, inW: tf.Tensor, inB: tf.Tensor, outW: tf.Tensor, outB: tf.Tensor): tf.Scalar =>
    tf.sum(tf.mul(mha(xIn as tf.Tensor3D, inW, inB, outW, outB, size.heads, mask), g));
  const valueAndGrads = tf.valueAndGrads(loss as (...args: tf.Tensor[]) => tf.Scalar);
  /** One forward + backward: gradients of x and of all four parameters; returns the loss tensor's value when asked. */
  const step = (read: boolean): number =>
    tf.tidy(() => {
      const { value, grads } = valueAndGrads([x, ...params]);
      if (grads.length !== 5) throw new Error("tfjs: expected 5 gradients");
      return read ? value.dataSync()[0]! : 0;
    });
  const dispose = () => tf.dispose([...params, x, g, mask]);
  return { step, dispose };
}

let instance = 0;

/** W3 state: the tiny GPT's variables, AdamW moments, the fixed batch, and one training step. */
export function gptSetup() {
  const { vocab, context: T, dModel: d, heads, layers, batch: B, lr, weightDecay } = W3_CONFIG;
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  const prefix = `w3_${instance++}_`;
  const specs = gptSpecs();
  const vars = specs.map((s) => tf.variable(fromValues(initValues(s), s.shape), true, prefix + s.name));
  const moments1 = vars.map((v) => tf.variable(tf.zerosLike(v), false));
  const moments2 = vars.map((v) => tf.variable(tf.zerosLike(v), false));
  const byName = new Map(specs.map((s, i) => [s.name, vars[i]!] as const));
  const P = (name: string): tf.Variable => {
    const v = byName.get(name);
    if (!v) throw new Error(`tfjs: no parameter ${name}`);
    return v;
  };
  const { tokens, targets } = gptBatch();
  const tokenOneHot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(tokens, "int32"), vocab), "float32")) as tf.Tensor2D;
  const targetOneHot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(targets, "int32"), vocab), "float32")) as tf.Tensor2D;
  const mask = causalMask(T);

  const forwardLoss = (): tf.Scalar => {
    let x = tf.add(tf.reshape(tf.matMul(tokenOneHot, P("token_embedding.weight")), [B, T, d]), P("position_embedding.weight")) as tf.Tensor3D;
    for (let l = 0; l < layers; l++) {
      const p = `blocks.${l}.`;
      const h = layerNorm(x, P(`${p}ln1.weight`), P(`${p}ln1.bias`));
      x = tf.add(x, mha(h, P(`${p}attn.in_proj_weight`), P(`${p}attn.in_proj_bias`), P(`${p}attn.out_proj.weight`), P(`${p}attn.out_proj.bias`), heads, mask));
      const h2 = tf.reshape(layerNorm(x, P(`${p}ln2.weight`), P(`${p}ln2.bias`)), [B * T, d]) as tf.Tensor2D;
      const mlp = linear(gelu(linear(h2, P(`${p}fc1.weight`), P(`${p}fc1.bias`))), P(`${p}fc2.weight`), P(`${p}fc2.bias`));
      x = tf.add(x, tf.reshape(mlp, [B, T, d]));
    }
    const final = tf.reshape(layerNorm(x, P("ln_final.weight"), P("ln_final.bias")), [B * T, d]) as tf.Tensor2D;
    const logits = linear(final, P("head.weight"), P("head.bias"));
    return tf.neg(tf.mean(tf.sum(tf.mul(targetOneHot, tf.logSoftmax(logits)), 1)));
  };

  let t = 0;
  /** One training step: forward, cross-entropy, backward, AdamW. Returns the loss. */
  const step = (): number => {
    t += 1;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(forwardLoss, vars);
      vars.forEach((p, i) => {
        const g = grads[p.name];
        if (!g) throw new Error(`tfjs: no gradient for ${p.name}`);
        const m1 = moments1[i]!;
        const m2 = moments2[i]!;
        const m = tf.add(tf.mul(m1, beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(m2, beta2), tf.mul(tf.square(g), 1 - beta2));
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));
        p.assign(tf.sub(tf.mul(p, 1 - lr * weightDecay), tf.mul(update, lr)));
        m1.assign(m);
        m2.assign(v);
      });
      return value.dataSync()[0]!;
    });
  };
  const dispose = () => tf.dispose([...vars, ...moments1, ...moments2, tokenOneHot, targetOneHot, mask]);
  return { step, dispose, liveTensors: () => tf.memory().numTensors };
}

/** Runs one plan (one workload; W1: each size) on the initialized backend. */
export async function runTfjs(info: SystemInfo, plan: Plan): Promise<Omit<Result, "peakRssMiB" | "startRssMiB">[]> {
  const system = plan.system;
  const base = { system, detail: info.detail, workload: plan.workload, threads: info.threads };
  const counts = plan.counts[0]!;
  if (plan.workload === "W0" || plan.workload === "W2") {
    const s = attentionSetup(attentionSize(plan.workload));
    const first = s.step(true);
    const t = await measure(() => s.step(false), counts, plan.budgetMs);
    s.dispose();
    return [{ ...base, label: attentionLabel(plan.workload), ...t, check: [first] }];
  }
  if (plan.workload === "W1") {
    const out: Omit<Result, "peakRssMiB" | "startRssMiB">[] = [];
    for (const [i, n] of plan.sizes.entries()) {
      const { a: av, b: bv } = matmulOperands(n);
      const a = tf.tensor2d(av, [n, n]);
      const b = tf.tensor2d(bv, [n, n]);
      const t = await measure(() => tf.matMul(a, b).dispose(), plan.counts[i]!, plan.budgetMs);
      tf.dispose([a, b]);
      out.push({ ...base, label: `W1 n=${n}`, n, ...t, gflops: (2 * n ** 3) / (t.medianMs * 1e6) });
    }
    return out;
  }
  const s = gptSetup();
  const check: number[] = [];
  const t = await measure(
    () => {
      const loss = s.step();
      if (check.length < 3) check.push(loss);
    },
    counts,
    plan.budgetMs,
  );
  s.dispose();
  return [{ ...base, label: "W3 tiny GPT train step", ...t, tokensPerSecond: (W3_CONFIG.batch * W3_CONFIG.context) / (t.medianMs / 1000), check }];
}
