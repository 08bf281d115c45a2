/**
 * @file Strided copy with dtype conversion: the primitive under contiguous(), casts, and
 * every kernel that has to materialize a view. Works on raw storage so that the NDArray
 * class can use it without importing the kernels that import NDArray.
 */
import type { DType, Storage } from "../dtype.js";
import { forEachRow, type Operand, type Shape } from "../layout.js";

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
  forEachRow(shape, [dstLayout, srcLayout], (off, n, st) => {
    const o = off[0]!;
    const i = off[1]!;
    const os = st[0]!;
    const is = st[1]!;
    if (toBool) {
      for (let j = 0; j < n; j++) dst[o + j * os] = src[i + j * is] !== 0 ? 1 : 0;
    } else if (os === 1 && is === 1 && src.constructor === dst.constructor) {
      dst.set(src.subarray(i, i + n) as never, o);
    } else {
      for (let j = 0; j < n; j++) dst[o + j * os] = src[i + j * is]!;
    }
  });
}
