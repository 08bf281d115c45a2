/**
 * @file Strided copy with dtype conversion: the primitive under contiguous(), casts, and
 * every kernel that has to materialize a view. Works on raw storage so that the NDArray
 * class can use it without importing the kernels that import NDArray.
 */
import type { DType, Storage } from "../dtype.js";
import { coalesce, forEachRow, numel, type Operand, type Shape } from "../layout.js";

/**
 * Copies the elements of `src` (any strides) into `dst` (any strides) over `shape`,
 * converting to `dstDType`: to bool, nonzero (and NaN) becomes 1; to int32, truncation
 * toward zero (the typed array's own conversion).
 */
export function copyStrided(
  shape: Shape,
  src: Storage,
  srcLayout: Operand,
  dst: Storage,
  dstLayout: Operand,
  dstDType: DType,
): void {
  const toBool = dstDType === "bool";
  if (!toBool && copyRows(shape, src, srcLayout, dst, dstLayout)) return;
  forEachRow(shape, [dstLayout, srcLayout], (off, n, st) => {
    const o = off[0]!;
    const i = off[1]!;
    const os = st[0]!;
    const is = st[1]!;
    if (toBool) {
      for (let j = 0; j < n; j++) dst[o + j * os] = src[i + j * is] !== 0 ? 1 : 0;
    } else if (os === 1 && is === 1 && n >= 64 && src.constructor === dst.constructor) {
      // a block copy pays for its subarray only on longer rows
      dst.set(src.subarray(i, i + n) as never, o);
    } else {
      for (let j = 0; j < n; j++) dst[o + j * os] = src[i + j * is]!;
    }
  });
}

/**
 * The copy without a per-row callback, for layouts of up to four dims once coalesced (every
 * view the models make: transposes, head splits and merges): the loops are written out, so
 * short rows cost a few instructions each. False for deeper layouts.
 */
function copyRows(shape: Shape, src: Storage, srcLayout: Operand, dst: Storage, dstLayout: Operand): boolean {
  if (numel(shape) === 0) return true;
  const { shape: dims, strides } = coalesce(shape, [dstLayout.strides, srcLayout.strides]);
  if (dims.length > 4) return false;
  while (dims.length < 4) {
    dims.unshift(1);
    strides[0]!.unshift(0);
    strides[1]!.unshift(0);
  }
  const [n0, n1, n2, n3] = dims as [number, number, number, number];
  const [o0, o1, o2, o3] = strides[0] as [number, number, number, number];
  const [i0, i1, i2, i3] = strides[1] as [number, number, number, number];
  const block = n3 >= 64 && o3 === 1 && i3 === 1 && src.constructor === dst.constructor;
  for (let a = 0; a < n0; a++) {
    for (let b = 0; b < n1; b++) {
      for (let c = 0; c < n2; c++) {
        let o = dstLayout.offset + a * o0 + b * o1 + c * o2;
        let i = srcLayout.offset + a * i0 + b * i1 + c * i2;
        if (block) dst.set(src.subarray(i, i + n3) as never, o);
        else if (o3 === 1 && i3 === 1) for (let e = 0; e < n3; e++) dst[o + e] = src[i + e]!;
        else for (let e = 0; e < n3; e++, o += o3, i += i3) dst[o] = src[i]!;
      }
    }
  }
  return true;
}
