/**
 * @file The fused and elementwise float32 kernels on WebAssembly (assembly/maps.ts, softmax.ts,
 * layernorm.ts), run by the calling thread on the unshared memory: each call streams its input
 * through the arena in chunks of about `kernelTuning.chunkElements` floats (copy a chunk in,
 * compute it in place, copy it out), so the arena stays small, the chunk stays in cache, and
 * memory does not grow with the tensor. From `kernelTuning.parallelMin` elements on, the unary
 * maps and their gradients (transcendental, so compute-bound) instead run as one job of the
 * worker pool on the shared memory, in chunks that the threads claim. Every function returns
 * false, having written nothing it promises, when the runtime is missing or the arena cannot
 * grow; the caller then runs the TypeScript kernel. Inputs are contiguous float32 storage at an
 * offset.
 */
import { activeThreads } from "./index.js";
import { align, localRuntime, reserve, runMapJob, wasmRuntime, type WasmRuntime } from "./wasm.js";

/** Unary op codes of assembly/maps.ts. */
export const UNARY = { exp: 0, tanh: 1, sigmoid: 2, gelu: 3, geluTanh: 4 } as const;
/** Gradient op codes of assembly/maps.ts. */
export const GRAD = { gelu: 0, geluTanh: 1 } as const;
/** Binary op codes of assembly/maps.ts: `rsub` and `rdiv` take their operands swapped. */
export const BINARY = { add: 0, sub: 1, mul: 2, div: 3, rsub: 4, rdiv: 5 } as const;

export type UnaryKernel = keyof typeof UNARY;
export type GradKernel = keyof typeof GRAD;
export type BinaryKernel = keyof typeof BINARY;

/**
 * Sizes (in elements) from which each float32 kernel runs on WebAssembly, measured on the 2-core
 * AMD EPYC VM this was developed on (see the package README, "Backends"): below them the cost of a
 * call (views, two copies) passes what the TypeScript loop takes. Tests set them to 0.
 */
export const kernelTuning = {
  /** exp, tanh, sigmoid, GELU and the GELU gradients. */
  unaryMin: 64,
  /** add, sub, mul and div (same shape, a scalar, or a row repeated along the other operand). */
  binaryMin: 1024,
  /** softmax and logSoftmax, forward and backward (whole tensor). */
  softmaxMin: 32,
  /** layerNorm, forward and backward (whole tensor). */
  layerNormMin: 256,
  /** Sums over leading rows (bias gradients; whole tensor). */
  sumRowsMin: 4096,
  /** Adam/AdamW steps (elements of one parameter). */
  adamMin: 1024,
  /** Floats per chunk streamed through the arena. */
  chunkElements: 16384,
  /** From this on, exp, tanh, sigmoid, GELU and the GELU gradients are shared with the workers. */
  parallelMin: 65536,
};

/** The threads for a unary map of n elements, and the shared runtime with room for `bytes`. */
function poolFor(n: number, bytes: number): { rt: WasmRuntime; threads: number } | null {
  if (n < kernelTuning.parallelMin) return null;
  const threads = activeThreads();
  const rt = threads > 1 ? wasmRuntime() : null;
  return rt !== null && reserve(rt, bytes) ? { rt, threads } : null;
}

/** Elements per task of a pooled map: about four tasks per thread, whole vectors. */
function mapChunk(n: number, threads: number): number {
  return Math.max(4096, Math.ceil(n / (4 * threads) / 4) * 4);
}

/** The runtime with at least `bytes` of arena, or null. */
function arena(bytes: number): WasmRuntime | null {
  const rt = localRuntime();
  return rt !== null && reserve(rt, bytes) ? rt : null;
}

/** Float32 elements from an offset: one array of an elementwise kernel. */
interface Slice {
  readonly data: Float32Array;
  readonly offset: number;
}

/**
 * The one way an elementwise kernel streams through the arena: slot i holds `inputs[i]` (copied
 * in; null: a slot the kernel only writes), `kernel` runs on a piece, and each `outputs` entry
 * [slot, destination] is copied back. From `kernelTuning.parallelMin` elements, with `pooled`,
 * one job of the worker pool over the whole arrays; else chunks of `kernelTuning.chunkElements`
 * on the calling thread. Counts passed on are rounded up to whole vectors (the slots are padded).
 */
function streamElementwise(
  n: number,
  inputs: readonly (Slice | null)[],
  outputs: readonly (readonly [number, Slice])[],
  kernel: (rt: WasmRuntime, slots: readonly number[], count: number) => void,
  pooled: ((rt: WasmRuntime, slots: readonly number[], count: number, threads: number) => void) | null,
): boolean {
  const padded = (n + 3) & ~3;
  const pool = pooled === null ? null : poolFor(n, inputs.length * align(padded * 4));
  const whole = pool !== null;
  const chunk = whole ? n : Math.min(n, kernelTuning.chunkElements);
  const bytes = whole ? align(padded * 4) : align(chunk * 4 + 16);
  const rt = whole ? pool.rt : arena(inputs.length * bytes);
  if (rt === null) return false;
  const heap = rt.f32;
  const slots = inputs.map((_, k) => rt.arena + k * bytes);
  for (let i = 0; i < n; i += chunk) {
    const len = Math.min(chunk, n - i);
    inputs.forEach((a, k) => a !== null && heap.set(a.data.subarray(a.offset + i, a.offset + i + len), slots[k]! / 4));
    if (whole) pooled!(rt, slots, padded, pool.threads);
    else kernel(rt, slots, (len + 3) & ~3);
    for (const [k, dst] of outputs) dst.data.set(heap.subarray(slots[k]! / 4, slots[k]! / 4 + len), dst.offset + i);
  }
  return true;
}

/** dst[dOff + i] = op(src[sOff + i]) for i < n. */
export function wasmUnary(op: UnaryKernel, src: Float32Array, sOff: number, n: number, dst: Float32Array, dOff: number): boolean {
  const code = UNARY[op];
  return streamElementwise(
    n, [{ data: src, offset: sOff }], [[0, { data: dst, offset: dOff }]],
    (rt, [x], count) => rt.exports.unary(code, x!, x!, count),
    (rt, [x], count, threads) => runMapJob(rt, { fn: "unary", op: code, count, chunk: mapChunk(count, threads), x: x!, g: 0 }, threads),
  );
}

/** dst[dOff + i] = g[gOff + i] * op'(x[xOff + i]) for i < n. */
export function wasmUnaryGrad(
  op: GradKernel, x: Float32Array, xOff: number, g: Float32Array, gOff: number, n: number, dst: Float32Array, dOff: number,
): boolean {
  const code = GRAD[op];
  return streamElementwise(
    n, [{ data: x, offset: xOff }, { data: g, offset: gOff }], [[1, { data: dst, offset: dOff }]],
    (rt, [px, pg], count) => rt.exports.unaryGrad(code, px!, pg!, pg!, count),
    (rt, [px, pg], count, threads) => runMapJob(rt, { fn: "unaryGrad", op: code, count, chunk: mapChunk(count, threads), x: px!, g: pg! }, threads),
  );
}

/**
 * y[yOff + i] = GELU(x[xOff + i]) and cdf[cOff + i] = Phi(x[xOff + i]) for i < n: the forward
 * that keeps what `wasmGeluGradCdf` needs (GELU's bits, one erf for both).
 */
export function wasmGeluCdf(x: Float32Array, xOff: number, n: number, y: Float32Array, yOff: number, cdf: Float32Array, cOff: number): boolean {
  return streamElementwise(
    n, [{ data: x, offset: xOff }, null], [[0, { data: y, offset: yOff }], [1, { data: cdf, offset: cOff }]],
    (rt, [px, pc], count) => rt.exports.geluCdf(px!, px!, pc!, count),
    (rt, [px, pc], count, threads) => runMapJob(rt, { fn: "geluCdf", op: 0, count, chunk: mapChunk(count, threads), x: px!, g: pc! }, threads),
  );
}

/** dst[dOff + i] = g[gOff + i] * GELU'(x[xOff + i]) given cdf from `wasmGeluCdf` (the bits of `wasmUnaryGrad("gelu")`). */
export function wasmGeluGradCdf(
  x: Float32Array, xOff: number, cdf: Float32Array, cOff: number, g: Float32Array, gOff: number, n: number, dst: Float32Array, dOff: number,
): boolean {
  return streamElementwise(
    n, [{ data: x, offset: xOff }, { data: cdf, offset: cOff }, { data: g, offset: gOff }], [[2, { data: dst, offset: dOff }]],
    (rt, [px, pc, pg], count) => rt.exports.geluGradCdf(px!, pc!, pg!, pg!, count),
    (rt, [px, pc, pg], count, threads) => runMapJob(rt, { fn: "geluGradCdf", op: 0, count, chunk: mapChunk(count, threads), x: px!, g: pg!, y: pc! }, threads),
  );
}

/**
 * dst[dOff + i] = a[aOff + i] op b[bOff + i mod bn] for i < n (n a multiple of bn), or op with a
 * scalar `b`. The repeated operand sits in the arena once; a (and a whole b) stream in chunks.
 */
export function wasmBinary(
  op: BinaryKernel, a: Float32Array, aOff: number, n: number, b: Float32Array | number, bOff: number, bn: number, dst: Float32Array, dOff: number,
): boolean {
  if (bn < 1 || n % bn !== 0) return false;
  const whole = bn === n && bn > 1;
  const rowsPer = whole ? 1 : Math.max(1, Math.floor(kernelTuning.chunkElements / bn));
  const chunk = whole ? Math.min(n, kernelTuning.chunkElements) : Math.min(n, rowsPer * bn);
  const bBytes = align((whole ? chunk : bn) * 4 + 16);
  const rt = arena(bBytes + align(chunk * 4 + 16));
  if (rt === null) return false;
  const heap = rt.f32;
  const pb = rt.arena;
  const pa = pb + bBytes;
  if (typeof b === "number") heap[pb / 4] = b;
  else if (!whole) heap.set(b.subarray(bOff, bOff + bn), pb / 4);
  const code = BINARY[op];
  for (let i = 0; i < n; i += chunk) {
    const len = Math.min(chunk, n - i);
    heap.set(a.subarray(aOff + i, aOff + i + len), pa / 4);
    if (whole) heap.set((b as Float32Array).subarray(bOff + i, bOff + i + len), pb / 4);
    rt.exports.binary(code, pa, pb, pa, len, whole ? len : bn);
    dst.set(heap.subarray(pa / 4, pa / 4 + len), dOff + i);
  }
  return true;
}

/** Rows per chunk for rows of n floats (at least one). */
function chunkRows(rows: number, n: number): number {
  return Math.max(1, Math.min(rows, Math.floor(kernelTuning.chunkElements / n)));
}

/** softmax (or logSoftmax with `log`) of `rows` contiguous rows of n floats into dst. */
export function wasmSoftmax(log: boolean, src: Float32Array, sOff: number, rows: number, n: number, dst: Float32Array): boolean {
  const per = chunkRows(rows, n);
  const rt = arena(per * n * 4);
  if (rt === null) return false;
  const heap = rt.f32;
  const at = rt.arena;
  for (let r = 0; r < rows; r += per) {
    const count = Math.min(per, rows - r);
    const o = r * n;
    heap.set(src.subarray(sOff + o, sOff + o + count * n), at / 4);
    rt.exports.softmaxRows(at, count, n, log ? 1 : 0);
    dst.set(heap.subarray(at / 4, at / 4 + count * n), o);
  }
  return true;
}

/**
 * The softmax (or, with `log`, logSoftmax) gradient from the output y and the incoming gradient
 * g, both `rows` contiguous rows of n floats, into dst.
 */
export function wasmSoftmaxBackward(
  log: boolean, y: Float32Array, yOff: number, g: Float32Array, gOff: number, rows: number, n: number, dst: Float32Array,
): boolean {
  const per = chunkRows(rows, n);
  const bytes = align(per * n * 4);
  const rt = arena(2 * bytes);
  if (rt === null) return false;
  const heap = rt.f32;
  const py = rt.arena;
  const pg = py + bytes;
  for (let r = 0; r < rows; r += per) {
    const count = Math.min(per, rows - r);
    const o = r * n;
    heap.set(y.subarray(yOff + o, yOff + o + count * n), py / 4);
    heap.set(g.subarray(gOff + o, gOff + o + count * n), pg / 4);
    rt.exports.softmaxBackwardRows(py, pg, count, n, log ? 1 : 0);
    dst.set(heap.subarray(pg / 4, pg / 4 + count * n), o);
  }
  return true;
}

/** An optional per-column parameter: n floats at an offset, or null (ones or zeros). */
export interface Param {
  readonly data: Float32Array;
  readonly offset: number;
}

/** Writes n floats of `p` (or `fill` when null) at byte address `at`. */
function placeParam(heap: Float32Array, p: Param | null, n: number, at: number, fill: number): void {
  if (p === null) heap.fill(fill, at / 4, at / 4 + n);
  else heap.set(p.data.subarray(p.offset, p.offset + n), at / 4);
}

/** layerNorm of `rows` contiguous rows of n floats into dst, with optional weight and bias. */
export function wasmLayerNorm(
  src: Float32Array, sOff: number, rows: number, n: number, w: Param | null, b: Param | null, eps: number, dst: Float32Array,
): boolean {
  const per = chunkRows(rows, n);
  const pBytes = align(n * 4);
  const rt = arena(2 * pBytes + per * n * 4);
  if (rt === null) return false;
  const heap = rt.f32;
  const pw = rt.arena;
  const pb = pw + pBytes;
  const at = pb + pBytes;
  placeParam(heap, w, n, pw, 1);
  placeParam(heap, b, n, pb, 0);
  for (let r = 0; r < rows; r += per) {
    const count = Math.min(per, rows - r);
    const o = r * n;
    heap.set(src.subarray(sOff + o, sOff + o + count * n), at / 4);
    rt.exports.layerNormRows(at, count, n, pw, pb, eps);
    dst.set(heap.subarray(at / 4, at / 4 + count * n), o);
  }
  return true;
}

/**
 * The layerNorm gradient for `rows` contiguous rows of n floats: dx into `dx`, and the row sums
 * of g * xhat and of g into `dw` and `db` where given.
 */
export function wasmLayerNormBackward(
  x: Float32Array, xOff: number, g: Float32Array, gOff: number, rows: number, n: number, w: Param | null, eps: number,
  dx: Float32Array, dw: Float32Array | null, db: Float32Array | null,
): boolean {
  const per = chunkRows(rows, n);
  const pBytes = align(n * 4);
  const accBytes = align(2 * n * 8);
  const bytes = align(per * n * 4);
  const rt = arena(pBytes + accBytes + 2 * bytes);
  if (rt === null) return false;
  const heap = rt.f32;
  const pw = rt.arena;
  const acc = pw + pBytes;
  const px = acc + accBytes;
  const pg = px + bytes;
  placeParam(heap, w, n, pw, 1);
  rt.f64.fill(0, acc / 8, acc / 8 + 2 * n);
  for (let r = 0; r < rows; r += per) {
    const count = Math.min(per, rows - r);
    const o = r * n;
    heap.set(x.subarray(xOff + o, xOff + o + count * n), px / 4);
    heap.set(g.subarray(gOff + o, gOff + o + count * n), pg / 4);
    rt.exports.layerNormBackwardRows(px, pg, count, n, pw, eps, acc);
    dx.set(heap.subarray(pg / 4, pg / 4 + count * n), o);
  }
  const sums = rt.f64;
  if (dw !== null) for (let i = 0; i < n; i++) dw[i] = sums[acc / 8 + i]!;
  if (db !== null) for (let i = 0; i < n; i++) db[i] = sums[acc / 8 + n + i]!;
  return true;
}

/**
 * acc[j] += src[sOff + r * n + j] for each of `rows` contiguous rows of n floats, in row order
 * (the TypeScript loop's additions, so the same bits); acc holds n float64 sums.
 */
export function wasmSumRows(src: Float32Array, sOff: number, rows: number, n: number, acc: Float64Array): boolean {
  const per = chunkRows(rows, n);
  const accBytes = align(n * 8);
  const rt = arena(accBytes + per * n * 4);
  if (rt === null) return false;
  const heap = rt.f32;
  const pa = rt.arena;
  const at = pa + accBytes;
  rt.f64.set(acc, pa / 8);
  for (let r = 0; r < rows; r += per) {
    const count = Math.min(per, rows - r);
    const o = sOff + r * n;
    heap.set(src.subarray(o, o + count * n), at / 4);
    rt.exports.sumRows(at, count, n, pa);
  }
  acc.set(rt.f64.subarray(pa / 8, pa / 8 + n));
  return true;
}

/** The coefficients of one Adam/AdamW step (see `wasmAdamStep`). */
export interface AdamStepCoefficients {
  readonly decay: number;
  readonly l2: number;
  readonly sign: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly negStepSize: number;
  /** 1 / sqrt(1 - beta2^t). */
  readonly invBc2Sqrt: number;
  readonly eps: number;
}

/**
 * One Adam/AdamW step over n float32 elements of p, g, m and v (each at its offset), in place:
 * the computation of @typegrad/optim's loop, with its bits (assembly/adam.ts).
 */
export function wasmAdamStep(
  p: Float32Array, pOff: number, g: Float32Array, gOff: number, m: Float32Array, mOff: number, v: Float32Array, vOff: number,
  n: number, c: AdamStepCoefficients,
): boolean {
  const [omb1, omb2] = [1 - c.beta1, 1 - c.beta2];
  const [P, M, V] = [{ data: p, offset: pOff }, { data: m, offset: mOff }, { data: v, offset: vOff }];
  return streamElementwise(
    n, [P, { data: g, offset: gOff }, M, V], [[0, P], [2, M], [3, V]],
    (rt, [pp, pg, pm, pv], count) => rt.exports.adamStep(pp!, pg!, pm!, pv!, count, c.decay, c.l2, c.sign, c.beta1, omb1, c.beta2, omb2, c.negStepSize, c.invBc2Sqrt, c.eps),
    null,
  );
}
