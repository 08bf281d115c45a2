/**
 * @file Composite ops: written with other ops, so they need no backward rule of their own
 * (their gradients, and higher-order ones, follow from the primitives). Shape bookkeeping
 * comes from the tensor core's layout functions, never recomputed here.
 */
import * as K from "@typegrad/tensor";
import { isFloating, normalizeDim, normalizeDims, resolveIndex, resolveNarrow, type Dims } from "@typegrad/tensor";
import { ones } from "./factories.js";
import * as B from "./ops/binary.js";
import * as M from "./ops/movement.js";
import { argmaxKeepdim, argminKeepdim } from "./ops/nondiff.js";
import type { Operand } from "./ops/nondiff.js";
import { Tensor } from "./tensor.js";

function requireFloat(op: string, x: Tensor): void {
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: expected a float32 or float64 tensor, got ${x.dtype}`);
}

/** a - b. Matches `torch.sub`. */
export function sub(a: Operand, b: Operand): Tensor {
  if (typeof a !== "number" && typeof b !== "number" && a.dtype === "bool" && b.dtype === "bool") {
    throw new TypeError("sub: not supported for two bool operands (use logicalXor)");
  }
  if (typeof b === "number") return B.add.apply([a, -b]);
  return B.add.apply([a, b.neg()]);
}

/** x * x. Matches `torch.square`. */
export function square(x: Tensor): Tensor {
  return x.dtype === "bool" ? x.to("int32").mul(x.to("int32")) : B.mul.apply([x, x]);
}

/** Mean over dims (float tensors only). Matches `torch.mean`. */
export function mean(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  requireFloat("mean", x);
  const norm = normalizeDims(dims, x.ndim, "mean");
  const count = norm.reduce((n, d) => n * x.shape[d]!, 1);
  return x.sum(norm, keepdim).div(count);
}

/** Options of var/std. */
export interface VarOptions {
  correction?: number;
  keepdim?: boolean;
}

/** Variance over dims, dividing by max(0, n - correction). Matches `torch.var(x, dim, correction=...)`. */
export function variance(x: Tensor, dims?: Dims, options: VarOptions = {}): Tensor {
  requireFloat("var", x);
  const correction = options.correction ?? 1;
  if (!Number.isFinite(correction) || correction < 0) {
    throw new RangeError(`var: correction must be a non-negative number, got ${correction}`);
  }
  const norm = normalizeDims(dims, x.ndim, "var");
  const count = norm.reduce((n, d) => n * x.shape[d]!, 1);
  const centered = x.sub(x.mean(norm, true));
  return centered.square().sum(norm, options.keepdim ?? false).div(Math.max(0, count - correction));
}

/** Standard deviation over dims. Matches `torch.std(x, dim, correction=...)`. */
export function std(x: Tensor, dims?: Dims, options: VarOptions = {}): Tensor {
  requireFloat("std", x);
  return variance(x, dims, options).sqrt();
}

/**
 * Product over dims. Floats multiply pairwise in a tree (log2 n ops), which keeps the
 * gradient exact when elements are zero. Matches `torch.prod`.
 */
export function prod(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  const norm = normalizeDims(dims, x.ndim, "prod");
  if (!isFloating(x.dtype)) return new Tensor(K.prod(x.array, norm, keepdim));
  const kept = x.shape.map((_, d) => d).filter((d) => !norm.includes(d));
  const keptShape = kept.map((d) => x.shape[d]!);
  let lanes = x.permute([...kept, ...norm]).reshape([...keptShape, -1]);
  if (lanes.shape[lanes.ndim - 1] === 0) lanes = ones([...keptShape, 1], { dtype: x.dtype });
  while (lanes.shape[lanes.ndim - 1]! > 1) {
    const n = lanes.shape[lanes.ndim - 1]!;
    const half = Math.floor(n / 2);
    const pairs = lanes.narrow(-1, 0, half).mul(lanes.narrow(-1, half, half));
    lanes = n % 2 === 0 ? pairs : cat([pairs, lanes.narrow(-1, n - 1, 1)], -1);
  }
  const result = lanes.squeeze(-1);
  return keepdim ? result.reshape(x.shape.map((s, d) => (norm.includes(d) ? 1 : s))) : result;
}

/** Values and int32 indices of a max/min along a dim. Matches `torch.return_types.max`. */
export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}

function extremum(op: "max" | "min", x: Tensor, dim: number, keepdim: boolean): ValuesIndices {
  // The index is not differentiable; the values are a gather, whose gradient scatters back.
  const indices = op === "max" ? argmaxKeepdim(x, dim) : argminKeepdim(x, dim);
  const values = x.ndim === 0 ? x : x.gather(dim, indices);
  if (keepdim || x.ndim === 0) return { values, indices };
  return { values: values.squeeze(dim), indices: indices.squeeze(dim) };
}

/** Max along `dim` with the index of the first maximum. Matches `torch.max(x, dim)`. */
export function maxDim(x: Tensor, dim: number, keepdim = false): ValuesIndices {
  return extremum("max", x, dim, keepdim);
}

/** Min along `dim` with the index of the first minimum. Matches `torch.min(x, dim)`. */
export function minDim(x: Tensor, dim: number, keepdim = false): ValuesIndices {
  return extremum("min", x, dim, keepdim);
}

/** Swaps two dims (a view). Matches `torch.transpose`. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normalizeDim(dim0, x.ndim, "transpose");
  const b = normalizeDim(dim1, x.ndim, "transpose");
  if (x.ndim < 2 || a === b) return x;
  const dims = x.shape.map((_, d) => (d === a ? b : d === b ? a : d));
  return M.permute.apply([x], { dims });
}

/** `length` elements of `dim` from `start` (a view). Matches `torch.narrow`. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  return M.slice.apply([x], resolveNarrow(x.shape, dim, start, length, "narrow"));
}

/** The slice at `index` of `dim`, that dim removed (a view). Matches `torch.select`. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const { dim: d, index: i } = resolveIndex(x.shape, dim, index, "select");
  const piece = M.slice.apply([x], { dim: d, start: i, end: i + 1, step: 1 });
  return M.reshape.apply([piece], { shape: x.shape.filter((_, k) => k !== d) });
}

/** Joins tensors along a new dim. Matches `torch.stack`. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new RangeError("stack: expected a non-empty list of tensors");
  const first = tensors[0]!;
  const d = normalizeDim(dim, first.ndim + 1, "stack");
  tensors.forEach((t, i) => {
    if (t.ndim !== first.ndim || t.shape.some((s, k) => s !== first.shape[k])) {
      throw new RangeError(`stack: tensor ${i} has shape [${t.shape.join(",")}], expected [${first.shape.join(",")}]`);
    }
  });
  return cat(tensors.map((t) => t.unsqueeze(d)), d);
}

/** Joins tensors along an existing dim (dtypes promote). Matches `torch.cat`. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new RangeError("cat: expected a non-empty list of tensors");
  const first = tensors[0]!;
  if (first.ndim === 0) throw new RangeError("cat: zero-dimensional tensors cannot be concatenated");
  return M.cat.apply(tensors, { dim: normalizeDim(dim, first.ndim, "cat") });
}

/** Views of consecutive pieces along `dim` (sizes as torch.split). Matches `torch.split`. */
export function split(x: Tensor, sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  return piecesLike(x, K.split(x.array, sizeOrSections, dim), dim);
}

/** `chunks` views of (nearly) equal size along `dim`. Matches `torch.chunk`. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  return piecesLike(x, K.chunk(x.array, chunks, dim), dim);
}

function piecesLike(x: Tensor, pieces: readonly K.NDArray[], dim: number): Tensor[] {
  const d = normalizeDim(dim, x.ndim, "split");
  let at = 0;
  return pieces.map((p) => {
    const size = p.shape[d]!;
    const piece = narrow(x, d, at, size);
    at += size;
    return piece;
  });
}
