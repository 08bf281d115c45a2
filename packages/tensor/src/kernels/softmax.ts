/**
 * @file Softmax and log-softmax along one dim, max-subtracted so that inputs like +-1e4 stay
 * finite: softmax = exp(x - m) / sum(exp(x - m)), logSoftmax = x - m - log(sum(exp(x - m))).
 * A lane whose elements are all -inf gives NaN, as in PyTorch. On the wasm backend, float32
 * arrays of at least `kernelTuning.softmaxMin` elements along their last dim run in WebAssembly
 * SIMD (../backend/wasm-kernels.ts; a strided input is made contiguous first); other dims and
 * dtypes take the lane loops here, which are the reference.
 */
import { getBackend } from "../backend/index.js";
import { kernelTuning, wasmSoftmax, wasmSoftmaxBackward } from "../backend/wasm-kernels.js";
import { isFloating } from "../dtype.js";
import type { Storage } from "../dtype.js";
import { forEachRow, normalizeDim } from "../layout.js";
import { uninitialized } from "../create.js";
import type { NDArray } from "../ndarray.js";
import { forEachLanePair, type LanePairVisitor } from "./lanes.js";

function laneMax(x: NDArray["data"], xi: number, xs: number, n: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[xi + i * xs]!;
    if (v > m || v !== v) m = v;
  }
  return m;
}

const softmaxLane: LanePairVisitor = (x, xi, xs, y, yi, ys, n) => {
  const m = laneMax(x, xi, xs, n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(x[xi + i * xs]! - m);
    y[yi + i * ys] = e;
    total += e;
  }
  const inv = 1 / total;
  for (let i = 0; i < n; i++) y[yi + i * ys] = y[yi + i * ys]! * inv;
};

const logSoftmaxLane: LanePairVisitor = (x, xi, xs, y, yi, ys, n) => {
  const m = laneMax(x, xi, xs, n);
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.exp(x[xi + i * xs]! - m);
  const shift = m + Math.log(total);
  for (let i = 0; i < n; i++) y[yi + i * ys] = x[xi + i * xs]! - shift;
};

function alongDim(op: string, a: NDArray, dim: number, lane: LanePairVisitor): NDArray {
  if (!isFloating(a.dtype)) throw new TypeError(`${op}: expected a float32 or float64 tensor, got ${a.dtype}`);
  const d = normalizeDim(dim, a.ndim, op);
  const out = uninitialized(a.shape, a.dtype);
  if (wasmLastDim(a, d)) {
    const src = a.contiguous();
    const n = a.shape[d]!;
    if (wasmSoftmax(lane === logSoftmaxLane, src.data as Float32Array, src.offset, a.size / n, n, out.data as Float32Array)) return out;
  }
  forEachLanePair(a, out, d, lane);
  return out;
}

/** Whether a softmax along dim `d` of `a` runs in WebAssembly: float32, the last dim, large enough. */
function wasmLastDim(a: NDArray, d: number): boolean {
  return a.dtype === "float32" && a.ndim > 0 && d === a.ndim - 1 && a.size > 0 && a.size >= kernelTuning.softmaxMin && getBackend() === "wasm";
}

/** exp(x) / sum(exp(x)) along `dim`. Matches `torch.softmax`. */
export function softmax(a: NDArray, dim: number): NDArray {
  return alongDim("softmax", a, dim, softmaxLane);
}

/** log(softmax(x)) along `dim`, without forming softmax. Matches `torch.log_softmax`. */
export function logSoftmax(a: NDArray, dim: number): NDArray {
  return alongDim("logSoftmax", a, dim, logSoftmaxLane);
}

/** Visits the lanes along `dim` of two same-shaped arrays and a fresh output of their shape. */
function lanesOfThree(y: NDArray, g: NDArray, dim: number, visit: (yd: Storage, yi: number, ys: number, gd: Storage, gi: number, gs: number, od: Storage, oi: number, os: number, n: number) => void): NDArray {
  const out = uninitialized(y.shape, y.dtype);
  const keptShape = y.shape.filter((_, d) => d !== dim);
  const without = (a: NDArray) => ({ strides: a.strides.filter((_, d) => d !== dim), offset: a.offset });
  const n = y.shape[dim] ?? 1;
  const [ys, gs, os] = [y.strides[dim] ?? 0, g.strides[dim] ?? 0, out.strides[dim] ?? 0];
  forEachRow(keptShape, [without(y), without(g), without(out)], (off, count, st) => {
    for (let i = 0; i < count; i++) visit(y.data, off[0]! + i * st[0]!, ys, g.data, off[1]! + i * st[1]!, gs, out.data, off[2]! + i * st[2]!, os, n);
  });
  return out;
}

function checkBackward(op: string, y: NDArray, g: NDArray, dim: number): number {
  if (!isFloating(y.dtype) || g.dtype !== y.dtype) throw new TypeError(`${op}: expected float tensors of one dtype, got ${y.dtype} and ${g.dtype}`);
  if (y.ndim !== g.ndim || y.shape.some((s, d) => s !== g.shape[d])) {
    throw new RangeError(`${op}: output [${y.shape.join(",")}] and gradient [${g.shape.join(",")}] must have the same shape`);
  }
  return normalizeDim(dim, y.ndim, op);
}

/** The backward of (log)softmax along the last dim in WebAssembly, or null where it does not apply. */
function wasmBackward(log: boolean, y: NDArray, g: NDArray, d: number): NDArray | null {
  if (!wasmLastDim(y, d)) return null;
  const [ys, gs] = [y.contiguous(), g.contiguous()];
  const n = y.shape[d]!;
  const out = uninitialized(y.shape, y.dtype);
  const ok = wasmSoftmaxBackward(log, ys.data as Float32Array, ys.offset, gs.data as Float32Array, gs.offset, y.size / n, n, out.data as Float32Array);
  return ok ? out : null;
}

/** The gradient of softmax from its output y: y * (g - sum(g * y)) along `dim`. */
export function softmaxBackward(y: NDArray, g: NDArray, dim: number): NDArray {
  const d = checkBackward("softmaxBackward", y, g, dim);
  return wasmBackward(false, y, g, d) ?? lanesOfThree(y, g, d, (yd, yi, ys, gd, gi, gs, od, oi, os, n) => {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += gd[gi + i * gs]! * yd[yi + i * ys]!;
    for (let i = 0; i < n; i++) od[oi + i * os] = yd[yi + i * ys]! * (gd[gi + i * gs]! - dot);
  });
}

/** The gradient of logSoftmax from its output y: g - exp(y) * sum(g) along `dim`. */
export function logSoftmaxBackward(y: NDArray, g: NDArray, dim: number): NDArray {
  const d = checkBackward("logSoftmaxBackward", y, g, dim);
  return wasmBackward(true, y, g, d) ?? lanesOfThree(y, g, d, (yd, yi, ys, gd, gi, gs, od, oi, os, n) => {
    let total = 0;
    for (let i = 0; i < n; i++) total += gd[gi + i * gs]!;
    for (let i = 0; i < n; i++) od[oi + i * os] = gd[gi + i * gs]! - Math.exp(yd[yi + i * ys]!) * total;
  });
}
