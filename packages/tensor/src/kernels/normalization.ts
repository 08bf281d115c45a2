/**
 * @file Layer normalization over the last `k` dims, fused: per row, mean and variance in
 * float64 (two passes, no cancellation), then y = (x - mean) / sqrt(var + eps) * w + b in one
 * more pass. Matches `torch.nn.functional.layer_norm` (biased variance, eps inside the root).
 */
import { fmtShape } from "../layout.js";
import { empty } from "../create.js";
import { isFloating } from "../dtype.js";
import type { NDArray } from "../ndarray.js";

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
  const out = empty(x.shape, x.dtype);
  const [sd, od] = [src.data, out.data];
  const rows = n === 0 ? 0 : x.size / n;
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
