/**
 * @file Gradient clipping: `clipGradNorm_` (scale all gradients together so their joint p-norm
 * is at most maxNorm, PyTorch 1.13's formula with the clamped coefficient) and `clipGradValue_`
 * (clamp every element). Gradients are changed in place through Tensor's in-place ops (so their
 * version counters move); nothing is recorded. Params without a gradient are ignored.
 */
import { noGrad, tensor, Tensor } from "@typegrad/autograd";
import { type DType } from "@typegrad/tensor";
import { floatData, forEachElementRow } from "./optimizer.js";

/** Options of `clipGradNorm_`. */
export interface ClipGradNormOptions {
  /** The p of the p-norm: any p > 0, or Infinity (the largest absolute value). Default 2. */
  normType?: number;
  /** Throw when the total norm is NaN or infinite (default false: scale by it anyway, as PyTorch). */
  errorIfNonfinite?: boolean;
}

/**
 * Scales the gradients of `params` in place so that their joint norm is at most `maxNorm`
 * (coefficient min(1, maxNorm / (norm + 1e-6))); returns the norm before clipping as a 0-d tensor
 * of the gradients' dtype (float32 when no param has a gradient).
 * @example const norm = clipGradNorm_(model.parameters(), 1.0); // after backward, before step
 * Matches `torch.nn.utils.clip_grad_norm_`.
 */
export function clipGradNorm_(params: Iterable<Tensor> | Tensor, maxNorm: number, options: ClipGradNormOptions = {}): Tensor {
  const op = "clipGradNorm_";
  const normType = options.normType ?? 2;
  if (typeof maxNorm !== "number" || Number.isNaN(maxNorm)) throw new TypeError(`${op}: maxNorm must be a number, got ${String(maxNorm)}`);
  if (typeof normType !== "number" || !(normType > 0)) throw new RangeError(`${op}: normType must be > 0 or Infinity, got ${normType}`);
  const grads = gradsOf(params, op);
  if (grads.length === 0) return tensor(0);
  const dtype: DType = grads.some((g) => g.dtype === "float64") ? "float64" : "float32";
  let total: number;
  if (normType === Infinity) total = Math.max(...grads.map((g) => pNorm(g, Infinity)));
  else total = combine(grads.map((g) => pNorm(g, normType)), normType);
  if (dtype === "float32") total = Math.fround(total);
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new RangeError(
      `${op}: the total norm of order ${normType} of the gradients is ${total}, so it cannot be clipped; ` +
        "pass errorIfNonfinite: false to scale the gradients by it anyway",
    );
  }
  const coef = Math.min(maxNorm / (total + 1e-6), 1); // NaN stays NaN, as torch.clamp
  noGrad(() => grads.forEach((g) => g.mul_(coef)));
  return tensor(total, { dtype });
}

/**
 * Clamps every gradient element of `params` to [-clipValue, clipValue], in place.
 * @example clipGradValue_(model.parameters(), 0.5);
 * Matches `torch.nn.utils.clip_grad_value_`.
 */
export function clipGradValue_(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  const op = "clipGradValue_";
  if (typeof clipValue !== "number" || Number.isNaN(clipValue)) throw new TypeError(`${op}: clipValue must be a number, got ${String(clipValue)}`);
  for (const g of gradsOf(params, op)) noGrad(() => g.copy_(g.clamp(-clipValue, clipValue)));
}

/** The gradients of the params that have one. */
function gradsOf(params: Iterable<Tensor> | Tensor, op: string): Tensor[] {
  const list = params instanceof Tensor ? [params] : params;
  if (list === null || typeof list !== "object" || typeof (list as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError(`${op}: params must be a Tensor or an iterable of Tensors`);
  }
  const grads: Tensor[] = [];
  for (const p of list as Iterable<unknown>) {
    if (!(p instanceof Tensor)) throw new TypeError(`${op}: params must be Tensors, got ${p === null ? "null" : typeof p}`);
    if (p.grad !== null) grads.push(p.grad);
  }
  return grads;
}

/** The p-norm of one tensor's elements (p = Infinity: the largest absolute value). */
function pNorm(g: Tensor, p: number): number {
  const data = floatData(g.array, "clipGradNorm_");
  let acc = 0;
  forEachElementRow([g.array], (off, n, st) => {
    const s = st[0]!;
    let i = off[0]!;
    if (p === Infinity) for (let k = 0; k < n; k++, i += s) acc = Math.max(acc, Math.abs(data[i]!));
    else if (p === 2) for (let k = 0; k < n; k++, i += s) acc += data[i]! * data[i]!;
    else if (p === 1) for (let k = 0; k < n; k++, i += s) acc += Math.abs(data[i]!);
    else for (let k = 0; k < n; k++, i += s) acc += Math.abs(data[i]!) ** p;
  });
  if (p === Infinity || p === 1) return acc;
  return p === 2 ? Math.sqrt(acc) : acc ** (1 / p);
}

/** The p-norm of the per-tensor norms (PyTorch: torch.norm(torch.stack(norms), p)). */
function combine(norms: readonly number[], p: number): number {
  if (p === 1) return norms.reduce((a, b) => a + b, 0);
  if (p === 2) return Math.sqrt(norms.reduce((a, b) => a + b * b, 0));
  return norms.reduce((a, b) => a + b ** p, 0) ** (1 / p);
}
