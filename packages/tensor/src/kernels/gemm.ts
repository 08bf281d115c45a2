/**
 * @file The matrix-multiply core, C = A @ B on strided storage, cache-blocked the BLIS way:
 * B is packed into KC x NR column panels, A into MC x KC row panels (any strides, so a
 * transposed operand is read in place, never copied first), and a 4x4 register-tiled
 * micro-kernel accumulates in doubles. Packing pads edge tiles with zeros so the
 * micro-kernel never branches inside its loop. Accumulation is float64 within each KC block
 * of 256 steps of k; C is stored after every block and read back for the next, so a float32
 * C is rounded once per block (ceil(k / 256) roundings), not once at the end. This is the
 * reference kernel and the fallback of the WebAssembly backend (src/backend/), and the only
 * kernel for float64 and int32.
 */
import type { Storage } from "../dtype.js";

const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const NC = 1024;

// Scratch panels, grown on demand and reused by every call (JS runs one gemm at a time).
let packA = new Float64Array(0);
let packB = new Float64Array(0);
const edge = new Float64Array(MR * NR);

/** A strided matrix operand: element (i, j) is `data[offset + i * rowStride + j * colStride]`. */
export interface MatrixView {
  readonly data: Storage;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/**
 * Writes A (m x k) @ B (k x n) into C (m x n, row stride `ldc`, unit column stride),
 * overwriting C. Accumulation is in float64 within each KC block of k; C's storage type
 * rounds the partial sum between blocks.
 */
export function gemm(m: number, n: number, k: number, a: MatrixView, b: MatrixView, c: Storage, cOffset: number, ldc: number): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    for (let i = 0; i < m; i++) c.fill(0, cOffset + i * ldc, cOffset + i * ldc + n);
    return;
  }
  const bSize = Math.min(KC, k) * Math.min(NC, roundUp(n, NR));
  const aSize = Math.min(KC, k) * Math.min(MC, roundUp(m, MR));
  if (packB.length < bSize) packB = new Float64Array(bSize);
  if (packA.length < aSize) packA = new Float64Array(aSize);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanelsB(b, pc, kc, jc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packPanelsA(a, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const w = Math.min(NR, n - jc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const h = Math.min(MR, mc - ir);
            const ci = cOffset + (ic + ir) * ldc + jc + jr;
            microKernel(kc, packA, ir * kc, packB, jr * kc, c, ci, ldc, h, w, pc > 0);
          }
        }
      }
    }
  }
}

function roundUp(x: number, step: number): number {
  return Math.ceil(x / step) * step;
}

/**
 * Packs a strided block into consecutive `depth x width` panels: panel q holds the `width`
 * elements at positions q*width.. along `span` for each of the `depth` steps, zero-padded at
 * the edge. B panels run along columns (width NR), A panels along rows (width MR).
 */
function packPanels(
  dst: Float64Array, data: Storage, base: number,
  spanStride: number, span: number, depthStride: number, depth: number, width: number,
): void {
  for (let q = 0; q < span; q += width) {
    const w = Math.min(width, span - q);
    let d = q * depth;
    let src = base + q * spanStride;
    for (let p = 0; p < depth; p++, src += depthStride, d += width) {
      for (let j = 0; j < w; j++) dst[d + j] = data[src + j * spanStride]!;
      for (let j = w; j < width; j++) dst[d + j] = 0;
    }
  }
}

/** Packs B[pc:pc+kc, jc:jc+nc] as kc x NR column panels. */
function packPanelsB(b: MatrixView, pc: number, kc: number, jc: number, nc: number): void {
  packPanels(packB, b.data, b.offset + pc * b.rowStride + jc * b.colStride, b.colStride, nc, b.rowStride, kc, NR);
}

/** Packs A[ic:ic+mc, pc:pc+kc] as MR x kc row panels (stored column by column). */
function packPanelsA(a: MatrixView, ic: number, mc: number, pc: number, kc: number): void {
  packPanels(packA, a.data, a.offset + ic * a.rowStride + pc * a.colStride, a.rowStride, mc, a.colStride, kc, MR);
}

/** C tile (h x w <= 4 x 4) = (or +=) packed A panel @ packed B panel over kc steps. */
function microKernel(
  kc: number, pa: Float64Array, ai: number, pb: Float64Array, bi: number,
  c: Storage, ci: number, ldc: number, h: number, w: number, accumulate: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++, ai += MR, bi += NR) {
    const a0 = pa[ai]!, a1 = pa[ai + 1]!, a2 = pa[ai + 2]!, a3 = pa[ai + 3]!;
    const b0 = pb[bi]!, b1 = pb[bi + 1]!, b2 = pb[bi + 2]!, b3 = pb[bi + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  const t = edge;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
  for (let i = 0; i < h; i++, ci += ldc) {
    for (let j = 0; j < w; j++) c[ci + j] = accumulate ? c[ci + j]! + t[i * NR + j]! : t[i * NR + j]!;
  }
}
