/**
 * @file Creation functions: from nested JS arrays or typed arrays, constant fills, ranges,
 * identity, and the `*Like` variants. Every result owns fresh contiguous storage.
 * JS cannot tell `1` from `1.0`, so numeric data defaults to float32 (arange is the exception).
 * Values are computed in float64 and rounded once on store; user values stored into int32 are
 * range-checked (`castScalarChecked`), as PyTorch checks them.
 */
import {
  castScalar,
  castScalarChecked,
  checkDType,
  DEFAULT_FLOAT,
  describeValue,
  dtypeOfStorage,
  type DType,
  type Storage,
} from "./dtype.js";
import { allocStorage, allocStorageUninit } from "./storage.js";
import { checkShape, contiguousStrides, fmtShape, numel, type Shape } from "./layout.js";
import { NDArray, type NestedList } from "./ndarray.js";

/** Options of creation functions. */
export interface CreateOptions {
  dtype?: DType;
}

/** Wraps fresh storage of `shape` in a contiguous NDArray. */
export function fromFlat(data: Storage, shape: Shape, dtype: DType): NDArray {
  return new NDArray(data, shape.slice(), contiguousStrides(shape), 0, dtype);
}

/** An uninitialized-looking (zero-filled) contiguous array; the allocation primitive of kernels. Matches `torch.empty`. */
export function empty(shape: Shape, dtype: DType = DEFAULT_FLOAT): NDArray {
  const s = checkShape(shape, "empty");
  const dt = checkDType(dtype, "empty");
  return new NDArray(allocStorage(dt, numel(s)), s, contiguousStrides(s), 0, dt);
}

/**
 * A contiguous array whose values are unspecified (it may reuse a released buffer as it was left):
 * the output of a kernel that writes every element before reading any (PyTorch's `at::empty`).
 */
export function uninitialized(shape: Shape, dtype: DType): NDArray {
  return new NDArray(allocStorageUninit(dtype, numel(shape)), shape.slice(), contiguousStrides(shape), 0, dtype);
}

/**
 * An array copied from nested JS arrays or from a typed array (with `shape`, default 1-d).
 * Numbers give float32, booleans give bool, a typed array keeps its dtype, unless `dtype` is set.
 * Listed numbers stored as int32 must fit (a RangeError otherwise, as `torch.tensor`); a typed
 * array is converted like `astype` (as `torch.tensor(ndarray, dtype=...)` casts).
 * @example array([[1, 2], [3, 4]], { dtype: "float64" })
 */
export function array(data: NestedList | readonly NestedList[] | Storage, options: CreateOptions & { shape?: Shape } = {}): NDArray {
  const op = "array";
  const dtype = options.dtype === undefined ? undefined : checkDType(options.dtype, op);
  if (ArrayBuffer.isView(data)) {
    const srcDType = dtypeOfStorage(data, op);
    const shape = checkShape(options.shape ?? [data.length], op);
    if (numel(shape) !== data.length) {
      throw new RangeError(`${op}: shape ${fmtShape(shape)} needs ${numel(shape)} elements, the data has ${data.length}`);
    }
    const src = fromFlat(data, shape, srcDType);
    return src.astype(dtype ?? srcDType, true);
  }
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) shape.push(level.length);
  if (options.shape !== undefined && numel(checkShape(options.shape, op)) !== numel(shape)) {
    throw new RangeError(`${op}: shape ${fmtShape(options.shape)} does not match the data's shape ${fmtShape(shape)}`);
  }
  const flat: (number | boolean)[] = [];
  let allBool = true;
  const walk = (node: unknown, d: number, path: number[]): void => {
    if (d === shape.length) {
      if (typeof node === "number") allBool = false;
      else if (typeof node !== "boolean") {
        throw new TypeError(`${op}: element at [${path.join(",")}] is ${describeValue(node)}, expected a number or boolean`);
      }
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[d]) {
      const got = Array.isArray(node) ? `${node.length} elements` : describeValue(node);
      throw new RangeError(`${op}: ragged nested array: expected ${shape[d]} elements at [${path.join(",")}], got ${got}`);
    }
    node.forEach((child, i) => walk(child, d + 1, [...path, i]));
  };
  walk(data, 0, []);
  const outDType = dtype ?? (allBool && flat.length > 0 ? "bool" : DEFAULT_FLOAT);
  const storage = allocStorage(outDType, flat.length);
  for (let i = 0; i < flat.length; i++) storage[i] = castScalarChecked(flat[i]!, outDType, op);
  return fromFlat(storage, options.shape ? options.shape.slice() : shape, outDType);
}

/** An array of `shape` filled with `value` (float32 unless `dtype`; a boolean value gives bool). Matches `torch.full`. */
export function full(shape: Shape, value: number | boolean, options: CreateOptions = {}): NDArray {
  const s = checkShape(shape, "full");
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new TypeError(`full: fill value must be a number or boolean, got ${describeValue(value)}`);
  }
  const dtype = options.dtype ? checkDType(options.dtype, "full") : typeof value === "boolean" ? "bool" : DEFAULT_FLOAT;
  const v = castScalarChecked(value, dtype, "full");
  const out = empty(s, dtype);
  if (!Object.is(v, 0)) out.data.fill(v); // storage starts as +0; -0 must still be written
  return out;
}

/** An array of zeros. Matches `torch.zeros`. */
export function zeros(shape: Shape, options: CreateOptions = {}): NDArray {
  return full(shape, 0, options);
}

/** An array of ones. Matches `torch.ones`. */
export function ones(shape: Shape, options: CreateOptions = {}): NDArray {
  return full(shape, 1, options);
}

/** `full` with the shape (and by default the dtype) of `like`. */
export function fullLike(like: NDArray, value: number | boolean, options: CreateOptions = {}): NDArray {
  return full(like.shape, value, { dtype: options.dtype ?? like.dtype });
}

/** Zeros with the shape and dtype of `like`. */
export function zerosLike(like: NDArray, options: CreateOptions = {}): NDArray {
  return fullLike(like, 0, options);
}

/** Ones with the shape and dtype of `like`. */
export function onesLike(like: NDArray, options: CreateOptions = {}): NDArray {
  return fullLike(like, 1, options);
}

/**
 * Values from `start` (inclusive) to `end` (exclusive) by `step`; `arange(n)` counts 0..n-1.
 * int32 when every argument is an integer, else float32 (PyTorch gives int64/float32 likewise).
 * The length is ceil((end - start) / step) in float64. As in PyTorch, an int32 result
 * truncates start, end and step toward zero for the checks (a step that truncates to 0
 * throws) and holds trunc(start) + i * trunc(step). Matches `torch.arange`.
 */
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): NDArray {
  const op = "arange";
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  for (const v of [lo, hi, step]) {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`${op}: arguments must be finite numbers, got ${v}`);
  }
  const allInt = Number.isInteger(lo) && Number.isInteger(hi) && Number.isInteger(step);
  const dtype = options.dtype ? checkDType(options.dtype, op) : allInt ? "int32" : DEFAULT_FLOAT;
  if (dtype === "bool") throw new TypeError(`${op}: not implemented for bool (PyTorch neither)`);
  const integral = dtype === "int32";
  const [first, stop, by] = integral ? [Math.trunc(lo), Math.trunc(hi), Math.trunc(step)] : [lo, hi, step];
  if (by === 0) throw new RangeError(`${op}: step must be nonzero${integral && step !== 0 ? ` (step ${step} truncates to 0 for int32)` : ""}`);
  if (by > 0 ? stop < first : stop > first) {
    throw new RangeError(`${op}: upper bound ${hi} and lower bound ${lo} are inconsistent with step sign ${step}`);
  }
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const last = first + (n - 1) * by;
  if (integral && n > 0 && (!isInt32(first) || !isInt32(last))) {
    throw new RangeError(`${op}: values from ${first} to ${last} do not fit in int32`);
  }
  const out = empty([n], dtype);
  for (let i = 0; i < n; i++) out.data[i] = castScalar(first + i * by, dtype);
  return out;
}

/** `steps` evenly spaced values from `start` to `end`, both included. Matches `torch.linspace`. */
export function linspace(start: number, end: number, steps: number, options: CreateOptions = {}): NDArray {
  if (!Number.isSafeInteger(steps) || steps < 0) throw new RangeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = options.dtype ? checkDType(options.dtype, "linspace") : DEFAULT_FLOAT;
  if (dtype === "bool") throw new TypeError("linspace: not implemented for bool (PyTorch neither)");
  const out = empty([steps], dtype);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill from both ends, as PyTorch does, so that the last value is exactly `end` (and a
  // single step is `start`).
  const half = Math.max(1, Math.floor(steps / 2));
  for (let i = 0; i < steps; i++) {
    out.data[i] = castScalar(i < half ? start + i * step : end - (steps - 1 - i) * step, dtype);
  }
  return out;
}

/** The `n x m` identity matrix (`m` defaults to `n`). Matches `torch.eye`. */
export function eye(n: number, m: number = n, options: CreateOptions = {}): NDArray {
  const out = zeros(checkShape([n, m], "eye"), options);
  for (let i = 0; i < Math.min(n, m); i++) out.data[i * m + i] = 1;
  return out;
}

function isInt32(x: number): boolean {
  return x >= -2147483648 && x <= 2147483647;
}
