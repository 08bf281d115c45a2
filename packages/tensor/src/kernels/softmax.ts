/**
 * @file Softmax and log-softmax along one dim, max-subtracted so that inputs like +-1e4 stay
 * finite: softmax = exp(x - m) / sum(exp(x - m)), logSoftmax = x - m - log(sum(exp(x - m))).
 * A lane whose elements are all -inf gives NaN, as in PyTorch.
 */
import { isFloating } from "../dtype.js";
import { normalizeDim } from "../layout.js";
import { empty } from "../create.js";
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
  const out = empty(a.shape, a.dtype);
  forEachLanePair(a, out, d, lane);
  return out;
}

/** exp(x) / sum(exp(x)) along `dim`. Matches `torch.softmax`. */
export function softmax(a: NDArray, dim: number): NDArray {
  return alongDim("softmax", a, dim, softmaxLane);
}

/** log(softmax(x)) along `dim`, without forming softmax. Matches `torch.log_softmax`. */
export function logSoftmax(a: NDArray, dim: number): NDArray {
  return alongDim("logSoftmax", a, dim, logSoftmaxLane);
}
