/**
 * @file Shared, seeded starting values for the reference systems: TensorFlow.js, jax-js and
 * PyTorch (bench/torch_ref.py has the same generator in NumPy) start from bit-identical weights
 * and inputs, so their losses can be compared (`pnpm bench --verify`), which checks that every
 * system computes the same model. The generator is counter-based (a 32-bit integer hash of
 * seed and index, then Box-Muller), so it vectorizes in NumPy and needs no state.
 *
 * Weights normal(0, 0.02), LayerNorm gains 1 and biases 0, MHA in/out projection biases 0,
 * other Linear biases normal(0, 0.02) (as typegrad's workloads initialize them), inputs normal(0, 1).
 */

/** lowbias32 (Chris Wellons): a 32-bit integer hash with good avalanche. */
function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

const TWO32 = 4294967296;

/** `size` draws of normal(mean, std) for `seed`, as float32. */
export function normalValues(seed: number, size: number, mean = 0, std = 1): Float32Array {
  const base = hash32(Math.imul(seed, 0x9e3779b1) >>> 0);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const u1 = (hash32((base + 2 * i) >>> 0) + 0.5) / TWO32;
    const u2 = (hash32((base + 2 * i + 1) >>> 0) + 0.5) / TWO32;
    out[i] = mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return out;
}

/** `size` integers uniform in [0, high) for `seed`. */
export function intValues(seed: number, size: number, high: number): Int32Array {
  const base = hash32(Math.imul(seed, 0x9e3779b1) >>> 0);
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor((hash32((base + i) >>> 0) / TWO32) * high);
  return out;
}

/** How one tensor starts. */
export interface InitSpec {
  name: string;
  shape: number[];
  kind: "normal" | "ones" | "zeros";
  std: number;
  seed: number;
}

/** The values of one spec. */
export function initValues(spec: InitSpec): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.kind === "ones") return new Float32Array(size).fill(1);
  if (spec.kind === "zeros") return new Float32Array(size);
  return normalValues(spec.seed, size, 0, spec.std);
}

/** An attention workload's sizes (W0, W2). */
export interface AttentionSize {
  batch: number;
  tokens: number;
  embed: number;
  heads: number;
}
export const W0_SIZE: AttentionSize = { batch: 1, tokens: 8, embed: 32, heads: 2 };
export const W2_SIZE: AttentionSize = { batch: 8, tokens: 128, embed: 256, heads: 8 };

/** The sizes of W0 or W2. */
export function attentionSize(workload: "W0" | "W2"): AttentionSize {
  return workload === "W0" ? W0_SIZE : W2_SIZE;
}

/** The table label of W0 or W2, e.g. "W0 MHA B1 T8 E32 H2". */
export function attentionLabel(workload: "W0" | "W2"): string {
  const { batch, tokens, embed, heads } = attentionSize(workload);
  return `${workload} MHA B${batch} T${tokens} E${embed} H${heads}`;
}

/** The W3 model and batch. */
export const W3_CONFIG = { vocab: 65, context: 64, dModel: 128, heads: 4, layers: 2, batch: 16, lr: 3e-4, weightDecay: 0.01 };

/** W0/W2: the MHA parameters (PyTorch's names), then the input x and the output weight G. */
export function attentionSpecs(size: AttentionSize): { params: InitSpec[]; x: InitSpec; g: InitSpec } {
  const E = size.embed;
  const act = [size.batch, size.tokens, E];
  return {
    params: [
      { name: "in_proj_weight", shape: [3 * E, E], kind: "normal", std: 0.02, seed: 1 },
      { name: "in_proj_bias", shape: [3 * E], kind: "zeros", std: 0, seed: 0 },
      { name: "out_proj.weight", shape: [E, E], kind: "normal", std: 0.02, seed: 2 },
      { name: "out_proj.bias", shape: [E], kind: "zeros", std: 0, seed: 0 },
    ],
    x: { name: "x", shape: act, kind: "normal", std: 1, seed: 3 },
    g: { name: "G", shape: act, kind: "normal", std: 1, seed: 4 },
  };
}

/** W3: every parameter of the tiny GPT, in a fixed order, with typegrad's / PyTorch's names. */
export function gptSpecs(): InitSpec[] {
  const { vocab, context, dModel: d, layers } = W3_CONFIG;
  const specs: InitSpec[] = [];
  const add = (name: string, shape: number[], kind: InitSpec["kind"] = "normal") =>
    specs.push({ name, shape, kind, std: kind === "normal" ? 0.02 : 0, seed: 10 + specs.length });
  add("token_embedding.weight", [vocab, d]);
  add("position_embedding.weight", [context, d]);
  for (let l = 0; l < layers; l++) {
    const p = `blocks.${l}.`;
    add(`${p}ln1.weight`, [d], "ones");
    add(`${p}ln1.bias`, [d], "zeros");
    add(`${p}attn.in_proj_weight`, [3 * d, d]);
    add(`${p}attn.in_proj_bias`, [3 * d], "zeros");
    add(`${p}attn.out_proj.weight`, [d, d]);
    add(`${p}attn.out_proj.bias`, [d], "zeros");
    add(`${p}ln2.weight`, [d], "ones");
    add(`${p}ln2.bias`, [d], "zeros");
    add(`${p}fc1.weight`, [4 * d, d]);
    add(`${p}fc1.bias`, [4 * d]);
    add(`${p}fc2.weight`, [d, 4 * d]);
    add(`${p}fc2.bias`, [d]);
  }
  add("ln_final.weight", [d], "ones");
  add("ln_final.bias", [d], "zeros");
  add("head.weight", [vocab, d]);
  add("head.bias", [vocab]);
  return specs;
}

/** W3's fixed batch: token ids and targets, [batch * context] each, row-major [B, T]. */
export function gptBatch(): { tokens: Int32Array; targets: Int32Array } {
  const { vocab, context, batch } = W3_CONFIG;
  return { tokens: intValues(100, batch * context, vocab), targets: intValues(101, batch * context, vocab) };
}

/** W1's operands for size n. */
export function matmulOperands(n: number): { a: Float32Array; b: Float32Array } {
  return { a: normalValues(200 + n, n * n), b: normalValues(300 + n, n * n) };
}
