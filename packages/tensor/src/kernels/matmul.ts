/**
 * @file Batched matmul with PyTorch's rules: 1-d operands gain (and lose) a dim, batch dims
 * broadcast, operands keep their strides (transposed views are packed in place by the gemm).
 * When B has no batch of its own and A's batch folds into its rows, the whole product is
 * one gemm, so a Linear layer over [B, T, E] packs its weight once.
 */
import { broadcastShapes, broadcastStrides, fmtShape, forEachRow, viewStrides } from "../layout.js";
import { empty } from "../create.js";
import type { NDArray } from "../ndarray.js";
import { gemm } from "./gemm.js";

/** Matrix product of two arrays of the same numeric dtype. Matches `torch.matmul`. */
export function matmul(a: NDArray, b: NDArray): NDArray {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(`matmul: both arguments need at least 1 dim, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  if (a.dtype !== b.dtype) {
    throw new TypeError(`matmul: expected both operands to have the same dtype, got ${a.dtype} and ${b.dtype}`);
  }
  if (a.dtype === "bool") throw new TypeError("matmul: not supported for bool tensors");
  const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
  const b2 = b.ndim === 1 ? b.unsqueeze(1) : b;
  const [m, k] = a2.shape.slice(-2) as [number, number];
  const [k2, n] = b2.shape.slice(-2) as [number, number];
  if (k !== k2) {
    throw new RangeError(`matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${k} != ${k2})`);
  }
  const batchOp = `matmul (batch dims of ${fmtShape(a.shape)} and ${fmtShape(b.shape)})`;
  const batch = broadcastShapes([a2.shape.slice(0, -2), b2.shape.slice(0, -2)], batchOp);
  const out = empty([...batch, m, n], a.dtype);
  const aBatch = broadcastStrides(a2.shape.slice(0, -2), a2.strides.slice(0, -2), batch, "matmul");
  const bBatch = broadcastStrides(b2.shape.slice(0, -2), b2.strides.slice(0, -2), batch, "matmul");
  const [aRow, aCol] = a2.strides.slice(-2) as [number, number];
  const [bRow, bCol] = b2.strides.slice(-2) as [number, number];
  const bView = (offset: number) => ({ data: b2.data, offset, rowStride: bRow, colStride: bCol });

  // Folding needs A's own batch dims to be the whole batch (A itself not broadcast).
  const aFull = a2.ndim - 2 === batch.length && a2.shape.slice(0, -2).every((s, d) => s === batch[d]);
  const bUnbatched = bBatch.every((s) => s === 0) && aFull;
  const folded = bUnbatched && batch.length > 0 ? foldRows(a2, batch.length) : null;
  if (folded !== null) {
    const rows = out.size / n;
    gemm(rows, n, k, { data: a2.data, offset: a2.offset, rowStride: folded, colStride: aCol }, bView(b2.offset), out.data, 0, n);
  } else {
    let outOffset = 0;
    forEachRow(batch, [{ strides: aBatch, offset: a2.offset }, { strides: bBatch, offset: b2.offset }], (off, count, st) => {
      for (let i = 0; i < count; i++) {
        const a0 = off[0]! + i * st[0]!;
        const b0 = off[1]! + i * st[1]!;
        gemm(m, n, k, { data: a2.data, offset: a0, rowStride: aRow, colStride: aCol }, bView(b0), out.data, outOffset, n);
        outOffset += m * n;
      }
    });
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
