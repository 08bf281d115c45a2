/**
 * @file The elementwise driver shared by every map kernel: operand validation, output
 * allocation or validation of an `out` array (shape, dtype category, no overlap in buffer
 * memory), broadcasting of operands, and the row iteration. An op supplies only a row loop
 * `(o, oi, os, a, ai, as, ..., n)` that reads and writes through strides, so one loop serves
 * contiguous, strided and broadcast layouts. Results are computed in the result dtype; an
 * `out` of a wider dtype receives a converted copy, as in PyTorch.
 */
import { castScalar, castScalarChecked, DEFAULT_FLOAT, describeValue, isFloating, promoteTypes, type DType, type Storage } from "../dtype.js";
import { allocStorage } from "../storage.js";
import { broadcastShapes, broadcastStrides, fmtShape, forEachRow, storageExtent, type Operand as Strided, type Shape } from "../layout.js";
import { fromFlat, uninitialized } from "../create.js";
import { NDArray } from "../ndarray.js";
import { copyStrided } from "./copy.js";

/** An operand of an elementwise kernel: an array or a weak JS scalar. */
export type Operand = NDArray | number | boolean;

/** Throws a TypeError naming `op` and `name` unless `x` is an NDArray, a number or a boolean. */
export function checkOperand(op: string, x: unknown, name: string): asserts x is Operand {
  if (x instanceof NDArray || typeof x === "number" || typeof x === "boolean") return;
  throw new TypeError(`${op}: ${name} must be an array, a number or a boolean, got ${describeValue(x)}`);
}

/** Throws a TypeError naming `op` and `name` unless `x` is an NDArray. */
export function checkArray(op: string, x: unknown, name: string): asserts x is NDArray {
  if (!(x instanceof NDArray)) throw new TypeError(`${op}: ${name} must be an array, got ${describeValue(x)}`);
}

/** A row loop over one input. */
export type UnaryRow = (o: Storage, oi: number, os: number, a: Storage, ai: number, as: number, n: number) => void;
/** A row loop over two inputs. */
export type BinaryRow = (
  o: Storage, oi: number, os: number,
  a: Storage, ai: number, as: number,
  b: Storage, bi: number, bs: number,
  n: number,
) => void;
/** A row loop over three inputs. */
export type TernaryRow = (
  o: Storage, oi: number, os: number,
  a: Storage, ai: number, as: number,
  b: Storage, bi: number, bs: number,
  c: Storage, ci: number, cs: number,
  n: number,
) => void;

/**
 * A 0-d array holding a JS scalar converted to `dtype`; broadcasting gives it stride 0. With
 * `checkedFor` (an op name) the value must fit an int32 (`castScalarChecked`), else it wraps.
 */
export function scalarArray(value: number | boolean, dtype: DType, checkedFor?: string): NDArray {
  const data = allocStorage(dtype, 1);
  data[0] = checkedFor === undefined ? castScalar(value, dtype) : castScalarChecked(value, dtype, checkedFor);
  return fromFlat(data, [], dtype);
}

const CATEGORY: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 2 };

/**
 * The array an elementwise op writes: a fresh contiguous one, or `out` after checking that it
 * has the result's shape, can hold the result's dtype (PyTorch's in-place casting rule), has
 * no two elements at one address, and does not partially overlap an input. Overlap is judged
 * on the bytes each layout spans in its buffer, so views over different typed arrays of one
 * ArrayBuffer are compared correctly.
 */
export function prepareOut(op: string, shape: Shape, dtype: DType, inputs: readonly Strided[], out?: NDArray): NDArray {
  if (!out) return uninitialized(shape, dtype);
  if (out.shape.length !== shape.length || out.shape.some((s, d) => s !== shape[d])) {
    throw new RangeError(`${op}: output shape ${fmtShape(out.shape)} does not match the result shape ${fmtShape(shape)}`);
  }
  if (CATEGORY[dtype] > CATEGORY[out.dtype]) {
    throw new TypeError(`${op}: result dtype ${dtype} cannot be cast to the output dtype ${out.dtype}`);
  }
  if (out.shape.some((s, d) => s > 1 && out.strides[d] === 0)) {
    throw new RangeError(
      `${op}: more than one element of the output ${fmtShape(out.shape)} refers to a single memory location (it is expanded); clone() it first`,
    );
  }
  const outBytes = byteExtent(out.data, shape, out.strides, out.offset);
  for (const input of inputs) {
    const arr = input as Strided & { data?: Storage };
    if (!arr.data || arr.data.buffer !== out.data.buffer || !outBytes) continue;
    const inBytes = byteExtent(arr.data, shape, arr.strides, arr.offset);
    if (!inBytes || inBytes.end <= outBytes.start || inBytes.start >= outBytes.end) continue;
    const size = arr.data.BYTES_PER_ELEMENT;
    const same =
      size === out.data.BYTES_PER_ELEMENT &&
      arr.data.byteOffset + arr.offset * size === out.data.byteOffset + out.offset * size &&
      arr.strides.every((s, d) => s === out.strides[d] || shape[d]! <= 1);
    if (!same) throw new RangeError(`${op}: an input partially overlaps the output in memory; clone() the input first`);
  }
  return out;
}

/** The bytes [start, end) of its buffer that a layout over `data` spans; null when empty. */
function byteExtent(data: Storage, shape: Shape, strides: Shape, offset: number): { start: number; end: number } | null {
  const ext = storageExtent(shape, strides, offset);
  if (!ext) return null;
  const size = data.BYTES_PER_ELEMENT;
  return { start: data.byteOffset + ext.min * size, end: data.byteOffset + (ext.max + 1) * size };
}

/** Where a kernel computes: `out` itself, or a fresh array of `dtype` when `out` is wider. */
function computeTarget(o: NDArray, shape: Shape, dtype: DType): NDArray {
  return o.dtype === dtype ? o : uninitialized(shape, dtype);
}

/** Copies a result computed into a temporary (see computeTarget) into `out`, converting it. */
function storeTarget(target: NDArray, o: NDArray, shape: Shape): NDArray {
  if (target !== o) copyStrided(shape, target.data, target, o.data, o, o.dtype);
  return o;
}

/** An input viewed at the broadcast shape: its storage plus broadcast strides. */
interface Broadcast extends Strided {
  readonly data: Storage;
}

function broadcastInput(a: NDArray, shape: Shape, op: string): Broadcast {
  return { data: a.data, offset: a.offset, strides: broadcastStrides(a.shape, a.strides, shape, op) };
}

/** Applies a unary row loop to `a` (already in the compute dtype), writing `dtype` results. */
export function mapUnary(op: string, a: NDArray, dtype: DType, row: UnaryRow, out?: NDArray): NDArray {
  if (!out && a.isContiguous()) {
    // Fast path: one row, no layout work.
    const o = uninitialized(a.shape, dtype);
    row(o.data, 0, 1, a.data, a.offset, 1, a.size);
    return o;
  }
  const ba = broadcastInput(a, a.shape, op);
  const o = prepareOut(op, a.shape, dtype, [ba], out);
  const t = computeTarget(o, a.shape, dtype);
  const od = t.data;
  const ad = a.data;
  forEachRow(a.shape, [t, ba], (off, n, st) => row(od, off[0]!, st[0]!, ad, off[1]!, st[1]!, n));
  return storeTarget(t, o, a.shape);
}

/** Applies a binary row loop to broadcast `a` and `b` (already in the compute dtype). */
export function mapBinary(op: string, a: NDArray, b: NDArray, dtype: DType, row: BinaryRow, out?: NDArray): NDArray {
  // In place into `a` itself (a bias added to a fresh product): the loops read each element
  // before writing it, so the fast paths below serve it too.
  const intoA = out === a && a.dtype === dtype && a.offset === 0 && !b.sharesStorage(a);
  if ((!out || intoA) && a.isContiguous() && b.isContiguous()) {
    // Fast paths: same-shape operands, or one operand a single element (a scalar), are one row.
    const bScalar = b.size === 1 && b.ndim <= a.ndim;
    if (bScalar || sameShape(a.shape, b.shape)) {
      const o = intoA ? a : uninitialized(a.shape, dtype);
      row(o.data, 0, 1, a.data, a.offset, 1, b.data, b.offset, bScalar ? 0 : 1, a.size);
      return o;
    }
    if (a.size > b.size && b.size > 0 && b.ndim <= a.ndim && isTrailing(a.shape, b.shape)) {
      const o = intoA ? a : uninitialized(a.shape, dtype);
      const n = b.size;
      for (let i = 0; i < a.size; i += n) row(o.data, i, 1, a.data, a.offset + i, 1, b.data, b.offset, 1, n);
      return o;
    }
  }
  if (!out && a.isContiguous() && b.isContiguous()) {
    const aScalar = a.size === 1 && a.ndim <= b.ndim;
    if (aScalar) {
      const o = uninitialized(b.shape, dtype);
      row(o.data, 0, 1, a.data, a.offset, 0, b.data, b.offset, 1, b.size);
      return o;
    }
    // One operand repeats along the other's leading dims (a bias row): one row per repeat.
    if (b.size > a.size && a.size > 0 && a.ndim <= b.ndim && isTrailing(b.shape, a.shape)) {
      const o = uninitialized(b.shape, dtype);
      const n = a.size;
      for (let i = 0; i < b.size; i += n) row(o.data, i, 1, a.data, a.offset, 1, b.data, b.offset + i, 1, n);
      return o;
    }
  }
  const shape = broadcastShapes([a.shape, b.shape], op);
  const ba = broadcastInput(a, shape, op);
  const bb = broadcastInput(b, shape, op);
  const o = prepareOut(op, shape, dtype, [ba, bb], out);
  const t = computeTarget(o, shape, dtype);
  const od = t.data;
  forEachRow(shape, [t, ba, bb], (off, n, st) =>
    row(od, off[0]!, st[0]!, ba.data, off[1]!, st[1]!, bb.data, off[2]!, st[2]!, n),
  );
  return storeTarget(t, o, shape);
}

/** Applies a ternary row loop to broadcast `a`, `b` and `c`. */
export function mapTernary(op: string, a: NDArray, b: NDArray, c: NDArray, dtype: DType, row: TernaryRow, out?: NDArray): NDArray {
  const shape = broadcastShapes([a.shape, b.shape, c.shape], op);
  const ba = broadcastInput(a, shape, op);
  const bb = broadcastInput(b, shape, op);
  const bc = broadcastInput(c, shape, op);
  const o = prepareOut(op, shape, dtype, [ba, bb, bc], out);
  const t = computeTarget(o, shape, dtype);
  const od = t.data;
  forEachRow(shape, [t, ba, bb, bc], (off, n, st) =>
    row(od, off[0]!, st[0]!, ba.data, off[1]!, st[1]!, bb.data, off[2]!, st[2]!, bc.data, off[3]!, st[3]!, n),
  );
  return storeTarget(t, o, shape);
}

/** Whether `small` is `big`'s trailing dims, after dropping `small`'s leading 1s. */
export function isTrailing(big: Shape, small: Shape): boolean {
  let s = 0;
  while (s < small.length && small[s] === 1) s++;
  const k = small.length - s;
  if (k > big.length) return false;
  for (let i = 0; i < k; i++) if (small[s + i] !== big[big.length - k + i]) return false;
  return true;
}

function sameShape(x: Shape, y: Shape): boolean {
  if (x.length !== y.length) return false;
  for (let d = 0; d < x.length; d++) if (x[d] !== y[d]) return false;
  return true;
}

/**
 * The dtype of an op over arrays and weak JS scalars: PyTorch's result_type. Operands fall in
 * three tiers (arrays with dims, 0-d arrays, JS scalars); a lower tier changes the result
 * only when it is of a higher category (bool < integer < float) than the tiers above it.
 */
export function resultType(operands: readonly Operand[]): DType {
  let dimType: DType | null = null;
  let zeroDimType: DType | null = null;
  let scalarType: DType | null = null;
  const join = (acc: DType | null, t: DType) => (acc ? promoteTypes(acc, t) : t);
  for (const x of operands) {
    if (typeof x === "object") {
      if (x.ndim > 0) dimType = join(dimType, x.dtype);
      else zeroDimType = join(zeroDimType, x.dtype);
    } else {
      scalarType = join(scalarType, typeof x === "boolean" ? "bool" : Number.isInteger(x) ? "int32" : DEFAULT_FLOAT);
    }
  }
  return combineCategories(dimType, combineCategories(zeroDimType, scalarType)) ?? DEFAULT_FLOAT;
}

/** PyTorch's combine_categories: `lower` matters only across a category boundary. */
function combineCategories(higher: DType | null, lower: DType | null): DType | null {
  if (higher === null) return lower;
  if (lower === null || isFloating(higher)) return higher;
  if (higher === "bool" || isFloating(lower)) return promoteTypes(higher, lower);
  return higher;
}

/**
 * `x` as an array of `dtype`: a cast copy of a tensor, or a 0-d array for a JS scalar (which
 * must fit an int32 when `checkedFor` names the op, else wraps like PyTorch's scalar arithmetic).
 */
export function asDType(x: Operand, dtype: DType, checkedFor?: string): NDArray {
  return typeof x === "object" ? x.astype(dtype) : scalarArray(x, dtype, checkedFor);
}
