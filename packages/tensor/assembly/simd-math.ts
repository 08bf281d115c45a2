/**
 * @file float32x4 transcendental functions for the elementwise and fused kernels: exp (Cephes'
 * expf polynomial with a Cody-Waite reduction and a two-step 2^n scale, so subnormal results
 * and overflow come out right), tanh, the logistic function, and the normal tail Phi(-|x|) that
 * GELU needs (fdlibm's erf/erfc split into four intervals, carried out in float32 with the
 * argument kept exact: |x|/sqrt(2) in two parts, exp(-x^2/2) with x^2 split exactly). No fused
 * multiply-add is used, so every kernel variant gives the same bits. Measured error bounds are
 * in the package README, "Backends"; src/kernels/wasm-math.test.ts checks them against float64.
 */

const LOG2E: f32 = 1.44269504088896341;
/** ln 2 in two parts: C1 has 9 significant bits, so n * C1 is exact for |n| < 2^15. */
const C1: f32 = 0.693359375;
const C2: f32 = -2.12194440e-4;
/** 1.5 * 2^23: adding it rounds to an integer that sits in the low mantissa bits. */
const MAGIC: f32 = 12582912.0;
const MAGIC_BITS: i32 = 0x4b400000;

/**
 * exp(a + b) where a + b is the true argument split in two (a may be large and must be exact;
 * b is a small correction). Reduction: n = round((a + b) / ln 2), r = (a - n C1) - n C2 + b, the
 * first difference exact by Sterbenz; exp(r) by Cephes' degree-6 polynomial on |r| <= ln2 / 2;
 * the result is scaled by 2^(n/2) twice so that subnormal results are rounded once. Arguments
 * above 89 give +inf, below -104 give 0 (both past float32's range), NaN stays NaN.
 */
// @ts-ignore: decorator
@inline export function vexp2(a: v128, b: v128): v128 {
  const s = f32x4.add(a, b);
  const c = f32x4.pmin(f32x4.pmax(s, k(0)), k(1));
  const t = f32x4.add(f32x4.mul(c, k(2)), k(3));
  const n = i32x4.sub(t, i32x4.splat(MAGIC_BITS));
  const fx = f32x4.sub(t, k(3));
  let r = f32x4.sub(a, f32x4.mul(fx, k(4)));
  r = f32x4.sub(r, f32x4.mul(fx, k(5)));
  r = f32x4.add(r, b);
  let p = f32x4.add(f32x4.mul(k(6), r), k(7));
  p = f32x4.add(f32x4.mul(p, r), k(8));
  p = f32x4.add(f32x4.mul(p, r), k(9));
  p = f32x4.add(f32x4.mul(p, r), k(10));
  p = f32x4.add(f32x4.mul(p, r), k(11));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), k(12));
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  let y = f32x4.mul(f32x4.mul(p, s1), s2);
  y = v128.bitselect(k(13), y, f32x4.gt(s, k(1)));
  return v128.andnot(y, f32x4.lt(s, k(0)));
}

/** e^x. */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  return vexp2(x, f32x4.splat(0));
}

const SIGN: i32 = 0x80000000;

/**
 * tanh x: Cephes' odd polynomial below |x| = 0.625, else sign(x) (1 - 2 / (e^{2|x|} + 1)).
 */
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const a = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(k(14), z), k(15));
  p = f32x4.add(f32x4.mul(p, z), k(16));
  p = f32x4.add(f32x4.mul(p, z), k(17));
  p = f32x4.add(f32x4.mul(p, z), k(18));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e = vexp(f32x4.add(a, a));
  const large = f32x4.sub(k(12), f32x4.div(k(19), f32x4.add(e, k(12))));
  const signed = v128.bitselect(x, large, i32x4.splat(SIGN));
  return v128.bitselect(small, signed, f32x4.lt(a, k(20)));
}

/** The logistic function 1 / (1 + e^-x), as e^x / (1 + e^x) for x < 0 so nothing overflows. */
// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)));
  return f32x4.div(v128.bitselect(e, k(12), f32x4.lt(x, k(21))), f32x4.add(k(12), e));
}

/**
 * Splits |x| into a head with 12 significant bits and an exact tail, so that head^2 and
 * head * (a constant of <= 12 bits) are exact in float32.
 */
// @ts-ignore: decorator
@inline function head(v: v128): v128 {
  return v128.and(v, i32x4.splat(0xfffff000));
}

const INV_SQRT2: f32 = 0.70710678118654752;
/** 1/sqrt(2) in two parts, the first of 8 bits. */
const R2_HI: f32 = 0.70703125;
const R2_LO: f32 = 7.5531186547519e-5;
const ERX: f32 = 8.45062911510467529297e-1;
/** 1 - ERX, exact in float32. */
const ONE_MINUS_ERX: f32 = 1.54937088489532470703e-1;

/** Results of `normalTail` (globals, as the stub runtime has no allocation to spare): Phi(-v). */
export let tailQ: v128 = f32x4.splat(0);
/** -v Phi(-v), GELU at -v. */
export let tailG: v128 = f32x4.splat(0);

/** exp(-v^2/2 + c) with v^2 split exactly (v finite, <= 20), c a small correction. */
// @ts-ignore: decorator
@inline export function expHalfSquare(v: v128, c: v128): v128 {
  const hi = head(v);
  const lo = f32x4.sub(v, hi);
  const a = f32x4.mul(f32x4.mul(hi, hi), k(22));
  const b = f32x4.add(f32x4.mul(f32x4.mul(lo, f32x4.add(v, hi)), k(22)), c);
  return vexp2(a, b);
}

/**
 * Sets tailQ = Phi(-v) and tailG = -v Phi(-v) for v = |x| (NaN stays NaN), by fdlibm's intervals of
 * a = v / sqrt 2: [0, 0.84375) erf = a + a P/Q; [0.84375, 1.25) erfc = (1 - erx) - P/Q in
 * s = a - 1; [1.25, 1/0.35) and beyond, erfc = exp(-a^2 - 0.5625 + R/S) / a in 1/a^2. An
 * interval is evaluated only when some lane needs it.
 */
// @ts-ignore: decorator
@inline export function normalTail(x: v128, wantQ: bool): void {
  // Past |x| = 20 the tail is 0 in float32 already; clamping keeps v^2 finite (NaN stays NaN).
  const v = f32x4.pmin(f32x4.abs(x), k(23));
  // a = v / sqrt 2 as aHi + aLo, aHi exact.
  const vh = head(v);
  const aHi = f32x4.mul(vh, k(24));
  const aLo = f32x4.add(f32x4.mul(f32x4.sub(v, vh), k(24)), f32x4.mul(v, k(25)));
  const a = f32x4.add(aHi, aLo);
  const in1 = f32x4.lt(a, k(26));
  const in2 = v128.andnot(f32x4.lt(a, k(27)), in1);
  const in3 = f32x4.lt(a, k(28));
  let q = f32x4.splat(0);
  let g = f32x4.splat(0);
  if (v128.any_true(in1)) {
    const z = f32x4.mul(a, a);
    let r = f32x4.add(f32x4.mul(z, k(29)), k(30));
    r = f32x4.add(f32x4.mul(r, z), k(31));
    r = f32x4.add(f32x4.mul(r, z), k(32));
    r = f32x4.add(f32x4.mul(r, z), k(33));
    let s = f32x4.add(f32x4.mul(z, k(34)), k(35));
    s = f32x4.add(f32x4.mul(s, z), k(36));
    s = f32x4.add(f32x4.mul(s, z), k(37));
    s = f32x4.add(f32x4.mul(s, z), k(38));
    s = f32x4.add(f32x4.mul(s, z), k(12));
    const ay = f32x4.mul(a, f32x4.div(r, s));
    // Phi(-v) = 1/2 - (a + a y)/2, the leading difference exact.
    const q1 = f32x4.sub(f32x4.sub(k(39), f32x4.mul(aHi, k(39))), f32x4.mul(f32x4.add(aLo, ay), k(39)));
    q = v128.bitselect(q1, q, in1);
    g = v128.bitselect(f32x4.neg(f32x4.mul(v, q1)), g, in1);
  }
  if (v128.any_true(in2)) {
    const s = f32x4.add(f32x4.sub(aHi, k(12)), aLo);
    let p = f32x4.add(f32x4.mul(s, k(40)), k(41));
    p = f32x4.add(f32x4.mul(p, s), k(42));
    p = f32x4.add(f32x4.mul(p, s), k(43));
    p = f32x4.add(f32x4.mul(p, s), k(44));
    p = f32x4.add(f32x4.mul(p, s), k(45));
    p = f32x4.add(f32x4.mul(p, s), k(46));
    let d = f32x4.add(f32x4.mul(s, k(47)), k(48));
    d = f32x4.add(f32x4.mul(d, s), k(49));
    d = f32x4.add(f32x4.mul(d, s), k(50));
    d = f32x4.add(f32x4.mul(d, s), k(51));
    d = f32x4.add(f32x4.mul(d, s), k(52));
    d = f32x4.add(f32x4.mul(d, s), k(12));
    const q2 = f32x4.mul(f32x4.sub(k(53), f32x4.div(p, d)), k(39));
    q = v128.bitselect(q2, q, in2);
    g = v128.bitselect(f32x4.neg(f32x4.mul(v, q2)), g, in2);
  }
  const tail = v128.not(f32x4.lt(a, k(27)));
  if (v128.any_true(tail)) {
    const s = f32x4.div(k(12), f32x4.mul(a, a));
    let r: v128, d: v128;
    if (v128.any_true(v128.and(tail, in3))) {
      let ra = f32x4.add(f32x4.mul(s, k(54)), k(55));
      ra = f32x4.add(f32x4.mul(ra, s), k(56));
      ra = f32x4.add(f32x4.mul(ra, s), k(57));
      ra = f32x4.add(f32x4.mul(ra, s), k(58));
      ra = f32x4.add(f32x4.mul(ra, s), k(59));
      ra = f32x4.add(f32x4.mul(ra, s), k(60));
      ra = f32x4.add(f32x4.mul(ra, s), k(61));
      let sa = f32x4.add(f32x4.mul(s, k(62)), k(63));
      sa = f32x4.add(f32x4.mul(sa, s), k(64));
      sa = f32x4.add(f32x4.mul(sa, s), k(65));
      sa = f32x4.add(f32x4.mul(sa, s), k(66));
      sa = f32x4.add(f32x4.mul(sa, s), k(67));
      sa = f32x4.add(f32x4.mul(sa, s), k(68));
      sa = f32x4.add(f32x4.mul(sa, s), k(69));
      sa = f32x4.add(f32x4.mul(sa, s), k(12));
      r = ra;
      d = sa;
    } else {
      r = f32x4.splat(0);
      d = f32x4.splat(1);
    }
    if (v128.any_true(v128.andnot(tail, in3))) {
      let rb = f32x4.add(f32x4.mul(s, k(70)), k(71));
      rb = f32x4.add(f32x4.mul(rb, s), k(72));
      rb = f32x4.add(f32x4.mul(rb, s), k(73));
      rb = f32x4.add(f32x4.mul(rb, s), k(74));
      rb = f32x4.add(f32x4.mul(rb, s), k(75));
      rb = f32x4.add(f32x4.mul(rb, s), k(76));
      let sb = f32x4.add(f32x4.mul(s, k(77)), k(78));
      sb = f32x4.add(f32x4.mul(sb, s), k(79));
      sb = f32x4.add(f32x4.mul(sb, s), k(80));
      sb = f32x4.add(f32x4.mul(sb, s), k(81));
      sb = f32x4.add(f32x4.mul(sb, s), k(82));
      sb = f32x4.add(f32x4.mul(sb, s), k(83));
      sb = f32x4.add(f32x4.mul(sb, s), k(12));
      r = v128.bitselect(r, rb, in3);
      d = v128.bitselect(d, sb, in3);
    }
    // erfc(a) = exp(-v^2/2 - 0.5625 + R/S) / a; Phi(-v) = erfc(a) / 2; -v Phi(-v) = -E / sqrt 2.
    const e = expHalfSquare(v, f32x4.add(k(84), f32x4.div(r, d)));
    if (wantQ) q = v128.bitselect(f32x4.div(f32x4.mul(e, k(39)), a), q, tail);
    g = v128.bitselect(f32x4.mul(e, k(85)), g, tail);
  }
  tailQ = q;
  tailG = g;
}

const INV_SQRT_2PI: f32 = 0.3989422804014327;

/** GELU, x Phi(x): -v Phi(-v) for x < 0, x - v Phi(-v) for x >= 0; NaN at -inf as x Phi(x) gives. */
// @ts-ignore: decorator
@inline export function vgelu(x: v128): v128 {
  normalTail(x, false);
  const y = v128.bitselect(tailG, f32x4.add(x, tailG), f32x4.lt(x, k(21)));
  return v128.bitselect(k(86), y, f32x4.eq(x, k(87)));
}

/** Phi(x) from the last `normalTail(x, true)`. */
// @ts-ignore: decorator
@inline function tailCdf(x: v128): v128 {
  return v128.bitselect(tailQ, f32x4.sub(k(12), tailQ), f32x4.lt(x, k(21)));
}

/** GELU'(x) = Phi(x) + x phi(x). */
// @ts-ignore: decorator
@inline export function vgeluGrad(x: v128): v128 {
  normalTail(x, true);
  return vgeluGradFromCdf(x, tailCdf(x));
}

/** GELU'(x) given cdf = Phi(x) as `vgeluAndCdf` leaves it: the same bits as `vgeluGrad(x)`. */
// @ts-ignore: decorator
@inline export function vgeluGradFromCdf(x: v128, cdf: v128): v128 {
  const v = f32x4.pmin(f32x4.abs(x), k(23));
  const density = f32x4.mul(expHalfSquare(v, f32x4.splat(0)), k(88));
  return f32x4.add(cdf, f32x4.mul(x, density));
}

/** Phi(x) of the last `vgeluAndCdf`. */
export let geluCdfOut: v128 = f32x4.splat(0);

/** GELU(x) (the same bits as `vgelu`), and Phi(x) in `geluCdfOut`: one erf for both. */
// @ts-ignore: decorator
@inline export function vgeluAndCdf(x: v128): v128 {
  normalTail(x, true);
  geluCdfOut = tailCdf(x);
  const y = v128.bitselect(tailG, f32x4.add(x, tailG), f32x4.lt(x, k(21)));
  return v128.bitselect(k(86), y, f32x4.eq(x, k(87)));
}

const TWO_K0: f64 = 1.5957691216057308; // 2 sqrt(2/pi)
const K1: f64 = 0.044715;

/** Results of `tanhGeluParts`: s = sigmoid(2u) and 1 - s, u = sqrt(2/pi) (x + 0.044715 x^3). */
export let partS: v128 = f32x4.splat(0);
export let partT: v128 = f32x4.splat(0);
/** e^{-|2u|}, and the lanes where u < 0. */
export let partE: v128 = f32x4.splat(0);
export let partNeg: v128 = f32x4.splat(0);

/**
 * The tanh-form GELU is x sigmoid(2u). 2u is formed in float64 and split into float32 hi + lo,
 * so that e^{-|2u|} keeps float32 accuracy where |2u| is large (x well below 0); |x| is
 * clamped at 30, past which s is 0 or 1 in float32 already (NaN stays NaN).
 */
// @ts-ignore: decorator
@inline export function tanhGeluParts(x: v128): void {
  const xc = f32x4.pmin(f32x4.pmax(x, k(89)), k(90));
  const xl = f64x2.promote_low_f32x4(xc);
  const xh = f64x2.promote_low_f32x4(v128.shuffle<f32>(xc, xc, 2, 3, 2, 3));
  const wl = f64x2.mul(f64x2.mul(xl, f64x2.splat(TWO_K0)), f64x2.add(f64x2.mul(f64x2.mul(xl, xl), f64x2.splat(K1)), f64x2.splat(1)));
  const wh = f64x2.mul(f64x2.mul(xh, f64x2.splat(TWO_K0)), f64x2.add(f64x2.mul(f64x2.mul(xh, xh), f64x2.splat(K1)), f64x2.splat(1)));
  const hi = v128.shuffle<f32>(f32x4.demote_f64x2_zero(wl), f32x4.demote_f64x2_zero(wh), 0, 1, 4, 5);
  const ll = f64x2.sub(wl, f64x2.promote_low_f32x4(hi));
  const lh = f64x2.sub(wh, f64x2.promote_low_f32x4(v128.shuffle<f32>(hi, hi, 2, 3, 2, 3)));
  const lo = v128.shuffle<f32>(f32x4.demote_f64x2_zero(ll), f32x4.demote_f64x2_zero(lh), 0, 1, 4, 5);
  // e = exp(-|hi + lo|)
  const neg = f32x4.lt(hi, k(21));
  const e = vexp2(v128.bitselect(hi, f32x4.neg(hi), neg), v128.bitselect(lo, f32x4.neg(lo), neg));
  const p = f32x4.div(k(12), f32x4.add(k(12), e));
  const ep = f32x4.mul(e, p);
  partS = v128.bitselect(ep, p, neg);
  partT = v128.bitselect(p, ep, neg);
  partE = e;
  partNeg = neg;
}

const K0F: f32 = 0.7978845608028654;
const K1X3: f32 = 0.134145; // 3 * 0.044715

/** x sigmoid(2u) = x/2 (1 + tanh u): x e / (1 + e) or x / (1 + e), e = e^{-|2u|}, one division. */
// @ts-ignore: decorator
@inline export function vgeluTanh(x: v128): v128 {
  tanhGeluParts(x);
  return f32x4.div(v128.bitselect(f32x4.mul(x, partE), x, partNeg), f32x4.add(k(12), partE));
}

/** d/dx of the tanh form: s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2), with s = (1 + tanh u)/2. */
// @ts-ignore: decorator
@inline export function vgeluTanhGrad(x: v128): v128 {
  tanhGeluParts(x);
  const slope = f32x4.mul(k(91), f32x4.add(k(12), f32x4.mul(k(92), f32x4.mul(x, x))));
  return f32x4.add(partS, f32x4.mul(f32x4.mul(f32x4.mul(x, partS), partT), slope));
}

/**
 * Every float constant of the kernels, read with `k(i)`: V8 builds a v128.const with 3-4
 * instructions at each use (inside the loops), a splat load from memory is one.
 */
const K = memory.data<f32>([
  -104, // 0
  89, // 1
  LOG2E, // 2
  MAGIC, // 3
  C1, // 4
  C2, // 5
  1.9875691500e-4, // 6
  1.3981999507e-3, // 7
  8.3334519073e-3, // 8
  4.1665795894e-2, // 9
  1.6666665459e-1, // 10
  5.0000001201e-1, // 11
  1, // 12
  Infinity, // 13
  -5.70498872745e-3, // 14
  2.06390887954e-2, // 15
  -5.37397155531e-2, // 16
  1.33314422036e-1, // 17
  -3.33332819422e-1, // 18
  2, // 19
  0.625, // 20
  0, // 21
  -0.5, // 22
  20, // 23
  R2_HI, // 24
  R2_LO, // 25
  0.84375, // 26
  1.25, // 27
  2.85714285714285, // 28
  -2.37630166566501626084e-5, // 29
  -5.77027029648944159157e-3, // 30
  -2.84817495755985104766e-2, // 31
  -3.25042107247001499370e-1, // 32
  1.28379167095512558561e-1, // 33
  -3.96022827877536812320e-6, // 34
  1.32494738004321644526e-4, // 35
  5.08130628187576562776e-3, // 36
  6.50222499887672944485e-2, // 37
  3.97917223959155352819e-1, // 38
  0.5, // 39
  -2.16637559486879084300e-3, // 40
  3.54783043256182359371e-2, // 41
  -1.10894694282396677476e-1, // 42
  3.18346619901161753674e-1, // 43
  -3.72207876035701323847e-1, // 44
  4.14856118683748331666e-1, // 45
  -2.36211856075265944077e-3, // 46
  1.19844998467991074170e-2, // 47
  1.36370839120290507362e-2, // 48
  1.26171219808761642112e-1, // 49
  7.18286544141962662868e-2, // 50
  5.40397917702171048937e-1, // 51
  1.06420880400844228286e-1, // 52
  ONE_MINUS_ERX, // 53
  -9.81432934416914548592, // 54
  -8.12874355063065934246e1, // 55
  -1.84605092906711035994e2, // 56
  -1.62396669462573470355e2, // 57
  -6.23753324503260060396e1, // 58
  -1.05586262253232909814e1, // 59
  -6.93858572707181764372e-1, // 60
  -9.86494403484714822705e-3, // 61
  -6.04244152148580987438e-2, // 62
  6.57024977031928170135, // 63
  1.08635005541779435134e2, // 64
  4.29008140027567833386e2, // 65
  6.45387271733267880336e2, // 66
  4.34565877475229228821e2, // 67
  1.37657754143519042600e2, // 68
  1.96512716674392571292e1, // 69
  -4.83519191608651397019e2, // 70
  -1.02509513161107724954e3, // 71
  -6.37566443368389627722e2, // 72
  -1.60636384855821916062e2, // 73
  -1.77579549177547519889e1, // 74
  -7.99283237680523006574e-1, // 75
  -9.86494292470009928597e-3, // 76
  -2.24409524465858183362e1, // 77
  4.74528541206955367215e2, // 78
  2.55305040643316442583e3, // 79
  3.19985821950859553908e3, // 80
  1.53672958608443695994e3, // 81
  3.25792512996573918826e2, // 82
  3.03380607434824582924e1, // 83
  -0.5625, // 84
  -INV_SQRT2, // 85
  NaN, // 86
  -Infinity, // 87
  INV_SQRT_2PI, // 88
  -30, // 89
  30, // 90
  2 * K0F, // 91
  K1X3, // 92
]);

/** Constant i of the table K, in all four lanes. */
// @ts-ignore: decorator
@inline function k(i: i32): v128 {
  return v128.load32_splat(K + (<usize>i << 2));
}
