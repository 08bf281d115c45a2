/**
 * @file Layer normalization over contiguous float32 rows, forward (in place) and backward, in
 * float64 arithmetic on the float32 values: the same formulas and passes as the TypeScript
 * kernel (two-pass mean and biased variance, eps inside the root), so results differ from it
 * only by the order of float64 sums.
 */
import { demote, hi, lo, sum2 } from "./f64-lanes";

/** Row statistics of the last `rowStats` call. */
let mean: f64 = 0;
let rstd: f64 = 0;

/** Sets mean and rstd = 1 / sqrt(biased variance + eps) of the n floats at row. */
function rowStats(row: usize, n: i32, eps: f64): void {
  const n4 = n & ~3;
  const end4 = row + (<usize>n4 << 2);
  const end = row + (<usize>n << 2);
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  for (let q = row; q < end4; q += 16) {
    const x = v128.load(q);
    s0 = f64x2.add(s0, lo(x));
    s1 = f64x2.add(s1, hi(x));
  }
  let sum = sum2(s0, s1);
  for (let q = end4; q < end; q += 4) sum += <f64>load<f32>(q);
  mean = sum / <f64>n;
  const m2 = f64x2.splat(mean);
  s0 = f64x2.splat(0);
  s1 = f64x2.splat(0);
  for (let q = row; q < end4; q += 16) {
    const x = v128.load(q);
    const cl = f64x2.sub(lo(x), m2);
    const ch = f64x2.sub(hi(x), m2);
    s0 = f64x2.add(s0, f64x2.mul(cl, cl));
    s1 = f64x2.add(s1, f64x2.mul(ch, ch));
  }
  let sq = sum2(s0, s1);
  for (let q = end4; q < end; q += 4) {
    const c = <f64>load<f32>(q) - mean;
    sq += c * c;
  }
  rstd = 1 / Math.sqrt(sq / <f64>n + eps);
}

/**
 * Each of `rows` rows of n floats at p becomes (x - mean) * rstd * w + b, w and b being n floats
 * each (the host passes ones and zeros when the layer has none).
 */
export function layerNormRows(p: usize, rows: i32, n: i32, w: usize, b: usize, eps: f64): void {
  const n4 = n & ~3;
  for (let r = 0; r < rows; r++) {
    const row = p + ((<usize>r * <usize>n) << 2);
    rowStats(row, n, eps);
    const m2 = f64x2.splat(mean);
    const r2 = f64x2.splat(rstd);
    const dw = w - row;
    const db = b - row;
    const end4 = row + (<usize>n4 << 2);
    const end = row + (<usize>n << 2);
    for (let q = row; q < end4; q += 16) {
      const x = v128.load(q);
      const wv = v128.load(q + dw);
      const bv = v128.load(q + db);
      const yl = f64x2.add(f64x2.mul(f64x2.mul(f64x2.sub(lo(x), m2), r2), lo(wv)), lo(bv));
      const yh = f64x2.add(f64x2.mul(f64x2.mul(f64x2.sub(hi(x), m2), r2), hi(wv)), hi(bv));
      v128.store(q, demote(yl, yh));
    }
    for (let q = end4; q < end; q += 4) {
      store<f32>(q, <f32>((<f64>load<f32>(q) - mean) * rstd * <f64>load<f32>(q + dw) + <f64>load<f32>(q + db)));
    }
  }
}

/**
 * The layerNorm gradient for `rows` rows of n floats: x at px, the incoming gradient at pg
 * (overwritten with dx), the weight at w (ones when the layer has none); adds each row's
 * g * xhat and g into the float64 sums acc[0..n) and acc[n..2n). With xhat = (x - mean) rstd
 * and gw = g w: dx = rstd (gw - mean(gw) - xhat mean(gw xhat)).
 */
export function layerNormBackwardRows(px: usize, pg: usize, rows: i32, n: i32, w: usize, eps: f64, acc: usize): void {
  const n4 = n & ~3;
  const accDb = acc + (<usize>n << 3);
  for (let r = 0; r < rows; r++) {
    const row = px + ((<usize>r * <usize>n) << 2);
    const dg = pg - px;
    const dw = w - row;
    rowStats(row, n, eps);
    const m2 = f64x2.splat(mean);
    const r2 = f64x2.splat(rstd);
    const end4 = row + (<usize>n4 << 2);
    const end = row + (<usize>n << 2);
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let b0 = f64x2.splat(0);
    let b1 = f64x2.splat(0);
    let i: usize = 0;
    for (let q = row; q < end4; q += 16, i += 32) {
      const x = v128.load(q);
      const gv = v128.load(q + dg);
      const wv = v128.load(q + dw);
      const xl = f64x2.mul(f64x2.sub(lo(x), m2), r2);
      const xh = f64x2.mul(f64x2.sub(hi(x), m2), r2);
      const gl = lo(gv);
      const gh = hi(gv);
      const wl = f64x2.mul(gl, lo(wv));
      const wh = f64x2.mul(gh, hi(wv));
      a0 = f64x2.add(a0, wl);
      a1 = f64x2.add(a1, wh);
      b0 = f64x2.add(b0, f64x2.mul(wl, xl));
      b1 = f64x2.add(b1, f64x2.mul(wh, xh));
      v128.store(acc + i, f64x2.add(v128.load(acc + i), f64x2.mul(gl, xl)));
      v128.store(acc + i, f64x2.add(v128.load(acc + i, 16), f64x2.mul(gh, xh)), 16);
      v128.store(accDb + i, f64x2.add(v128.load(accDb + i), gl));
      v128.store(accDb + i, f64x2.add(v128.load(accDb + i, 16), gh), 16);
    }
    let meanGw = sum2(a0, a1);
    let meanGwX = sum2(b0, b1);
    for (let q = end4; q < end; q += 4, i += 8) {
      const xhat = (<f64>load<f32>(q) - mean) * rstd;
      const gi = <f64>load<f32>(q + dg);
      const gw = gi * <f64>load<f32>(q + dw);
      meanGw += gw;
      meanGwX += gw * xhat;
      store<f64>(acc + i, load<f64>(acc + i) + gi * xhat);
      store<f64>(accDb + i, load<f64>(accDb + i) + gi);
    }
    meanGw /= <f64>n;
    meanGwX /= <f64>n;
    const mg = f64x2.splat(meanGw);
    const mx = f64x2.splat(meanGwX);
    for (let q = row; q < end4; q += 16) {
      const x = v128.load(q);
      const gv = v128.load(q + dg);
      const wv = v128.load(q + dw);
      const xl = f64x2.mul(f64x2.sub(lo(x), m2), r2);
      const xh = f64x2.mul(f64x2.sub(hi(x), m2), r2);
      const dl = f64x2.mul(r2, f64x2.sub(f64x2.sub(f64x2.mul(lo(gv), lo(wv)), mg), f64x2.mul(xl, mx)));
      const dh = f64x2.mul(r2, f64x2.sub(f64x2.sub(f64x2.mul(hi(gv), hi(wv)), mg), f64x2.mul(xh, mx)));
      v128.store(q + dg, demote(dl, dh));
    }
    for (let q = end4; q < end; q += 4) {
      const xhat = (<f64>load<f32>(q) - mean) * rstd;
      const gw = <f64>load<f32>(q + dg) * <f64>load<f32>(q + dw);
      store<f32>(q + dg, <f32>(rstd * (gw - meanGw - xhat * meanGwX)));
    }
  }
}
