/**
 * @file Softmax and log-softmax over contiguous float32 rows (in place), and their backward
 * passes. exp(x - max) takes x - max exactly (as a float32 pair, by TwoSum), sums and the
 * log-softmax shift are float64, so the only float32 rounding beyond exp's is the final one;
 * the backward passes compute in float64 from the float32 inputs, like the TypeScript kernels.
 * NaN and infinities follow the TypeScript kernels (an all -inf row gives NaN).
 */
import { vexp, vexp2 } from "./simd-math";
import { demote, hi, lo, sum2 } from "./f64-lanes";

/** exp(x - m) with x - m exact: its float32 rounding error goes in as exp2's correction. */
// @ts-ignore: decorator
@inline function expDiff(x: v128, m: v128): v128 {
  const d = f32x4.sub(x, m);
  const bx = f32x4.sub(d, x);
  let err = f32x4.add(f32x4.sub(x, f32x4.sub(d, bx)), f32x4.sub(f32x4.neg(m), bx));
  err = v128.and(err, f32x4.eq(err, err)); // infinities give a NaN error term: drop it
  return vexp2(d, err);
}

// @ts-ignore: decorator
@inline function expDiffScalar(x: f32, m: f32): f32 {
  return f32x4.extract_lane(expDiff(f32x4.splat(x), f32x4.splat(m)), 0);
}

/**
 * Each of `rows` rows of n floats at p becomes softmax(row) (log = 0) or logSoftmax(row)
 * (log = 1): m = max (NaN-propagating), S = sum exp(x - m) in float64, then exp(x - m) / S or
 * (x - m) - log S.
 */
export function softmaxRows(p: usize, rows: i32, n: i32, log: i32): void {
  const n4 = n & ~3;
  for (let r = 0; r < rows; r++) {
    const row = p + ((<usize>r * <usize>n) << 2);
    const end4 = row + (<usize>n4 << 2);
    const end = row + (<usize>n << 2);
    let mv = f32x4.splat(-Infinity);
    for (let q = row; q < end4; q += 16) mv = f32x4.max(mv, v128.load(q));
    let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    for (let q = end4; q < end; q += 4) m = max(m, load<f32>(q));
    const m4 = f32x4.splat(m);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    for (let q = row; q < end4; q += 16) {
      const e = expDiff(v128.load(q), m4);
      if (!log) v128.store(q, e);
      s0 = f64x2.add(s0, lo(e));
      s1 = f64x2.add(s1, hi(e));
    }
    let sum = sum2(s0, s1);
    for (let q = end4; q < end; q += 4) {
      const e = expDiffScalar(load<f32>(q), m);
      if (!log) store<f32>(q, e);
      sum += <f64>e;
    }
    if (log) {
      const lse = Math.log(sum);
      const mm = <f64>m;
      const m2 = f64x2.splat(mm);
      const l2 = f64x2.splat(lse);
      for (let q = row; q < end4; q += 16) {
        const x = v128.load(q);
        v128.store(q, demote(f64x2.sub(f64x2.sub(lo(x), m2), l2), f64x2.sub(f64x2.sub(hi(x), m2), l2)));
      }
      for (let q = end4; q < end; q += 4) store<f32>(q, <f32>(<f64>load<f32>(q) - mm - lse));
    } else {
      const inv = <f32>(1 / sum);
      const inv4 = f32x4.splat(inv);
      for (let q = row; q < end4; q += 16) v128.store(q, f32x4.mul(v128.load(q), inv4));
      for (let q = end4; q < end; q += 4) store<f32>(q, load<f32>(q) * inv);
    }
  }
}

/**
 * Backward of softmax (log = 0) or logSoftmax (log = 1) from the output y and the gradient g
 * (rows of n floats each); the result overwrites g. softmax: y (g - sum(g y)); logSoftmax:
 * g - exp(y) sum(g). Sums and the final combination are float64.
 */
export function softmaxBackwardRows(y: usize, g: usize, rows: i32, n: i32, log: i32): void {
  const n4 = n & ~3;
  const dg = g - y;
  for (let r = 0; r < rows; r++) {
    const row = y + ((<usize>r * <usize>n) << 2);
    const end4 = row + (<usize>n4 << 2);
    const end = row + (<usize>n << 2);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    if (log) {
      for (let q = row; q < end4; q += 16) {
        const gv = v128.load(q + dg);
        s0 = f64x2.add(s0, lo(gv));
        s1 = f64x2.add(s1, hi(gv));
      }
    } else {
      for (let q = row; q < end4; q += 16) {
        const gv = v128.load(q + dg);
        const yv = v128.load(q);
        s0 = f64x2.add(s0, f64x2.mul(lo(gv), lo(yv)));
        s1 = f64x2.add(s1, f64x2.mul(hi(gv), hi(yv)));
      }
    }
    let total = sum2(s0, s1);
    for (let q = end4; q < end; q += 4) total += log ? <f64>load<f32>(q + dg) : <f64>load<f32>(q + dg) * <f64>load<f32>(q);
    const t2 = f64x2.splat(total);
    if (log) {
      for (let q = row; q < end4; q += 16) {
        const gv = v128.load(q + dg);
        const e = vexp(v128.load(q));
        v128.store(q + dg, demote(f64x2.sub(lo(gv), f64x2.mul(lo(e), t2)), f64x2.sub(hi(gv), f64x2.mul(hi(e), t2))));
      }
      for (let q = end4; q < end; q += 4) {
        const e = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(q))), 0);
        store<f32>(q + dg, <f32>(<f64>load<f32>(q + dg) - <f64>e * total));
      }
    } else {
      for (let q = row; q < end4; q += 16) {
        const gv = v128.load(q + dg);
        const yv = v128.load(q);
        v128.store(q + dg, demote(f64x2.mul(lo(yv), f64x2.sub(lo(gv), t2)), f64x2.mul(hi(yv), f64x2.sub(hi(gv), t2))));
      }
      for (let q = end4; q < end; q += 4) {
        const yv = <f64>load<f32>(q);
        store<f32>(q + dg, <f32>(yv * (<f64>load<f32>(q + dg) - total)));
      }
    }
  }
}
