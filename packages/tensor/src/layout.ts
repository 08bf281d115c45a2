/**
 * @file Layout arithmetic, the only place it lives: shapes, strides, dim normalization,
 * broadcasting (NumPy rules), reshape-as-view, and the strided row iteration every kernel
 * uses. Plain functions on plain arrays; nothing here touches element data.
 * Invariant: element (i0, ..., ik) of a layout sits at `offset + sum(ij * strides[j])`.
 */
import { allocStorage } from "./storage.js";

/** A tensor shape: one non-negative integer per dim. */
export type Shape = readonly number[];

/** Formats a shape for error messages: `[2,3]`. */
export function fmtShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/** Checks that every size is a non-negative safe integer; returns a copy. */
export function checkShape(shape: unknown, op: string): number[] {
  if (!Array.isArray(shape)) {
    throw new TypeError(`${op}: shape must be an array of sizes, got ${String(shape)}`);
  }
  for (const size of shape) {
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(`${op}: invalid shape [${shape.join(",")}] (sizes must be non-negative integers)`);
    }
  }
  return shape.slice() as number[];
}

/** Number of elements of a shape (1 for a scalar). */
export function numel(shape: Shape): number {
  let n = 1;
  for (const size of shape) n *= size;
  return n;
}

/** Row-major strides for `shape`. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= Math.max(shape[d]!, 1);
  }
  return strides;
}

/**
 * Gap-free strides for `shape` whose dims are ordered in memory as those of `like` (strides of
 * a layout of the same shape): the largest stride outermost, ties kept in dim order. A
 * transposed `like` gives transposed strides; a contiguous one gives row-major strides.
 */
export function denseStridesLike(shape: Shape, like: Shape): number[] {
  const order = shape.map((_, d) => d).sort((a, b) => Math.abs(like[b] ?? 0) - Math.abs(like[a] ?? 0) || a - b);
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let k = order.length - 1; k >= 0; k--) {
    const d = order[k]!;
    strides[d] = stride;
    stride *= Math.max(shape[d]!, 1);
  }
  return strides;
}

/** True when the layout is row-major with no gaps (strides of size-1 dims do not matter). */
export function isContiguousLayout(shape: Shape, strides: Shape): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    if (size === 0) return true;
    if (size !== 1 && strides[d] !== expected) return false;
    expected *= size;
  }
  return true;
}

/**
 * True when the layout fills a gap-free block of storage in some dim order (a permutation of a
 * contiguous layout: a transposed or head-split view of a whole array). Elementwise results of
 * such an input can take its strides and be computed over the block in storage order.
 */
export function isDenseLayout(shape: Shape, strides: Shape): boolean {
  const dims = shape.map((_, d) => d).filter((d) => shape[d] !== 1);
  if (dims.some((d) => shape[d] === 0)) return true;
  dims.sort((a, b) => strides[b]! - strides[a]! || a - b);
  let expected = 1;
  for (let k = dims.length - 1; k >= 0; k--) {
    if (strides[dims[k]!] !== expected) return false;
    expected *= shape[dims[k]!]!;
  }
  return true;
}

/** Wraps a possibly negative dim into [0, ndim); a 0-d tensor accepts -1 and 0, as in PyTorch. */
export function normalizeDim(dim: number, ndim: number, op: string): number {
  const range = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -range || dim >= range) {
    throw new RangeError(`${op}: dim ${dim} is out of range for a tensor with ${ndim} dims (expected -${range} <= dim < ${range})`);
  }
  return dim < 0 ? dim + range : dim;
}

/** Normalizes a dim or list of dims (undefined = every dim) to sorted, distinct dims. */
export function normalizeDims(dims: number | readonly number[] | undefined, ndim: number, op: string): number[] {
  if (dims === undefined) return Array.from({ length: ndim }, (_, d) => d);
  const list = typeof dims === "number" ? [dims] : dims;
  const seen = new Set<number>();
  for (const dim of list) {
    const d = normalizeDim(dim, ndim, op);
    if (seen.has(d)) throw new RangeError(`${op}: dim ${d} appears multiple times in the list of dims`);
    seen.add(d);
  }
  // A 0-d tensor accepts dim 0/-1 but has no dim to act on.
  return ndim === 0 ? [] : [...seen].sort((x, y) => x - y);
}

/** The broadcast shape of several shapes (NumPy rules), or a RangeError naming `op` (a name, or a function building one only on error). */
export function broadcastShapes(shapes: readonly Shape[], op: string | (() => string)): number[] {
  let ndim = 0;
  for (const s of shapes) ndim = Math.max(ndim, s.length);
  const out = new Array<number>(ndim).fill(1);
  for (const s of shapes) {
    for (let i = 1; i <= s.length; i++) {
      const size = s[s.length - i]!;
      const cur = out[ndim - i]!;
      if (size === cur || size === 1) continue;
      if (cur === 1) {
        out[ndim - i] = size;
        continue;
      }
      throw new RangeError(
        `${typeof op === "function" ? op() : op}: shapes ${shapes.map(fmtShape).join(" and ")} cannot be broadcast together (dim ${-i}: ${cur} vs ${size})`,
      );
    }
  }
  return out;
}

/** Strides that view a (shape, strides) layout as the broadcast `target` shape (0 where expanded). */
export function broadcastStrides(shape: Shape, strides: Shape, target: Shape, op: string): number[] {
  const lead = target.length - shape.length;
  if (lead < 0) {
    throw new RangeError(`${op}: cannot broadcast shape ${fmtShape(shape)} to ${fmtShape(target)} (target has fewer dims)`);
  }
  const out = new Array<number>(target.length).fill(0);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    const want = target[lead + d]!;
    if (size === want) out[lead + d] = size === 1 ? 0 : strides[d]!;
    else if (size === 1) out[lead + d] = 0;
    else {
      throw new RangeError(
        `${op}: cannot broadcast shape ${fmtShape(shape)} to ${fmtShape(target)} (dim ${lead + d}: ${size} vs ${want})`,
      );
    }
  }
  return out;
}

/** Resolves one `-1` in a requested shape from the element count; checks the count matches. */
export function inferShape(requested: readonly number[], size: number, op: string): number[] {
  if (!Array.isArray(requested)) throw new TypeError(`${op}: shape must be an array of sizes`);
  let inferAt = -1;
  let known = 1;
  for (let d = 0; d < requested.length; d++) {
    const s = requested[d]!;
    if (s === -1) {
      if (inferAt >= 0) throw new RangeError(`${op}: only one dimension can be inferred in ${fmtShape(requested)}`);
      inferAt = d;
    } else if (!Number.isSafeInteger(s) || s < 0) {
      throw new RangeError(`${op}: invalid shape ${fmtShape(requested)} (sizes must be non-negative integers or one -1)`);
    } else known *= s;
  }
  const out = requested.slice();
  if (inferAt >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new RangeError(`${op}: shape ${fmtShape(requested)} is invalid for input of size ${size}`);
    }
    out[inferAt] = size / known;
  } else if (known !== size) {
    throw new RangeError(`${op}: shape ${fmtShape(requested)} is invalid for input of size ${size}`);
  }
  return out;
}

/**
 * Strides that let the layout (shape, strides) be read as `newShape` without copying, or null
 * when some new dim would span two non-mergeable old dims. PyTorch's `computeStride`.
 */
export function viewStrides(shape: Shape, strides: Shape, newShape: Shape): number[] | null {
  if (numel(shape) === 0 || shape.length === 0) return contiguousStrides(newShape);
  const newStrides = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBaseStride = strides[strides.length - 1]!;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d]!;
    const chunkEnds = d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBaseStride);
    if (!chunkEnds) continue;
    while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
      newStrides[viewD] = viewNumel * chunkBaseStride;
      viewNumel *= newShape[viewD]!;
      viewD--;
    }
    if (viewNumel !== tensorNumel) return null;
    if (d > 0) {
      chunkBaseStride = strides[d - 1]!;
      tensorNumel = 1;
      viewNumel = 1;
    }
  }
  return viewD === -1 ? newStrides : null;
}

/** The shape after merging dims `startDim..endDim` into one. Matches `torch.flatten`'s result. */
export function flattenShape(shape: Shape, startDim: number, endDim: number, op: string): number[] {
  if (shape.length === 0) return [1];
  const s = normalizeDim(startDim, shape.length, op);
  const e = normalizeDim(endDim, shape.length, op);
  if (s > e) throw new RangeError(`${op}: startDim ${startDim} comes after endDim ${endDim}`);
  return [...shape.slice(0, s), numel(shape.slice(s, e + 1)), ...shape.slice(e + 1)];
}

/** A slice along one dim with its bounds resolved: 0 <= start <= end <= size, step >= 1. */
export interface ResolvedSlice {
  dim: number;
  start: number;
  end: number;
  step: number;
}

/**
 * Resolves Python-style slice bounds along `dim` of `shape`: negative indices count from the
 * end, out-of-range bounds clamp, step must be a positive integer.
 */
export function resolveSlice(shape: Shape, dim: number, start: number, end: number, step: number, op: string): ResolvedSlice {
  if (shape.length === 0) throw new RangeError(`${op}: cannot slice a 0-d tensor`);
  const d = normalizeDim(dim, shape.length, op);
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`${op}: step must be a positive integer, got ${step}`);
  if (!Number.isInteger(start) || !Number.isInteger(end)) {
    throw new RangeError(`${op}: start and end must be integers, got ${start} and ${end}`);
  }
  const size = shape[d]!;
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const lo = clampIndex(start);
  return { dim: d, start: lo, end: Math.max(clampIndex(end), lo), step };
}

/** Resolves `narrow(dim, start, length)` (negative start counts from the end) to a slice. */
export function resolveNarrow(shape: Shape, dim: number, start: number, length: number, op: string): ResolvedSlice {
  if (shape.length === 0) throw new RangeError(`${op}: cannot narrow a 0-d tensor`);
  const d = normalizeDim(dim, shape.length, op);
  const size = shape[d]!;
  if (!Number.isInteger(start) || start < -size || start > size) {
    throw new RangeError(`${op}: start ${start} is out of range for dim ${d} of size ${size}`);
  }
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(length) || length < 0 || s + length > size) {
    throw new RangeError(`${op}: start ${s} + length ${length} exceeds dim ${d} of size ${size}`);
  }
  return { dim: d, start: s, end: s + length, step: 1 };
}

/** Resolves `select(dim, index)` (negative index counts from the end) to a dim and an index. */
export function resolveIndex(shape: Shape, dim: number, index: number, op: string): { dim: number; index: number } {
  if (shape.length === 0) throw new RangeError(`${op}: cannot select from a 0-d tensor`);
  const d = normalizeDim(dim, shape.length, op);
  const size = shape[d]!;
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new RangeError(`${op}: index ${index} is out of range for dim ${d} of size ${size}`);
  }
  return { dim: d, index: index < 0 ? index + size : index };
}

/** A strided operand of an iteration: where its first element sits and how far each dim steps. */
export interface Operand {
  readonly strides: Shape;
  readonly offset: number;
}

/**
 * Drops size-1 dims and merges adjacent dims that every operand steps through uniformly,
 * so that contiguous (or uniformly broadcast) operands become one long row.
 */
export function coalesce(shape: Shape, stridesList: readonly Shape[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    let mergeable = last >= 0;
    for (let k = 0; k < stridesList.length && mergeable; k++) {
      mergeable = outStrides[k]![last] === stridesList[k]![d]! * size;
    }
    if (mergeable) {
      outShape[last] = outShape[last]! * size;
      for (let k = 0; k < stridesList.length; k++) outStrides[k]![last] = stridesList[k]![d]!;
    } else {
      outShape.push(size);
      for (let k = 0; k < stridesList.length; k++) outStrides[k]!.push(stridesList[k]![d]!);
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Visits a layout shared by several operands one row at a time: `visit(offsets, n, rowStrides)`
 * gets each operand's offset at the start of a row of `n` elements, and the per-operand step
 * along the row. Rows follow row-major order of `shape`. The `offsets` array is reused between
 * calls, so read it before returning. One call for a contiguous layout; nothing for an empty one.
 */
export function forEachRow(
  shape: Shape,
  operands: readonly Operand[],
  visit: (offsets: readonly number[], n: number, rowStrides: readonly number[]) => void,
): void {
  if (numel(shape) === 0) return;
  const { shape: dims, strides } = coalesce(
    shape,
    operands.map((o) => o.strides),
  );
  const k = operands.length;
  const offsets = operands.map((o) => o.offset);
  const ndim = dims.length;
  if (ndim === 0) {
    visit(offsets, 1, new Array<number>(k).fill(0));
    return;
  }
  const n = dims[ndim - 1]!;
  const rowStrides = strides.map((s) => s[ndim - 1]!);
  const outer = ndim - 1;
  if (outer === 0) {
    visit(offsets, n, rowStrides);
    return;
  }
  // Flat typed arrays for the odometer: step[j * outer + d] advances operand j along dim d,
  // back[...] rewinds a finished dim; the per-row work is a few typed-array reads.
  const step = allocStorage("float64", k * outer);
  const back = allocStorage("float64", k * outer);
  for (let j = 0; j < k; j++) {
    for (let d = 0; d < outer; d++) {
      step[j * outer + d] = strides[j]![d]!;
      back[j * outer + d] = strides[j]![d]! * (dims[d]! - 1);
    }
  }
  const counter = allocStorage("int32", outer);
  const last = outer - 1;
  const lastSize = dims[last]!;
  for (;;) {
    // The innermost outer dim without the odometer.
    for (let i = 0; i < lastSize; i++) {
      visit(offsets, n, rowStrides);
      for (let j = 0; j < k; j++) offsets[j] = offsets[j]! + step[j * outer + last]!;
    }
    for (let j = 0; j < k; j++) offsets[j] = offsets[j]! - step[j * outer + last]! * lastSize;
    let d = last - 1;
    for (; d >= 0; d--) {
      if (++counter[d]! < dims[d]!) {
        for (let j = 0; j < k; j++) offsets[j] = offsets[j]! + step[j * outer + d]!;
        break;
      }
      counter[d] = 0;
      for (let j = 0; j < k; j++) offsets[j] = offsets[j]! - back[j * outer + d]!;
    }
    if (d < 0) return;
  }
}

/** The offset of the element at `index` (already in range) in a strided layout. */
export function offsetOf(index: readonly number[], strides: Shape, offset: number): number {
  let o = offset;
  for (let d = 0; d < index.length; d++) o += index[d]! * strides[d]!;
  return o;
}

/** The smallest and largest storage offsets a layout touches (for bounds checks); null when empty. */
export function storageExtent(shape: Shape, strides: Shape, offset: number): { min: number; max: number } | null {
  let min = offset;
  let max = offset;
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 0) return null;
    const span = (size - 1) * strides[d]!;
    if (span >= 0) max += span;
    else min += span;
  }
  return { min, max };
}
