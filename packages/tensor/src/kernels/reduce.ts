/**
 * @file Reductions over any set of dims with `keepdim`: sum, mean, prod, amax/amin, max/min
 * with indices, argmax/argmin, var/std with a correction, logsumexp. Each is one lane loop
 * (see ./lanes.ts) accumulating in float64, or for int32 results in wrapping int32 arithmetic
 * (C's, Math.imul for products); NaN propagates through max/min as in PyTorch.
 * `dims` undefined reduces every dim; unlike PyTorch 1.13, an empty list reduces none.
 */
import { DEFAULT_FLOAT, isFloating, type DType, type Storage } from "../dtype.js";
import { allocStorage } from "../storage.js";
import { fmtShape, normalizeDim, normalizeDims } from "../layout.js";
import { empty, uninitialized } from "../create.js";
import { getBackend } from "../backend/index.js";
import { kernelTuning, wasmSumRows } from "../backend/wasm-kernels.js";
import type { NDArray } from "../ndarray.js";
import { planLanes, type LanePlan } from "./lanes.js";

/** Dims to reduce: one dim, a list, or undefined for all. */
export type Dims = number | readonly number[] | undefined;

/** A lane loop returning the reduced value of `n` elements at `o`, `o + s`, ... */
type LaneReducer = (d: Storage, o: number, n: number, s: number) => number;

function reduceLanes(plan: LanePlan, keepdim: boolean, dtype: DType, lane: LaneReducer): NDArray {
  const out = empty(keepdim ? plan.keepdimShape : plan.keptShape, dtype);
  const od = out.data;
  plan.forEach((d, o, n, s, k) => {
    od[k] = lane(d, o, n, s);
  });
  return out;
}

function plan(op: string, a: NDArray, dims: Dims): LanePlan {
  return planLanes(a, normalizeDims(dims, a.ndim, op));
}

function integerSumType(dtype: DType): DType {
  return isFloating(dtype) ? dtype : "int32";
}

function requireFloat(op: string, a: NDArray): void {
  if (!isFloating(a.dtype)) {
    throw new TypeError(`${op}: expected a float32 or float64 tensor, got ${a.dtype} (convert it with astype first)`);
  }
}

function requireNonEmpty(op: string, a: NDArray, p: LanePlan): void {
  if (p.length === 0) {
    throw new RangeError(`${op}: cannot reduce over an empty dim of shape ${fmtShape(a.shape)} (the result has no identity)`);
  }
}

const sumLane: LaneReducer = (d, o, n, s) => {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += d[o + i * s]!;
  return acc;
};

const prodLane: LaneReducer = (d, o, n, s) => {
  let acc = 1;
  for (let i = 0; i < n; i++) acc *= d[o + i * s]!;
  return acc;
};

/** Integer sum modulo 2^32 (exact at any length, where a float64 sum loses bits past 2^53). */
const sumInt32Lane: LaneReducer = (d, o, n, s) => {
  let acc = 0;
  for (let i = 0; i < n; i++) acc = (acc + d[o + i * s]!) | 0;
  return acc;
};

/** Integer product modulo 2^32, as C int32 multiplication wraps. */
const prodInt32Lane: LaneReducer = (d, o, n, s) => {
  let acc = 1;
  for (let i = 0; i < n; i++) acc = Math.imul(acc, d[o + i * s]!);
  return acc;
};

/** Index of the largest element of a lane (first one on ties; NaN counts as largest). */
function argmaxInLane(d: Storage, o: number, n: number, s: number): number {
  let best = d[o]!;
  let at = 0;
  for (let i = 1; i < n && best === best; i++) {
    const x = d[o + i * s]!;
    if (x > best || x !== x) {
      best = x;
      at = i;
    }
  }
  return at;
}

/** Index of the smallest element of a lane (first one on ties; NaN counts as smallest). */
function argminInLane(d: Storage, o: number, n: number, s: number): number {
  let best = d[o]!;
  let at = 0;
  for (let i = 1; i < n && best === best; i++) {
    const x = d[o + i * s]!;
    if (x < best || x !== x) {
      best = x;
      at = i;
    }
  }
  return at;
}

/** Sum over `dims` (bool/int32 sum to int32, wrapping). Matches `torch.sum`. */
export function sum(a: NDArray, dims?: Dims, keepdim = false): NDArray {
  const dtype = integerSumType(a.dtype);
  const p = plan("sum", a, dims);
  if (isFloating(a.dtype)) {
    const fast = sumLeadingDims(a, p, keepdim);
    if (fast !== null) return fast;
  }
  return reduceLanes(p, keepdim, dtype, dtype === "int32" ? sumInt32Lane : sumLane);
}

/**
 * The float sum over leading dims of a contiguous array (a bias gradient: [rows, n] -> [n]) row
 * by row into float64 accumulators, so memory is read in order; each output element adds the
 * same values in the same order as its lane would, so the result is bitwise the lane loop's
 * (a mean divides by `divisor` before rounding, as its lane does).
 * Null where the plan is not that case.
 */
function sumLeadingDims(a: NDArray, p: LanePlan, keepdim: boolean, divisor = 1): NDArray | null {
  const n = p.keptShape.reduce((x, y) => x * y, 1);
  const rows = p.length;
  if (rows < 2 || n < 2 || !a.isContiguous() || !p.leading) return null;
  const acc = allocStorage("float64", n);
  const d = a.data;
  if (d instanceof Float32Array && a.size >= kernelTuning.sumRowsMin && getBackend() === "wasm" && wasmSumRows(d, a.offset, rows, n, acc)) {
    return finishSum(acc, p, keepdim, divisor, a.dtype);
  }
  let r = 0;
  let o = a.offset;
  // Four rows per pass halve the accumulator traffic; the additions stay in row order.
  for (; r + 4 <= rows; r += 4, o += 4 * n) {
    for (let j = 0; j < n; j++) acc[j] = acc[j]! + d[o + j]! + d[o + n + j]! + d[o + 2 * n + j]! + d[o + 3 * n + j]!;
  }
  for (; r < rows; r++, o += n) {
    for (let j = 0; j < n; j++) acc[j] = acc[j]! + d[o + j]!;
  }
  return finishSum(acc, p, keepdim, divisor, a.dtype);
}

/** The float64 sums divided by `divisor` (a mean's count), rounded once into the result. */
function finishSum(acc: Float64Array, p: LanePlan, keepdim: boolean, divisor: number, dtype: DType): NDArray {
  if (divisor !== 1) for (let j = 0; j < acc.length; j++) acc[j] = acc[j]! / divisor;
  const out = uninitialized(keepdim ? p.keepdimShape : p.keptShape, dtype);
  out.data.set(acc);
  return out;
}

/** Mean over `dims` (float tensors only, as in PyTorch). Matches `torch.mean`. */
export function mean(a: NDArray, dims?: Dims, keepdim = false): NDArray {
  requireFloat("mean", a);
  const p = plan("mean", a, dims);
  return sumLeadingDims(a, p, keepdim, p.length) ?? reduceLanes(p, keepdim, a.dtype, (d, o, n, s) => sumLane(d, o, n, s) / n);
}

/** Product over `dims` (bool/int32 give int32, wrapping like C). Matches `torch.prod`. */
export function prod(a: NDArray, dims?: Dims, keepdim = false): NDArray {
  const dtype = integerSumType(a.dtype);
  return reduceLanes(plan("prod", a, dims), keepdim, dtype, dtype === "int32" ? prodInt32Lane : prodLane);
}

/** Largest value over `dims`. Matches `torch.amax`. */
export function amax(a: NDArray, dims?: Dims, keepdim = false): NDArray {
  const p = plan("amax", a, dims);
  requireNonEmpty("amax", a, p);
  return reduceLanes(p, keepdim, a.dtype, (d, o, n, s) => d[o + argmaxInLane(d, o, n, s) * s]!);
}

/** Smallest value over `dims`. Matches `torch.amin`. */
export function amin(a: NDArray, dims?: Dims, keepdim = false): NDArray {
  const p = plan("amin", a, dims);
  requireNonEmpty("amin", a, p);
  return reduceLanes(p, keepdim, a.dtype, (d, o, n, s) => d[o + argminInLane(d, o, n, s) * s]!);
}

/** Values and int32 indices of a max/min along one dim. Matches `torch.return_types.max`. */
export interface ValuesIndices {
  values: NDArray;
  indices: NDArray;
}

function extremum(op: string, a: NDArray, dim: number, keepdim: boolean, argLane: typeof argmaxInLane): ValuesIndices {
  const d = normalizeDim(dim, a.ndim, op); // a 0-d array accepts dim 0 and -1 only, as in PyTorch
  const p = planLanes(a, a.ndim === 0 ? [] : [d]);
  requireNonEmpty(op, a, p);
  const shape = keepdim ? p.keepdimShape : p.keptShape;
  const values = empty(shape, a.dtype);
  const indices = empty(shape, "int32");
  p.forEach((d, o, n, s, k) => {
    const at = argLane(d, o, n, s);
    indices.data[k] = at;
    values.data[k] = d[o + at * s]!;
  });
  return { values, indices };
}

/** Max along `dim` with the index of the first maximum. Matches `torch.max(x, dim)`. */
export function maxDim(a: NDArray, dim: number, keepdim = false): ValuesIndices {
  return extremum("max", a, dim, keepdim, argmaxInLane);
}

/** Min along `dim` with the index of the first minimum. Matches `torch.min(x, dim)`. */
export function minDim(a: NDArray, dim: number, keepdim = false): ValuesIndices {
  return extremum("min", a, dim, keepdim, argminInLane);
}

/**
 * The flat-index arg-extremum without a dim: 0-d, or with `keepdim` every dim kept as size 1
 * (PyTorch 1.13's shape).
 */
function flatArg(op: string, a: NDArray, keepdim: boolean, argLane: typeof argmaxInLane): NDArray {
  const indices = extremum(op, a.reshape([-1]), 0, false, argLane).indices;
  return keepdim ? indices.reshape(a.shape.map(() => 1)) : indices;
}

/** Index of the first maximum along `dim`, or in the flattened array without one. Matches `torch.argmax`. */
export function argmax(a: NDArray, dim?: number, keepdim = false): NDArray {
  if (dim === undefined) return flatArg("argmax", a, keepdim, argmaxInLane);
  return extremum("argmax", a, dim, keepdim, argmaxInLane).indices;
}

/** Index of the first minimum along `dim`, or in the flattened array without one. Matches `torch.argmin`. */
export function argmin(a: NDArray, dim?: number, keepdim = false): NDArray {
  if (dim === undefined) return flatArg("argmin", a, keepdim, argminInLane);
  return extremum("argmin", a, dim, keepdim, argminInLane).indices;
}

/** Options of var/std: `correction` (1 = Bessel's, the default) and `keepdim`. */
export interface VarOptions {
  correction?: number;
  keepdim?: boolean;
}

/** Variance over `dims`, dividing by max(0, n - correction). Matches `torch.var(x, dim, correction=...)`. */
export function variance(a: NDArray, dims?: Dims, options: VarOptions = {}): NDArray {
  return varianceOrStd("var", a, dims, options, false);
}

/** Standard deviation over `dims`. Matches `torch.std(x, dim, correction=...)`. */
export function std(a: NDArray, dims?: Dims, options: VarOptions = {}): NDArray {
  return varianceOrStd("std", a, dims, options, true);
}

function varianceOrStd(op: string, a: NDArray, dims: Dims, options: VarOptions, root: boolean): NDArray {
  requireFloat(op, a);
  const correction = options.correction ?? 1;
  if (!Number.isFinite(correction) || correction < 0) {
    throw new RangeError(`${op}: correction must be a non-negative number, got ${correction}`);
  }
  return reduceLanes(plan(op, a, dims), options.keepdim ?? false, a.dtype, (d, o, n, s) => {
    const m = sumLane(d, o, n, s) / n;
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const x = d[o + i * s]! - m;
      acc += x * x;
    }
    const v = acc / Math.max(0, n - correction);
    return root ? Math.sqrt(v) : v;
  });
}

/** log(sum(exp(x))) over `dims`, computed with max-subtraction. Matches `torch.logsumexp`. */
export function logsumexp(a: NDArray, dims?: Dims, keepdim = false): NDArray {
  const dtype = isFloating(a.dtype) ? a.dtype : DEFAULT_FLOAT;
  return reduceLanes(plan("logsumexp", a, dims), keepdim, dtype, (d, o, n, s) => {
    if (n === 0) return -Infinity;
    const m = d[o + argmaxInLane(d, o, n, s) * s]!;
    if (!Number.isFinite(m)) return m;
    let acc = 0;
    for (let i = 0; i < n; i++) acc += Math.exp(d[o + i * s]! - m);
    return m + Math.log(acc);
  });
}
