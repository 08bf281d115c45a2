/**
 * @file Layer normalization over the last `k` dims, fused: per row, mean and variance in
 * float64 (two passes, no cancellation), then y = (x - mean) / sqrt(var + eps) * w + b in one
 * more pass. Matches `torch.nn.functional.layer_norm` (biased variance, eps inside the root).
 * On the wasm backend, float32 inputs of at least `kernelTuning.layerNormMin` elements run the
 * same computation (float64 arithmetic) in WebAssembly SIMD (../backend/wasm-kernels.ts).
 */
import { getBackend } from "../backend/index.js";
import { kernelTuning, wasmLayerNorm, wasmLayerNormBackward, type Param } from "../backend/wasm-kernels.js";
import { fmtShape } from "../layout.js";
import { empty, uninitialized } from "../create.js";
import { isFloating } from "../dtype.js";
import { allocStorage } from "../storage.js";
import type { NDArray } from "../ndarray.js";

/** Whether a float32 layerNorm of `x` runs in WebAssembly. */
function useWasm(x: NDArray, ...params: (NDArray | null)[]): boolean {
  return x.dtype === "float32" && params.every((p) => p === null || p.dtype === "float32") && x.size > 0 && x.size >= kernelTuning.layerNormMin && getBackend() === "wasm";
}

/** A contiguous float32 parameter as the wasm kernels take it. */
function param(p: NDArray | null): Param | null {
  return p === null ? null : { data: p.data as Float32Array, offset: p.offset };
}

/** Normalizes `x` over its last `k` dims, with optional elementwise weight and bias of that shape. */
export function layerNorm(x: NDArray, k: number, weight: NDArray | null, bias: NDArray | null, eps: number): NDArray {
  const op = "layerNorm";
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: expected a float32 or float64 tensor, got ${x.dtype}`);
  if (!Number.isInteger(k) || k < 1 || k > x.ndim) throw new RangeError(`${op}: cannot normalize the last ${k} dims of shape ${fmtShape(x.shape)}`);
  if (!(eps >= 0)) throw new RangeError(`${op}: eps must be non-negative, got ${eps}`);
  const lane = x.shape.slice(x.ndim - k);
  for (const [name, p] of [["weight", weight], ["bias", bias]] as const) {
    if (p && (p.ndim !== k || p.shape.some((s, d) => s !== lane[d]))) {
      throw new RangeError(`${op}: ${name} of shape ${fmtShape(p.shape)} must have the normalized shape ${fmtShape(lane)}`);
    }
  }
  const n = lane.reduce((a, b) => a * b, 1);
  const src = x.contiguous();
  const w = weight?.contiguous() ?? null;
  const b = bias?.contiguous() ?? null;
  const out = uninitialized(x.shape, x.dtype);
  const [sd, od] = [src.data, out.data];
  const rows = n === 0 ? 0 : x.size / n;
  if (useWasm(x, w, b)) {
    if (wasmLayerNorm(sd as Float32Array, src.offset, rows, n, param(w), param(b), eps, od as Float32Array)) return out;
  }
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    const s0 = src.offset + base;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sd[s0 + i]!;
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const c = sd[s0 + i]! - mean;
      sq += c * c;
    }
    const rstd = 1 / Math.sqrt(sq / n + eps);
    for (let i = 0; i < n; i++) {
      let v = (sd[s0 + i]! - mean) * rstd;
      if (w) v *= w.data[w.offset + i]!;
      if (b) v += b.data[b.offset + i]!;
      od[base + i] = v;
    }
  }
  return out;
}

/** Gradients of layerNorm: dx, and the weight and bias gradients summed over rows (null without them). */
export interface LayerNormGrads {
  dx: NDArray;
  dw: NDArray | null;
  db: NDArray | null;
}

/**
 * The fused gradient of layerNorm over the last `k` dims, recomputing each row's statistics:
 * with xhat = (x - mean) * rstd and gw = g * w, dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)),
 * dw = sum over rows of g * xhat, db = sum over rows of g.
 */
export function layerNormBackward(x: NDArray, g: NDArray, weight: NDArray | null, k: number, eps: number, needBias = true): LayerNormGrads {
  const op = "layerNormBackward";
  if (g.dtype !== x.dtype || g.ndim !== x.ndim || g.shape.some((s, d) => s !== x.shape[d])) {
    throw new RangeError(`${op}: gradient [${g.shape.join(",")}] ${g.dtype} must match the input [${x.shape.join(",")}] ${x.dtype}`);
  }
  const lane = x.shape.slice(x.ndim - k);
  const n = lane.reduce((a, b) => a * b, 1);
  const [xs, gs] = [x.contiguous(), g.contiguous()];
  const w = weight?.contiguous() ?? null;
  const dx = uninitialized(x.shape, x.dtype);
  const dw = weight ? empty(lane, x.dtype) : null;
  const db = needBias ? empty(lane, x.dtype) : null;
  const rows = n === 0 ? 0 : x.size / n;
  if (useWasm(x, w)) {
    const f32 = (a: NDArray | null) => (a === null ? null : (a.data as Float32Array));
    const ok = wasmLayerNormBackward(xs.data as Float32Array, xs.offset, gs.data as Float32Array, gs.offset, rows, n, param(w), eps, dx.data as Float32Array, f32(dw), f32(db));
    if (ok) return { dx, dw, db };
  }
  const acc = allocStorage("float64", 2 * n); // dw and db sums in float64
  const [xd, gd, od] = [xs.data, gs.data, dx.data];
  for (let r = 0; r < rows; r++) {
    const xo = xs.offset + r * n;
    const go = gs.offset + r * n;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += xd[xo + i]!;
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (xd[xo + i]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(sq / n + eps);
    let meanGw = 0;
    let meanGwX = 0;
    for (let i = 0; i < n; i++) {
      const xhat = (xd[xo + i]! - mean) * rstd;
      const gi = gd[go + i]!;
      const gw = w ? gi * w.data[w.offset + i]! : gi;
      meanGw += gw;
      meanGwX += gw * xhat;
      acc[i] = acc[i]! + gi * xhat;
      acc[n + i] = acc[n + i]! + gi;
    }
    meanGw /= n;
    meanGwX /= n;
    for (let i = 0; i < n; i++) {
      const xhat = (xd[xo + i]! - mean) * rstd;
      const gw = w ? gd[go + i]! * w.data[w.offset + i]! : gd[go + i]!;
      od[r * n + i] = rstd * (gw - meanGw - xhat * meanGwX);
    }
  }
  if (dw) for (let i = 0; i < n; i++) dw.data[i] = acc[i]!;
  if (db) for (let i = 0; i < n; i++) db.data[i] = acc[n + i]!;
  return { dx, dw, db };
}
