/**
 * @file Jacobians two ways: numerically, by central differences that perturb one input
 * element in place and restore it exactly; analytically, by one vector-Jacobian product per
 * output element through `autograd.grad`. Both are laid out [output element][input element]
 * in row-major element order. Also the small deterministic RNG gradcheck uses, so checks
 * never draw from (and disturb) the global seeded generator.
 */
import { autograd, noGrad, Tensor, zeros } from "@typegrad/autograd";
import { allIndices } from "@typegrad/tensor/testing";
import { GradcheckError } from "./report.js";

/** A function under test: tensors in, one tensor or a list out. */
export type Checked = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

/** The outputs of `fn` as a list. */
export function outputsOf(fn: Checked, inputs: readonly Tensor[]): Tensor[] {
  const out = fn(...inputs);
  return out instanceof Tensor ? [out] : [...out];
}

/** Row-major float64 values of a tensor. */
export function valuesOf(t: Tensor): Float64Array {
  return Float64Array.from(t.array.toArray() as ArrayLike<number>);
}

/** Every logical element index of each input, in row-major order. */
export function elementIndices(t: Tensor): number[][] {
  return allIndices(t.shape);
}

/**
 * d outputs / d inputs[i] by central differences with step `eps`, one column per element of
 * the input: result[o][k][j] for output o, its element k and input element j.
 */
export function numericJacobian(fn: Checked, inputs: readonly Tensor[], i: number, eps: number, outputs: readonly number[]): Float64Array[][] {
  const x = inputs[i]!;
  const indices = elementIndices(x);
  const columns: Float64Array[][] = [];
  noGrad(() => {
    for (const index of indices) {
      const original = x.array.get(...index);
      x.array.set(index, original + eps);
      const plus = outputsOf(fn, inputs).map(valuesOf);
      x.array.set(index, original - eps);
      const minus = outputsOf(fn, inputs).map(valuesOf);
      x.array.set(index, original);
      columns.push(outputs.map((o) => plus[o]!.map((p, k) => (p - minus[o]![k]!) / (2 * eps))));
    }
  });
  // Transpose columns[j][o][k] into [o][k][j].
  return outputs.map((_, oi) => {
    const n = columns[0]?.[oi]?.length ?? 0;
    return Array.from({ length: n }, (_, k) => Float64Array.from(columns, (col) => col[oi]![k]!));
  });
}

/** The vector-Jacobian product v^T J for every input that requires grad (zeros where unused). */
export function vjp(output: Tensor, inputs: readonly Tensor[], v: Tensor): Float64Array[] {
  const wanted = inputs.filter((x) => x.requiresGrad);
  const grads = autograd.grad([output], wanted, { gradOutputs: [v], retainGraph: true, allowUnused: true });
  return wanted.map((x, k) => {
    const g = grads[k];
    if (g && (g.shape.length !== x.shape.length || g.shape.some((s, d) => s !== x.shape[d]))) {
      throw new GradcheckError(`gradcheck: the gradient for an input of shape [${x.shape.join(",")}] has shape [${g.shape.join(",")}]`);
    }
    return g ? valuesOf(g) : new Float64Array(x.numel());
  });
}

/** A one-hot tensor of `like`'s shape and dtype with a 1 at flat position `k`. */
export function oneHot(like: Tensor, k: number): Tensor {
  const t = zeros(like.shape, { dtype: like.dtype });
  t.array.data[k] = 1;
  return t;
}

/** A tensor of `like`'s shape and dtype with values uniform in [-1, 1) from `random`. */
export function randomLike(like: Tensor, random: () => number, requiresGrad = false): Tensor {
  const t = zeros(like.shape, { dtype: like.dtype });
  for (let k = 0; k < t.numel(); k++) t.array.data[k] = 2 * random() - 1;
  return requiresGrad ? t.requiresGrad_() : t;
}

/** A small seeded generator (mulberry32) for random test vectors, independent of manualSeed. */
export function localRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
