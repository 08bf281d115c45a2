/**
 * @file Batched matmul with PyTorch's rules: 1-d operands gain (and lose) a dim, batch dims
 * broadcast, operands keep their strides (transposed views are packed in place by the gemm).
 * When B has no batch of its own and A's batch folds into its rows, the whole product is
 * one gemm, so a Linear layer over [B, T, E] packs its weight once. The batch then runs on the
 * selected backend: a float32 batch of at least `tuning.wasmMinFlops` goes to the WebAssembly
 * kernel as one job (one packed B when the entries share it; worker threads from
 * `tuning.parallelMinFlops` on). float64 and int32 products, tiny ones, and everything under the
 * "js" backend run the TypeScript gemm per entry: there is no f64x2 kernel (float64 serves the
 * small gradchecks, and would run at half the f32x4 rate).
 */
import { broadcastShapes, broadcastStrides, fmtShape, forEachRow, viewStrides } from "../layout.js";
import { uninitialized } from "../create.js";
import type { Storage } from "../dtype.js";
import type { NDArray } from "../ndarray.js";
import { activeThreads, getBackend } from "../backend/index.js";
import { tuning } from "../backend/wasm.js";
import { wasmGemmBatch } from "../backend/wasm-gemm.js";
import { gemm } from "./gemm.js";

/** One operand of a batch of gemms: entry e starts at storage index offsets[e]. */
export interface GemmOperand {
  readonly data: Storage;
  readonly rowStride: number;
  readonly colStride: number;
  readonly offsets: readonly number[];
}

/**
 * C_e = A_e @ B_e for each entry e, C_e being m x n at c[e * m * n] (rows of n), on the
 * selected backend.
 */
export function gemmBatch(m: number, n: number, k: number, a: GemmOperand, b: GemmOperand, c: Storage): void {
  const count = a.offsets.length;
  if (c instanceof Float32Array && k > 0 && m > 0 && n > 0 && getBackend() === "wasm") {
    const flops = 2 * m * n * k * count;
    if (flops >= tuning.wasmMinFlops) {
      const threads = flops >= tuning.parallelMinFlops ? activeThreads() : 1;
      const fa = a as GemmOperand & { data: Float32Array };
      const fb = b as GemmOperand & { data: Float32Array };
      if (wasmGemmBatch(m, n, k, fa, fb, c, 0, threads)) return;
    }
  }
  jsGemmBatch(m, n, k, a, b, c);
}

/** `gemmBatch` on the TypeScript gemm only (the reference). */
export function jsGemmBatch(m: number, n: number, k: number, a: GemmOperand, b: GemmOperand, c: Storage): void {
  for (let e = 0; e < a.offsets.length; e++) {
    gemm(
      m, n, k,
      { data: a.data, offset: a.offsets[e]!, rowStride: a.rowStride, colStride: a.colStride },
      { data: b.data, offset: b.offsets[e]!, rowStride: b.rowStride, colStride: b.colStride },
      c, e * m * n, n,
    );
  }
}

/** Matrix product of two arrays of the same numeric dtype. Matches `torch.matmul`. */
export function matmul(a: NDArray, b: NDArray): NDArray {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(`matmul: both arguments need at least 1 dim, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  if (a.dtype !== b.dtype) {
    throw new TypeError(`matmul: expected both operands to have the same dtype, got ${a.dtype} and ${b.dtype}`);
  }
  if (a.dtype === "bool") throw new TypeError("matmul: not supported for bool tensors");
  if (a.ndim === 2 && b.ndim === 2) {
    // Two matrices: no batch to broadcast or fold (the common case of small models).
    const [m, k] = a.shape as [number, number];
    const [k2, n] = b.shape as [number, number];
    if (k !== k2) {
      throw new RangeError(`matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${k} != ${k2})`);
    }
    const out = uninitialized([m, n], a.dtype);
    const aOp = { data: a.data, rowStride: a.strides[0]!, colStride: a.strides[1]!, offsets: [a.offset] };
    gemmBatch(m, n, k, aOp, { data: b.data, rowStride: b.strides[0]!, colStride: b.strides[1]!, offsets: [b.offset] }, out.data);
    return out;
  }
  const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
  const b2 = b.ndim === 1 ? b.unsqueeze(1) : b;
  const [m, k] = a2.shape.slice(-2) as [number, number];
  const [k2, n] = b2.shape.slice(-2) as [number, number];
  if (k !== k2) {
    throw new RangeError(`matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${k} != ${k2})`);
  }
  const aBatchShape = a2.shape.slice(0, -2);
  const bBatchShape = b2.shape.slice(0, -2);
  const batch = broadcastShapes([aBatchShape, bBatchShape], () => `matmul (batch dims of ${fmtShape(a.shape)} and ${fmtShape(b.shape)})`);
  const out = uninitialized([...batch, m, n], a.dtype);
  const aBatch = broadcastStrides(a2.shape.slice(0, -2), a2.strides.slice(0, -2), batch, "matmul");
  const bBatch = broadcastStrides(b2.shape.slice(0, -2), b2.strides.slice(0, -2), batch, "matmul");
  const [aRow, aCol] = a2.strides.slice(-2) as [number, number];
  const [bRow, bCol] = b2.strides.slice(-2) as [number, number];

  // Folding needs A's own batch dims to be the whole batch (A itself not broadcast).
  const aFull = a2.ndim - 2 === batch.length && a2.shape.slice(0, -2).every((s, d) => s === batch[d]);
  const bUnbatched = bBatch.every((s) => s === 0) && aFull;
  const folded = bUnbatched && batch.length > 0 ? foldRows(a2, batch.length) : null;
  if (folded !== null) {
    const rows = out.size / n;
    const aOp = { data: a2.data, rowStride: folded, colStride: aCol, offsets: [a2.offset] };
    gemmBatch(rows, n, k, aOp, { data: b2.data, rowStride: bRow, colStride: bCol, offsets: [b2.offset] }, out.data);
  } else {
    const aOffsets: number[] = [];
    const bOffsets: number[] = [];
    forEachRow(batch, [{ strides: aBatch, offset: a2.offset }, { strides: bBatch, offset: b2.offset }], (off, count, st) => {
      for (let i = 0; i < count; i++) {
        aOffsets.push(off[0]! + i * st[0]!);
        bOffsets.push(off[1]! + i * st[1]!);
      }
    });
    const aOp = { data: a2.data, rowStride: aRow, colStride: aCol, offsets: aOffsets };
    gemmBatch(m, n, k, aOp, { data: b2.data, rowStride: bRow, colStride: bCol, offsets: bOffsets }, out.data);
  }
  if (a.ndim === 1 && b.ndim === 1) return out.reshape([]);
  if (a.ndim === 1) return out.squeeze(-2);
  if (b.ndim === 1) return out.squeeze(-1);
  return out;
}

/** The row stride when A's batch dims and rows merge into one dim without copying, else null. */
function foldRows(a: NDArray, batchDims: number): number | null {
  const rowsShape = a.shape.slice(0, batchDims + 1);
  const strides = viewStrides(rowsShape, a.strides.slice(0, batchDims + 1), [rowsShape.reduce((x, y) => x * y, 1)]);
  return strides ? strides[0]! : null;
}
