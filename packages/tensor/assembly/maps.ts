/**
 * @file Elementwise float32 kernels over raw pointers: unary maps (exp, tanh, sigmoid, GELU in
 * both forms) and the fused GELU gradients g * GELU'(x). The host rounds every count up to whole
 * vectors (its buffers are padded), and `dst` may equal a source (the host computes in place).
 */
import { geluCdfOut, vexp, vgelu, vgeluAndCdf, vgeluGrad, vgeluGradFromCdf, vgeluTanh, vgeluTanhGrad, vsigmoid, vtanh } from "./simd-math";

/** Unary op codes; they must match UNARY in src/backend/wasm-kernels.ts. */
const EXP = 0;
const TANH = 1;
const SIGMOID = 2;
const GELU = 3;
const GELU_TANH = 4;

/** dst[i] = op(src[i]) for i < n (n a multiple of 4). */
export function unary(op: i32, src: usize, dst: usize, n: i32): void {
  const end = src + (<usize>n << 2);
  const d = dst - src;
  if (op == EXP) {
    for (let p = src; p < end; p += 16) v128.store(p + d, vexp(v128.load(p)));
  } else if (op == TANH) {
    for (let p = src; p < end; p += 16) v128.store(p + d, vtanh(v128.load(p)));
  } else if (op == SIGMOID) {
    for (let p = src; p < end; p += 16) v128.store(p + d, vsigmoid(v128.load(p)));
  } else if (op == GELU) {
    for (let p = src; p < end; p += 16) v128.store(p + d, vgelu(v128.load(p)));
  } else if (op == GELU_TANH) {
    for (let p = src; p < end; p += 16) v128.store(p + d, vgeluTanh(v128.load(p)));
  }
}

/** Gradient op codes; they must match GRAD in src/backend/wasm-kernels.ts. */
const GELU_GRAD = 0;
const GELU_TANH_GRAD = 1;

/** dst[i] = g[i] * op'(x[i]) for i < n (n a multiple of 4). */
export function unaryGrad(op: i32, x: usize, g: usize, dst: usize, n: i32): void {
  const end = x + (<usize>n << 2);
  const dg = g - x;
  const dd = dst - x;
  if (op == GELU_GRAD) {
    for (let p = x; p < end; p += 16) v128.store(p + dd, f32x4.mul(v128.load(p + dg), vgeluGrad(v128.load(p))));
  } else if (op == GELU_TANH_GRAD) {
    for (let p = x; p < end; p += 16) v128.store(p + dd, f32x4.mul(v128.load(p + dg), vgeluTanhGrad(v128.load(p))));
  }
}

/**
 * y[i] = GELU(x[i]) and cdf[i] = Phi(x[i]) for i < n (n a multiple of 4; y may equal x): the
 * forward that keeps what the gradient needs, so `geluGradCdf` skips the erf.
 */
export function geluCdf(x: usize, y: usize, cdf: usize, n: i32): void {
  const end = x + (<usize>n << 2);
  const dy = y - x;
  const dc = cdf - x;
  for (let p = x; p < end; p += 16) {
    const v = vgeluAndCdf(v128.load(p));
    v128.store(p + dc, geluCdfOut);
    v128.store(p + dy, v);
  }
}

/** dst[i] = g[i] * GELU'(x[i]) given cdf[i] = Phi(x[i]) from `geluCdf` (the bits of `unaryGrad`'s). */
export function geluGradCdf(x: usize, cdf: usize, g: usize, dst: usize, n: i32): void {
  const end = x + (<usize>n << 2);
  const dc = cdf - x;
  const dg = g - x;
  const dd = dst - x;
  for (let p = x; p < end; p += 16) {
    v128.store(p + dd, f32x4.mul(v128.load(p + dg), vgeluGradFromCdf(v128.load(p), v128.load(p + dc))));
  }
}

// Fields of an elementwise job (bytes from the job descriptor, after gemm.ts's fields; they
// must match J in src/backend/wasm.ts): which map, its op code, the element count (a multiple
// of 4), elements per task (a multiple of 4), and the arrays. Results are written in place:
// over x for `unary` and `geluCdf` (whose Phi goes to g), over g for `unaryGrad` and
// `geluGradCdf` (whose Phi comes from y).
const J_MAP_FN: usize = 104; //    0: unary, 1: unaryGrad, 2: geluCdf, 3: geluGradCdf
const J_MAP_OP: usize = 108;
const J_MAP_COUNT: usize = 112;
const J_MAP_CHUNK: usize = 116;
const J_MAP_X: usize = 120;
const J_MAP_G: usize = 124;
const J_MAP_Y: usize = 128;

/** Runs chunk `idx` of the elementwise job at `job`. */
export function mapTask(job: usize, idx: i32): void {
  const count = load<i32>(job + J_MAP_COUNT);
  const chunk = load<i32>(job + J_MAP_CHUNK);
  const start = idx * chunk;
  const len = min(chunk, count - start);
  const op = load<i32>(job + J_MAP_OP);
  const x = <usize>load<u32>(job + J_MAP_X) + (<usize>start << 2);
  const fn = load<i32>(job + J_MAP_FN);
  if (fn == 0) {
    unary(op, x, x, len);
    return;
  }
  const g = <usize>load<u32>(job + J_MAP_G) + (<usize>start << 2);
  if (fn == 1) unaryGrad(op, x, g, g, len);
  else if (fn == 2) geluCdf(x, x, g, len);
  else geluGradCdf(x, <usize>load<u32>(job + J_MAP_Y) + (<usize>start << 2), g, g, len);
}

/** Binary op codes; they must match BINARY in src/backend/wasm-kernels.ts (r*: operands swapped). */
const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const RSUB = 4;
const RDIV = 5;

// @ts-ignore: decorator
@inline function apply(op: i32, x: v128, y: v128): v128 {
  if (op == ADD) return f32x4.add(x, y);
  if (op == SUB) return f32x4.sub(x, y);
  if (op == MUL) return f32x4.mul(x, y);
  if (op == DIV) return f32x4.div(x, y);
  if (op == RSUB) return f32x4.sub(y, x);
  return f32x4.div(y, x);
}

// @ts-ignore: decorator
@inline function applyScalar(op: i32, x: f32, y: f32): f32 {
  if (op == ADD) return x + y;
  if (op == SUB) return x - y;
  if (op == MUL) return x * y;
  if (op == DIV) return x / y;
  if (op == RSUB) return y - x;
  return y / x;
}

/**
 * dst[i] = a[i] op b[i mod bn] for i < n, n a multiple of bn: b is the whole second operand
 * (bn = n), one scalar (bn = 1), or a row repeated along a (a bias). IEEE float32 arithmetic,
 * so the results equal the TypeScript kernels' (a float64 operation on two float32 values
 * rounds to the same float32). dst may equal a.
 */
export function binary(op: i32, a: usize, b: usize, dst: usize, n: i32, bn: i32): void {
  if (op == ADD) binaryOp(ADD, a, b, dst, n, bn);
  else if (op == SUB) binaryOp(SUB, a, b, dst, n, bn);
  else if (op == MUL) binaryOp(MUL, a, b, dst, n, bn);
  else if (op == DIV) binaryOp(DIV, a, b, dst, n, bn);
  else if (op == RSUB) binaryOp(RSUB, a, b, dst, n, bn);
  else if (op == RDIV) binaryOp(RDIV, a, b, dst, n, bn);
}

// @ts-ignore: decorator
@inline function binaryOp(op: i32, a: usize, b: usize, dst: usize, n: i32, bn: i32): void {
  const dd = dst - a;
  if (bn == 1) {
    const s = v128.load32_splat(b);
    const end = a + (<usize>(n & ~3) << 2);
    for (let p = a; p < end; p += 16) v128.store(p + dd, apply(op, v128.load(p), s));
    const sv = load<f32>(b);
    for (let p = end; p < a + (<usize>n << 2); p += 4) store<f32>(p + dd, applyScalar(op, load<f32>(p), sv));
    return;
  }
  const rows = n / bn;
  const m4 = <usize>(bn & ~3) << 2;
  const row = <usize>bn << 2;
  for (let r = 0; r < rows; r++) {
    const p0 = a + <usize>r * row;
    const db = b - p0;
    const end = p0 + m4;
    for (let p = p0; p < end; p += 16) v128.store(p + dd, apply(op, v128.load(p), v128.load(p + db)));
    for (let p = end; p < p0 + row; p += 4) store<f32>(p + dd, applyScalar(op, load<f32>(p), load<f32>(p + db)));
  }
}
