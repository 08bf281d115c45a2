/**
 * @file NDArray: typed-array storage plus shape, strides, offset and dtype. Every view method
 * here is O(1) and shares storage; only contiguous(), clone(), astype() and a reshape that
 * cannot be a view copy. Kernels are free functions in ./kernels; this class owns layout only.
 */
import { castScalarChecked, checkDType, describeValue, dtypeOfStorage, type DType, type Storage } from "./dtype.js";
import { allocStorageUninit } from "./storage.js";
import { formatNDArray } from "./format.js";
import { copyStrided } from "./kernels/copy.js";
import {
  broadcastShapes,
  broadcastStrides,
  contiguousStrides,
  denseStridesLike,
  flattenShape,
  fmtShape,
  inferShape,
  isContiguousLayout,
  normalizeDim,
  numel,
  offsetOf,
  resolveIndex,
  resolveNarrow,
  resolveSlice,
  storageExtent,
  viewStrides,
  type ResolvedSlice,
  type Shape,
} from "./layout.js";

/** A nested JS array as returned by `tolist()`. */
export type NestedList = number | boolean | NestedList[];

/** A strided n-dimensional array over a typed-array storage. */
export class NDArray {
  /**
   * Wraps storage without validation (kernels call this on layouts they computed).
   * Use `fromStorage` or `array()` for user-supplied layouts.
   */
  constructor(
    readonly data: Storage,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    readonly offset: number,
    readonly dtype: DType,
  ) {}

  /**
   * Views existing storage with a validated layout (no copy; writes are shared). `dtype`, when
   * given, must be the one the storage holds (a Uint8Array is bool storage).
   * @example NDArray.fromStorage(new Float32Array(6), [2, 3])
   */
  static fromStorage(data: Storage, shape: Shape, strides?: Shape, offset = 0, dtype?: DType): NDArray {
    const op = "fromStorage";
    const dt = dtypeOfStorage(data, op);
    if (dtype !== undefined && checkDType(dtype, op) !== dt) {
      throw new TypeError(`${op}: dtype ${dtype} does not match the storage, a ${data.constructor.name} that holds ${dt}`);
    }
    const st = strides ?? contiguousStrides(shape);
    checkLayout("fromStorage", data.length, shape, st, offset);
    return new NDArray(data, shape.slice(), st.slice(), offset, dt);
  }

  /** Number of dims. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }

  /** True when the elements are row-major and gap-free from `offset`. */
  isContiguous(): boolean {
    return isContiguousLayout(this.shape, this.strides);
  }

  /** This array if contiguous, else a row-major copy. Matches `torch.Tensor.contiguous`. */
  contiguous(): NDArray {
    return this.isContiguous() ? this : this.clone();
  }

  /** A contiguous copy with its own storage. */
  clone(): NDArray {
    return this.astype(this.dtype, true);
  }

  /** A copy converted to `dtype` (this array itself when the dtype already matches and `copy` is false). */
  astype(dtype: DType, copy = false): NDArray {
    if (dtype === this.dtype && !copy) return this;
    const out = new NDArray(allocStorageUninit(dtype, this.size), this.shape, contiguousStrides(this.shape), 0, dtype);
    copyStrided(this.shape, this.data, this, out.data, out, dtype);
    return out;
  }

  /**
   * True when the storages of both arrays overlap in memory: the same typed array, or typed
   * arrays whose byte ranges in one ArrayBuffer intersect (different `subarray`s included).
   */
  sharesStorage(other: NDArray): boolean {
    const a = this.data;
    const b = other.data;
    if (a === b) return true;
    return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
  }

  /** Same elements, new shape: a view when the strides allow, else a copy. Matches `torch.reshape`. */
  reshape(shape: readonly number[]): NDArray {
    const target = inferShape(shape, this.size, "reshape");
    const strides = viewStrides(this.shape, this.strides, target);
    if (strides) return new NDArray(this.data, target, strides, this.offset, this.dtype);
    return this.clone().reshape(target);
  }

  /**
   * reshape, except that a copy (when no view is possible) is laid out in the dim order of
   * `like`, strides of a layout of the new shape: a gradient flowing back into a transposed
   * tensor is materialized transposed, so the ops after it read it without another copy.
   */
  reshapeLike(shape: readonly number[], like: readonly number[]): NDArray {
    const target = inferShape(shape, this.size, "reshape");
    const strides = viewStrides(this.shape, this.strides, target);
    if (strides) return new NDArray(this.data, target, strides, this.offset, this.dtype);
    if (like.length !== target.length) return this.clone().reshape(target);
    const outStrides = denseStridesLike(target, like);
    const asThis = viewStrides(target, outStrides, this.shape);
    if (!asThis) return this.clone().reshape(target);
    const data = allocStorageUninit(this.dtype, this.size);
    copyStrided(this.shape, this.data, this, data, { strides: asThis, offset: 0 }, this.dtype);
    return new NDArray(data, target, outStrides, 0, this.dtype);
  }

  /** Same elements, new shape, always a view; throws when the strides do not allow one. Matches `torch.Tensor.view`. */
  view(shape: readonly number[]): NDArray {
    const target = inferShape(shape, this.size, "view");
    const strides = viewStrides(this.shape, this.strides, target);
    if (!strides) {
      throw new RangeError(
        `view: shape ${fmtShape(target)} is not compatible with the strides ${fmtShape(this.strides)} of shape ${fmtShape(this.shape)} (a dim would span non-contiguous memory); use reshape(), which copies`,
      );
    }
    return new NDArray(this.data, target, strides, this.offset, this.dtype);
  }

  /** Reorders dims. Matches `torch.permute`. */
  permute(dims: readonly number[]): NDArray {
    const n = this.ndim;
    const seen = new Array<boolean>(n).fill(false);
    const bad = () => new RangeError(`permute: dims ${fmtShape(dims)} are not a permutation of ${n} dims`);
    if (dims.length !== n) throw bad();
    const norm = dims.map((d) => {
      if (!Number.isInteger(d) || d < -n || d >= n) throw bad();
      const k = d < 0 ? d + n : d;
      if (seen[k]) throw bad();
      seen[k] = true;
      return k;
    });
    return new NDArray(
      this.data,
      norm.map((d) => this.shape[d]!),
      norm.map((d) => this.strides[d]!),
      this.offset,
      this.dtype,
    );
  }

  /** Swaps two dims. Matches `torch.transpose`. */
  transpose(dim0: number, dim1: number): NDArray {
    const a = normalizeDim(dim0, this.ndim, "transpose");
    const b = normalizeDim(dim1, this.ndim, "transpose");
    if (this.ndim < 2 || a === b) return this;
    const shape = this.shape.slice();
    const strides = this.strides.slice();
    [shape[a], shape[b]] = [shape[b]!, shape[a]!];
    [strides[a], strides[b]] = [strides[b]!, strides[a]!];
    return new NDArray(this.data, shape, strides, this.offset, this.dtype);
  }

  /** Transpose of a matrix (a 0-d or 1-d array is returned as is). Matches `torch.t`. */
  t(): NDArray {
    if (this.ndim > 2) throw new RangeError(`t: expects a tensor with <= 2 dims, got shape ${fmtShape(this.shape)}`);
    return this.transpose(0, -1);
  }

  /**
   * Broadcasts size-1 dims (and new leading dims) to `shape` with stride 0; -1 keeps a size.
   * Matches `torch.Tensor.expand`.
   */
  expand(shape: readonly number[]): NDArray {
    const lead = shape.length - this.ndim;
    if (lead < 0) {
      throw new RangeError(`expand: target ${fmtShape(shape)} has fewer dims than the tensor's shape ${fmtShape(this.shape)}`);
    }
    const target = shape.map((s, d) => {
      if (s === -1 && d >= lead) return this.shape[d - lead]!;
      if (!Number.isSafeInteger(s) || s < 0) {
        throw new RangeError(`expand: invalid target size ${s} at dim ${d} of ${fmtShape(shape)}`);
      }
      return s;
    });
    const strides = broadcastStrides(this.shape, this.strides, target, "expand");
    return new NDArray(this.data, target, strides, this.offset, this.dtype);
  }

  /** Broadcasts to `shape` (NumPy rules, no -1). Matches `torch.broadcast_to`. */
  broadcastTo(shape: readonly number[]): NDArray {
    const target = broadcastShapes([this.shape, shape], "broadcastTo");
    if (target.length !== shape.length || target.some((s, d) => s !== shape[d])) {
      throw new RangeError(`broadcastTo: cannot broadcast shape ${fmtShape(this.shape)} to ${fmtShape(shape)}`);
    }
    return this.expand(shape);
  }

  /**
   * Python-style slice `[start:end:step]` along `dim`: negative indices count from the end,
   * out-of-range bounds are clamped, step must be positive. Matches `x[..., start:end:step]`.
   */
  slice(dim: number, start = 0, end: number = Number.MAX_SAFE_INTEGER, step = 1): NDArray {
    return this.sliceResolved(resolveSlice(this.shape, dim, start, end, step, "slice"));
  }

  /** `length` elements of `dim` from `start` (negative start counts from the end). Matches `torch.narrow`. */
  narrow(dim: number, start: number, length: number): NDArray {
    return this.sliceResolved(resolveNarrow(this.shape, dim, start, length, "narrow"));
  }

  /** The slice at `index` of `dim`, with that dim removed. Matches `torch.select`. */
  select(dim: number, index: number): NDArray {
    const { dim: d, index: i } = resolveIndex(this.shape, dim, index, "select");
    const shape = this.shape.filter((_, k) => k !== d);
    const strides = this.strides.filter((_, k) => k !== d);
    return new NDArray(this.data, shape, strides, this.offset + i * this.strides[d]!, this.dtype);
  }

  private sliceResolved({ dim: d, start, end, step }: ResolvedSlice): NDArray {
    const shape = this.shape.slice();
    const strides = this.strides.slice();
    shape[d] = Math.ceil((end - start) / step);
    strides[d] = this.strides[d]! * step;
    const offset = shape[d] === 0 ? this.offset : this.offset + start * this.strides[d]!;
    return new NDArray(this.data, shape, strides, offset, this.dtype);
  }

  /** Removes size-1 dims: all of them, or those of `dim` (others are left alone). Matches `torch.squeeze`. */
  squeeze(dim?: number | readonly number[]): NDArray {
    const dims =
      dim === undefined
        ? null
        : new Set((typeof dim === "number" ? [dim] : dim).map((d) => normalizeDim(d, this.ndim, "squeeze")));
    const keep = (size: number, k: number) => size !== 1 || (dims !== null && !dims.has(k));
    return new NDArray(
      this.data,
      this.shape.filter(keep),
      this.strides.filter((_, k) => keep(this.shape[k]!, k)),
      this.offset,
      this.dtype,
    );
  }

  /** Inserts a size-1 dim at `dim` (in [-ndim-1, ndim]). Matches `torch.unsqueeze`. */
  unsqueeze(dim: number): NDArray {
    const d = normalizeDim(dim, this.ndim + 1, "unsqueeze");
    const shape = this.shape.slice();
    const strides = this.strides.slice();
    const stride = d < this.ndim ? this.shape[d]! * this.strides[d]! : 1;
    shape.splice(d, 0, 1);
    strides.splice(d, 0, stride);
    return new NDArray(this.data, shape, strides, this.offset, this.dtype);
  }

  /** Merges dims `startDim..endDim` into one (a view when possible). Matches `torch.flatten`. */
  flatten(startDim = 0, endDim = -1): NDArray {
    return this.reshape(flattenShape(this.shape, startDim, endDim, "flatten"));
  }

  /** A view with an explicit layout over the same storage, bounds-checked. Matches `torch.as_strided`. */
  asStrided(shape: readonly number[], strides: readonly number[], offset: number = this.offset): NDArray {
    if (shape.length !== strides.length) {
      throw new RangeError(`asStrided: shape ${fmtShape(shape)} and strides ${fmtShape(strides)} differ in length`);
    }
    checkLayout("asStrided", this.data.length, shape, strides, offset);
    return new NDArray(this.data, shape.slice(), strides.slice(), offset, this.dtype);
  }

  /** The element at a full index (negative indices count from the end), as a number (bool: 0/1). */
  get(...index: number[]): number {
    return this.data[this.storageIndex("get", index)]!;
  }

  /**
   * Writes one element through this view (the storage is shared with every view of it); an
   * int32 must hold the value, as in PyTorch's `x[i] = v`.
   */
  set(index: readonly number[], value: number | boolean): void {
    if (typeof value !== "number" && typeof value !== "boolean") {
      throw new TypeError(`set: value must be a number or a boolean, got ${describeValue(value)}`);
    }
    this.data[this.storageIndex("set", index)] = castScalarChecked(value, this.dtype, "set");
  }

  /** The single element of a one-element array. Matches `torch.Tensor.item`. */
  item(): number | boolean {
    if (this.size !== 1) {
      throw new RangeError(`item: a tensor with ${this.size} elements (shape ${fmtShape(this.shape)}) cannot be converted to a scalar`);
    }
    const v = this.data[this.offset]!;
    return this.dtype === "bool" ? v !== 0 : v;
  }

  /** A row-major copy of the elements in this dtype's typed array, with a buffer of its own. */
  toArray(): Storage {
    if (this.isContiguous()) return this.data.slice(this.offset, this.offset + this.size);
    // A small clone is a view into a shared chunk (see allocStorage): copy it out of there.
    const own = this.clone().data;
    return own.byteLength === own.buffer.byteLength ? own : own.slice();
  }

  /** The elements as nested JS arrays (bools as booleans; a 0-d array gives its scalar). */
  tolist(): NestedList {
    const flat = this.toArray();
    const isBool = this.dtype === "bool";
    const build = (d: number, base: number): NestedList => {
      if (d === this.ndim) return isBool ? flat[base] !== 0 : flat[base]!;
      const size = this.shape[d]!;
      const step = numel(this.shape.slice(d + 1));
      return Array.from({ length: size }, (_, i) => build(d + 1, base + i * step));
    };
    return build(0, 0);
  }

  /** PyTorch-style text, e.g. `tensor([[1., 2.]], dtype=float64)`, abbreviated when large. */
  toString(): string {
    return formatNDArray(this);
  }

  private storageIndex(op: string, index: readonly number[]): number {
    if (index.length !== this.ndim) {
      throw new RangeError(`${op}: expected ${this.ndim} indices for shape ${fmtShape(this.shape)}, got ${index.length}`);
    }
    const wrapped = index.map((i, d) => {
      const size = this.shape[d]!;
      if (!Number.isInteger(i) || i < -size || i >= size) {
        throw new RangeError(`${op}: index ${i} is out of range for dim ${d} of size ${size}`);
      }
      return i < 0 ? i + size : i;
    });
    return offsetOf(wrapped, this.strides, this.offset);
  }
}

function checkLayout(op: string, storageLength: number, shape: Shape, strides: Shape, offset: number): void {
  if (shape.length !== strides.length) {
    throw new RangeError(`${op}: shape ${fmtShape(shape)} and strides ${fmtShape(strides)} differ in length`);
  }
  for (const s of shape) {
    if (!Number.isSafeInteger(s) || s < 0) throw new RangeError(`${op}: invalid shape ${fmtShape(shape)}`);
  }
  for (const s of strides) {
    if (!Number.isSafeInteger(s) || s < 0) {
      throw new RangeError(`${op}: strides ${fmtShape(strides)} must be non-negative integers`);
    }
  }
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`${op}: offset ${offset} must be a non-negative integer`);
  const extent = storageExtent(shape, strides, offset);
  if (extent && extent.max >= storageLength) {
    throw new RangeError(
      `${op}: layout (shape ${fmtShape(shape)}, strides ${fmtShape(strides)}, offset ${offset}) reaches element ${extent.max} of a storage of ${storageLength}`,
    );
  }
}
