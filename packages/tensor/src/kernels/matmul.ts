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
import { broadcastShapes, broadcastStrides, denseStridesLike, fmtShape, forEachRow, numel, viewStrides } from "../layout.js";
import { allocStorageUninit } from "../storage.js";
import { uninitialized } from "../create.js";
import type { DType, Storage } from "../dtype.js";
import { NDArray } from "../ndarray.js";
import { activeThreads, getBackend } from "../backend/index.js";
import { tuning } from "../backend/wasm.js";
import { packedLayout, wasmGemmBatch, type BiasRow, type OutputLayout } from "../backend/wasm-gemm.js";
import { gemm } from "./gemm.js";
import { add } from "./map.js";

/** One operand of a batch of gemms: entry e starts at storage index offsets[e]. */
export interface GemmOperand {
  readonly data: Storage;
  readonly rowStride: number;
  readonly colStride: number;
  readonly offsets: readonly number[];
}

/**
 * C_e = A_e @ B_e for each entry e into c at `out` (default: C_e at c[e * m * n], rows of n),
 * on the selected backend. A `bias` row (n contiguous floats) goes on inside the WebAssembly
 * kernel, after the product; returns whether it did (false: the caller adds it).
 */
export function gemmBatch(m: number, n: number, k: number, a: GemmOperand, b: GemmOperand, c: Storage, out?: OutputLayout, bias: BiasRow | null = null): boolean {
  const count = a.offsets.length;
  const layout = out ?? packedLayout(count, m, n);
  if (c instanceof Float32Array && k > 0 && m > 0 && n > 0 && getBackend() === "wasm") {
    const flops = 2 * m * n * k * count;
    if (flops >= tuning.wasmMinFlops) {
      const threads = flops >= tuning.parallelMinFlops ? activeThreads() : 1;
      const fa = a as GemmOperand & { data: Float32Array };
      const fb = b as GemmOperand & { data: Float32Array };
      if (wasmGemmBatch(m, n, k, fa, fb, c, layout, threads, bias)) return bias !== null;
    }
  }
  jsGemmBatch(m, n, k, a, b, c, layout);
  return false;
}

/** `gemmBatch` on the TypeScript gemm only (the reference). */
export function jsGemmBatch(m: number, n: number, k: number, a: GemmOperand, b: GemmOperand, c: Storage, out?: OutputLayout): void {
  const layout = out ?? packedLayout(a.offsets.length, m, n);
  for (let e = 0; e < a.offsets.length; e++) {
    gemm(
      m, n, k,
      { data: a.data, offset: a.offsets[e]!, rowStride: a.rowStride, colStride: a.colStride },
      { data: b.data, offset: b.offsets[e]!, rowStride: b.rowStride, colStride: b.colStride },
      c, layout.offsets[e]!, layout.rowStride,
    );
  }
}

/** Options of `matmul`. */
export interface MatmulOptions {
  /**
   * Strides of an array of the result's shape whose memory order the result should take (a
   * gradient laid out like its input, heads written where a later merge wants them). Followed
   * when both operands have 2 or more dims and the innermost dim stays innermost; the values
   * are the same either way.
   */
  layoutLike?: readonly number[];
  /**
   * A 1-d array of the result's last-dim size and dtype, added to every row after the product
   * (F.linear's bias, as addmm): the values of adding it afterwards, without another pass.
   */
  bias?: NDArray;
}

/** Matrix product of two arrays of the same numeric dtype. Matches `torch.matmul`. */
export function matmul(a: NDArray, b: NDArray, options: MatmulOptions = {}): NDArray {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(`matmul: both arguments need at least 1 dim, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  if (a.dtype !== b.dtype) {
    throw new TypeError(`matmul: expected both operands to have the same dtype, got ${a.dtype} and ${b.dtype}`);
  }
  if (a.dtype === "bool") throw new TypeError("matmul: not supported for bool tensors");
  const like = options.layoutLike;
  const bias = options.bias ?? null;
  if (bias !== null) checkBias(bias, a, b);
  // The float32 kernel takes the bias as n contiguous floats; elsewhere `add` puts it on after.
  const row = bias !== null && bias.dtype === "float32" ? (bias.isContiguous() ? bias : bias.contiguous()) : null;
  const fused = row === null ? null : { data: row.data as Float32Array, offset: row.offset };
  if (b.ndim === 2 && a.ndim >= 2 && (a.ndim === 2 || like === undefined)) {
    // A matrix, or a stack of them whose batch folds into its rows (a Linear layer), times one
    // matrix: one gemm over all rows, with no batch to broadcast (the common case of small
    // models; the general path below makes the same product). A 2-D result is row-major
    // whatever `like` says (column-major would break the unit row stride).
    const [k2, n] = b.shape as [number, number];
    const k = a.shape[a.ndim - 1]!;
    if (k !== k2) {
      throw new RangeError(`matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${k} != ${k2})`);
    }
    const rowStride = a.ndim === 2 ? a.strides[0]! : foldRows(a, a.ndim - 2);
    if (rowStride !== null) {
      const shape = a.shape.slice();
      shape[shape.length - 1] = n;
      const out = uninitialized(shape, a.dtype);
      let rows = 1;
      for (let d = 0; d < a.ndim - 1; d++) rows *= a.shape[d]!;
      const aOp = { data: a.data, rowStride, colStride: a.strides[a.ndim - 1]!, offsets: [a.offset] };
      const added = gemmBatch(rows, n, k, aOp, { data: b.data, rowStride: b.strides[0]!, colStride: b.strides[1]!, offsets: [b.offset] }, out.data, undefined, fused);
      return bias === null || added ? out : add(out, bias, out);
    }
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
  const out = resultArray([...batch, m, n], a.dtype, a.ndim >= 2 && b.ndim >= 2 ? like : undefined);
  const aBatch = broadcastStrides(a2.shape.slice(0, -2), a2.strides.slice(0, -2), batch, "matmul");
  const bBatch = broadcastStrides(b2.shape.slice(0, -2), b2.strides.slice(0, -2), batch, "matmul");
  const [aRow, aCol] = a2.strides.slice(-2) as [number, number];
  const [bRow, bCol] = b2.strides.slice(-2) as [number, number];

  // Folding needs A's own batch dims to be the whole batch (A itself not broadcast).
  const aFull = a2.ndim - 2 === batch.length && a2.shape.slice(0, -2).every((s, d) => s === batch[d]);
  const bUnbatched = bBatch.every((s) => s === 0) && aFull;
  const folded = bUnbatched && batch.length > 0 && out.isContiguous() ? foldRows(a2, batch.length) : null;
  let added: boolean;
  if (folded !== null) {
    const rows = out.size / n;
    const aOp = { data: a2.data, rowStride: folded, colStride: aCol, offsets: [a2.offset] };
    added = gemmBatch(rows, n, k, aOp, { data: b2.data, rowStride: bRow, colStride: bCol, offsets: [b2.offset] }, out.data, undefined, fused);
  } else {
    const aOffsets: number[] = [];
    const bOffsets: number[] = [];
    const cOffsets: number[] = [];
    const cBatch = { strides: out.strides.slice(0, -2), offset: 0 };
    forEachRow(batch, [{ strides: aBatch, offset: a2.offset }, { strides: bBatch, offset: b2.offset }, cBatch], (off, count, st) => {
      for (let i = 0; i < count; i++) {
        aOffsets.push(off[0]! + i * st[0]!);
        bOffsets.push(off[1]! + i * st[1]!);
        cOffsets.push(off[2]! + i * st[2]!);
      }
    });
    const aOp = { data: a2.data, rowStride: aRow, colStride: aCol, offsets: aOffsets };
    const cLayout = { offsets: cOffsets, rowStride: out.strides[out.ndim - 2]! };
    added = gemmBatch(m, n, k, aOp, { data: b2.data, rowStride: bRow, colStride: bCol, offsets: bOffsets }, out.data, cLayout, fused);
  }
  if (bias !== null && !added) add(out, bias, out);
  if (a.ndim === 1 && b.ndim === 1) return out.reshape([]);
  if (a.ndim === 1) return out.squeeze(-2);
  if (b.ndim === 1) return out.squeeze(-1);
  return out;
}

/** Throws unless `bias` can be `matmul`'s bias option: 1-d, the result's last dim, a's dtype. */
function checkBias(bias: NDArray, a: NDArray, b: NDArray): void {
  const n = b.shape[b.ndim - 1]!;
  if (b.ndim < 2 || bias.ndim !== 1 || bias.shape[0] !== n || bias.dtype !== a.dtype) {
    throw new RangeError(
      `matmul: bias must be 1-d with the result's last dim (${b.ndim < 2 ? "none: b is 1-d" : n}) and dtype ${a.dtype}, got shape ${fmtShape(bias.shape)} (${bias.dtype})`,
    );
  }
}

/**
 * The product's array: laid out like `like` when given (dense, dims in like's memory order) and
 * the innermost dim stays innermost (the gemm writes rows with unit stride), else contiguous.
 */
function resultArray(shape: number[], dtype: DType, like: readonly number[] | undefined): NDArray {
  if (like === undefined || like.length !== shape.length || shape.length < 2) return uninitialized(shape, dtype);
  const strides = denseStridesLike(shape, like);
  if (strides[shape.length - 1] !== 1 && shape[shape.length - 1]! > 1) return uninitialized(shape, dtype);
  return new NDArray(allocStorageUninit(dtype, numel(shape)), shape, strides, 0, dtype);
}

/** The row stride when A's batch dims and rows merge into one dim without copying, else null. */
function foldRows(a: NDArray, batchDims: number): number | null {
  const rowsShape = a.shape.slice(0, batchDims + 1);
  const strides = viewStrides(rowsShape, a.strides.slice(0, batchDims + 1), [rowsShape.reduce((x, y) => x * y, 1)]);
  return strides ? strides[0]! : null;
}
