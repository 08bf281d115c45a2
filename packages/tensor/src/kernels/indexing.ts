/**
 * @file Indexing and joining: gather, scatterAdd, indexSelect, concat, stack, split, chunk,
 * tril/triu, oneHot. Index arrays are int32 and bounds-checked element by element: a bad
 * index throws a RangeError naming the op, the index and the dim, never reads garbage.
 */
import { promoteTypes } from "../dtype.js";
import { fmtShape, forEachRow, normalizeDim, numel, storageExtent, type Shape } from "../layout.js";
import { empty } from "../create.js";
import type { NDArray } from "../ndarray.js";
import { copyStrided } from "./copy.js";

function requireIndex(op: string, index: NDArray): void {
  if (index.dtype !== "int32") throw new TypeError(`${op}: index must be an int32 tensor, got ${index.dtype}`);
}

function outOfBounds(op: string, value: number, dim: number, size: number): RangeError {
  return new RangeError(`${op}: index ${value} is out of bounds for dim ${dim} with size ${size}`);
}

/** `a`'s strides with the stride of `dim` zeroed: the base offset of a position, its index added later. */
function withoutDim(a: NDArray, dim: number): number[] {
  return a.strides.map((s, d) => (d === dim ? 0 : s));
}

function checkIndexShape(op: string, index: NDArray, other: NDArray, name: string, skipDim: number): void {
  if (index.ndim !== other.ndim) {
    throw new RangeError(`${op}: index ${fmtShape(index.shape)} and ${name} ${fmtShape(other.shape)} must have the same number of dims`);
  }
  index.shape.forEach((s, d) => {
    if (d !== skipDim && s > other.shape[d]!) {
      throw new RangeError(`${op}: index ${fmtShape(index.shape)} is larger than ${name} ${fmtShape(other.shape)} at dim ${d}`);
    }
  });
}

/** out[p] = a[p with dim replaced by index[p]]; the result has index's shape. Matches `torch.gather`. */
export function gather(a: NDArray, dim: number, index: NDArray): NDArray {
  const op = "gather";
  requireIndex(op, index);
  const d = normalizeDim(dim, a.ndim, op);
  checkIndexShape(op, index, a, "input", d);
  const out = empty(index.shape, a.dtype);
  const size = a.shape[d] ?? 1;
  const step = a.strides[d] ?? 0;
  const [od, id, ad] = [out.data, index.data, a.data];
  const operands = [out, index, { strides: withoutDim(a, d), offset: a.offset }];
  forEachRow(index.shape, operands, (off, n, st) => {
    for (let i = 0; i < n; i++) {
      const k = id[off[1]! + i * st[1]!]!;
      if (k < 0 || k >= size) throw outOfBounds(op, k, d, size);
      od[off[0]! + i * st[0]!] = ad[off[2]! + i * st[2]! + k * step]!;
    }
  });
  return out;
}

/** A copy of `a` with src[p] added at (p with dim replaced by index[p]). Matches `torch.scatter_add`. */
export function scatterAdd(a: NDArray, dim: number, index: NDArray, src: NDArray): NDArray {
  const op = "scatterAdd";
  requireIndex(op, index);
  if (src.dtype !== a.dtype) throw new TypeError(`${op}: src dtype ${src.dtype} must match input dtype ${a.dtype}`);
  const d = normalizeDim(dim, a.ndim, op);
  checkIndexShape(op, index, src, "src", -1);
  checkIndexShape(op, index, a, "input", d);
  const out = a.clone();
  const size = out.shape[d] ?? 1;
  const step = out.strides[d] ?? 0;
  const [od, id, sd] = [out.data, index.data, src.data];
  const toBool = out.dtype === "bool"; // bool addition is logical or, as in PyTorch
  if (!toBool && addSlices(out, d, index, src)) return out;
  const operands = [index, src, { strides: withoutDim(out, d), offset: 0 }];
  forEachRow(index.shape, operands, (off, n, st) => {
    for (let i = 0; i < n; i++) {
      const k = id[off[0]! + i * st[0]!]!;
      if (k < 0 || k >= size) throw outOfBounds(op, k, d, size);
      const at = off[2]! + i * st[2]! + k * step;
      const v = od[at]! + sd[off[1]! + i * st[1]!]!;
      od[at] = toBool ? (v !== 0 ? 1 : 0) : v;
    }
  });
  return out;
}

/**
 * scatterAdd's common case, an index that varies only along `d` (a 1-d index expanded: the
 * backward of indexSelect, so of every embedding), with `out` and `src` contiguous and the index
 * covering every position of the other dims: slice i of src is added to slice index[i] of out,
 * block by block in memory order (same additions, same order as the general loop). False, with
 * nothing written, where that does not apply.
 */
function addSlices(out: NDArray, d: number, index: NDArray, src: NDArray): boolean {
  if (out.ndim === 0 || !out.isContiguous() || !src.isContiguous()) return false;
  for (let j = 0; j < out.ndim; j++) {
    if (index.shape[j] !== src.shape[j]) return false;
    if (j !== d && (index.strides[j] !== 0 || index.shape[j] !== out.shape[j])) return false;
  }
  const size = out.shape[d]!;
  const m = index.shape[d]!;
  const outer = numel(out.shape.slice(0, d));
  const inner = numel(out.shape.slice(d + 1));
  const picks = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const k = index.data[index.offset + i * index.strides[d]!]!;
    if (k < 0 || k >= size) throw outOfBounds("scatterAdd", k, d, size);
    picks[i] = k;
  }
  const [od, sd] = [out.data, src.data];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < m; i++) {
      const to = out.offset + (o * size + picks[i]!) * inner;
      const from = src.offset + (o * m + i) * inner;
      for (let j = 0; j < inner; j++) od[to + j] = od[to + j]! + sd[from + j]!;
    }
  }
  return true;
}

/**
 * The slices of `a` along `dim` at the positions in a 1-d (or 0-d) index; a 0-d `a` gives a
 * 0-d result (PyTorch's shape, whatever the index length). A contiguous `a` is copied block by
 * block (whole rows for dim 0: the embedding lookup), other layouts through strided views.
 * Matches `torch.index_select`.
 */
export function indexSelect(a: NDArray, dim: number, index: NDArray): NDArray {
  const op = "indexSelect";
  requireIndex(op, index);
  if (index.ndim > 1) throw new RangeError(`${op}: index must be 1-d, got shape ${fmtShape(index.shape)}`);
  const d = normalizeDim(dim, a.ndim, op);
  const picks = index.toArray();
  const size = a.shape[d] ?? 1;
  for (const k of picks) if (k < 0 || k >= size) throw outOfBounds(op, k, d, size);
  if (a.ndim === 0) return picks.length > 0 ? a.clone() : empty([], a.dtype);
  const shape = a.shape.slice();
  shape[d] = picks.length;
  const out = empty(shape, a.dtype);
  if (a.isContiguous()) {
    copyBlocks(a, out, picks, numel(a.shape.slice(0, d)), size, numel(a.shape.slice(d + 1)));
    return out;
  }
  picks.forEach((k, i) => {
    const from = a.select(d, k);
    const to = out.select(d, i);
    copyStrided(from.shape, a.data, from, out.data, to, out.dtype);
  });
  return out;
}

/** Blocks shorter than this are copied element by element; longer ones with TypedArray.set. */
const SET_MIN = 16;

/**
 * indexSelect on contiguous `a` (same dtype as `out`): for each of `outer` positions, block
 * `picks[i]` of `size` blocks of `inner` elements goes to block i of the output.
 */
function copyBlocks(a: NDArray, out: NDArray, picks: ArrayLike<number>, outer: number, size: number, inner: number): void {
  const [src, dst] = [a.data, out.data];
  const n = picks.length;
  let to = 0;
  for (let o = 0; o < outer; o++) {
    const base = a.offset + o * size * inner;
    for (let i = 0; i < n; i++, to += inner) {
      const from = base + picks[i]! * inner;
      if (inner >= SET_MIN) dst.set(src.subarray(from, from + inner) as never, to);
      else for (let j = 0; j < inner; j++) dst[to + j] = src[from + j]!;
    }
  }
}

/** Joins arrays along an existing dim (dtypes promote). Matches `torch.cat`. */
export function concat(arrays: readonly NDArray[], dim = 0): NDArray {
  const op = "concat";
  if (arrays.length === 0) throw new RangeError(`${op}: expected a non-empty list of arrays`);
  const first = arrays[0]!;
  const d = normalizeDim(dim, first.ndim, op);
  if (first.ndim === 0) throw new RangeError(`${op}: zero-dimensional arrays cannot be concatenated`);
  let dtype = first.dtype;
  let total = 0;
  for (const [i, a] of arrays.entries()) {
    const mismatch = a.ndim !== first.ndim || a.shape.some((s, k) => k !== d && s !== first.shape[k]);
    if (mismatch) {
      throw new RangeError(`${op}: array ${i} has shape ${fmtShape(a.shape)}, expected ${fmtShape(first.shape)} except at dim ${d}`);
    }
    dtype = promoteTypes(dtype, a.dtype);
    total += a.shape[d]!;
  }
  const shape = first.shape.slice();
  shape[d] = total;
  const out = empty(shape, dtype);
  let at = 0;
  for (const a of arrays) {
    const to = out.narrow(d, at, a.shape[d]!);
    copyStrided(a.shape, a.data, a, out.data, to, dtype);
    at += a.shape[d]!;
  }
  return out;
}

/** Joins same-shaped arrays along a new dim. Matches `torch.stack`. */
export function stack(arrays: readonly NDArray[], dim = 0): NDArray {
  if (arrays.length === 0) throw new RangeError("stack: expected a non-empty list of arrays");
  const first = arrays[0]!;
  const d = normalizeDim(dim, first.ndim + 1, "stack");
  for (const [i, a] of arrays.entries()) {
    if (a.ndim !== first.ndim || a.shape.some((s, k) => s !== first.shape[k])) {
      throw new RangeError(`stack: array ${i} has shape ${fmtShape(a.shape)}, expected ${fmtShape(first.shape)}`);
    }
  }
  return concat(arrays.map((a) => a.unsqueeze(d)), d);
}

/**
 * Views of consecutive pieces along `dim`: pieces of `size` (the last may be smaller) or of the
 * listed sizes, which must add up to the dim. Matches `torch.split`.
 */
export function split(a: NDArray, sizeOrSections: number | readonly number[], dim = 0): NDArray[] {
  const op = "split";
  requireDims(op, a);
  const d = normalizeDim(dim, a.ndim, op);
  const size = a.shape[d] ?? 0;
  let sections: number[];
  if (typeof sizeOrSections === "number") {
    const step = sizeOrSections;
    if (!Number.isInteger(step) || step < 0 || (step === 0 && size > 0)) {
      throw new RangeError(`${op}: split size must be a positive integer, got ${step}`);
    }
    sections = [];
    for (let at = 0; at < size; at += step) sections.push(Math.min(step, size - at));
    if (sections.length === 0) sections.push(0);
  } else {
    sections = sizeOrSections.slice();
    const total = sections.reduce((x, y) => x + y, 0);
    if (sections.some((s) => !Number.isInteger(s) || s < 0) || total !== size) {
      throw new RangeError(`${op}: sizes ${fmtShape(sections)} must be non-negative and add up to ${size} (dim ${d})`);
    }
  }
  let at = 0;
  return sections.map((s) => {
    const piece = a.narrow(d, at, s);
    at += s;
    return piece;
  });
}

/** `chunks` views of (nearly) equal size along `dim`; may return fewer. Matches `torch.chunk`. */
export function chunk(a: NDArray, chunks: number, dim = 0): NDArray[] {
  requireDims("chunk", a);
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const d = normalizeDim(dim, a.ndim, "chunk");
  const size = a.shape[d] ?? 0;
  if (size === 0) return Array.from({ length: chunks }, () => a);
  return split(a, Math.ceil(size / chunks), d);
}

function requireDims(op: string, a: NDArray): void {
  if (a.ndim === 0) throw new RangeError(`${op}: expects a tensor with at least 1 dim, got a 0-d tensor`);
}

function triangle(op: string, a: NDArray, diagonal: number, keepLower: boolean): NDArray {
  if (a.ndim < 2) throw new RangeError(`${op}: expects a tensor with at least 2 dims, got shape ${fmtShape(a.shape)}`);
  if (!Number.isInteger(diagonal)) throw new RangeError(`${op}: diagonal must be an integer, got ${diagonal}`);
  const out = a.clone();
  const [m, n] = a.shape.slice(-2) as [number, number];
  const od = out.data;
  for (let base = 0; base < out.size; base += m * n) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const lower = j - i <= diagonal;
        const upper = j - i >= diagonal;
        if (keepLower ? !lower : !upper) od[base + i * n + j] = 0;
      }
    }
  }
  return out;
}

/** Zeroes elements above the `diagonal`-th diagonal of the last two dims. Matches `torch.tril`. */
export function tril(a: NDArray, diagonal = 0): NDArray {
  return triangle("tril", a, diagonal, true);
}

/** Zeroes elements below the `diagonal`-th diagonal of the last two dims. Matches `torch.triu`. */
export function triu(a: NDArray, diagonal = 0): NDArray {
  return triangle("triu", a, diagonal, false);
}

/** int32 one-hot rows of `numClasses` (-1: max index + 1) appended as a last dim. Matches `F.one_hot`. */
export function oneHot(indices: NDArray, numClasses = -1): NDArray {
  const op = "oneHot";
  requireIndex(op, indices);
  const values = indices.toArray();
  let classes = numClasses;
  if (classes === -1) {
    if (values.length === 0) throw new RangeError(`${op}: cannot infer the number of classes from an empty tensor`);
    classes = 0;
    for (const v of values) classes = Math.max(classes, v + 1);
  }
  if (!Number.isInteger(classes) || classes < 0) throw new RangeError(`${op}: numClasses must be -1 or a non-negative integer, got ${numClasses}`);
  const shape: Shape = [...indices.shape, classes];
  const out = empty(shape, "int32");
  values.forEach((v, i) => {
    if (v < 0 || v >= classes) throw new RangeError(`${op}: class ${v} is out of range for ${classes} classes`);
    out.data[i * classes + v] = 1;
  });
  return out;
}

/**
 * Adds each element of `src` into the 1-d contiguous `target` at `offset + sum(i_k * strides[k])`,
 * one element at a time in row-major order, so positions that several elements share
 * (overlapping strides, stride 0) accumulate; a bool target accumulates by logical or. The
 * gradient of `asStrided` scatters this way.
 */
export function addAtStrided(target: NDArray, src: NDArray, strides: readonly number[], offset: number): void {
  const op = "addAtStrided";
  if (target.ndim !== 1 || !target.isContiguous()) throw new RangeError(`${op}: target must be a contiguous 1-d array`);
  if (strides.length !== src.ndim) throw new RangeError(`${op}: ${strides.length} strides for a ${src.ndim}-d source`);
  if (!strides.every(Number.isSafeInteger) || !Number.isSafeInteger(offset)) {
    throw new RangeError(`${op}: strides ${fmtShape(strides)} and offset ${offset} must be integers`);
  }
  if (target.dtype !== src.dtype) throw new TypeError(`${op}: target dtype ${target.dtype} differs from source dtype ${src.dtype}`);
  const extent = storageExtent(src.shape, strides, offset);
  if (extent && (extent.min < 0 || extent.max >= target.size)) {
    throw new RangeError(`${op}: the layout spans elements ${extent.min}..${extent.max} of a target of ${target.size}`);
  }
  const [td, sd, base] = [target.data, src.data, target.offset];
  const toBool = target.dtype === "bool";
  forEachRow(src.shape, [src, { strides, offset: base + offset }], (off, n, st) => {
    const [si, ss, ti, ts] = [off[0]!, st[0]!, off[1]!, st[1]!];
    if (toBool) {
      for (let i = 0, at = ti; i < n; i++, at += ts) td[at] = td[at]! | sd[si + i * ss]!;
    } else {
      for (let i = 0, at = ti; i < n; i++, at += ts) td[at] = td[at]! + sd[si + i * ss]!;
    }
  });
}
