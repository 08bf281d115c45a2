/**
 * @file Data types, their storage arrays, and PyTorch's type promotion restricted to
 * bool < int32 < float32 < float64. A JS number is a weak scalar: it only lifts a tensor's
 * dtype across a category (bool -> integer -> float), never within one.
 */

/** The element types typegrad supports. `bool` is stored as 0/1 bytes. */
export type DType = "float32" | "float64" | "int32" | "bool";

/** The typed array that backs each dtype. */
export interface StorageOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}

/** Any storage array. */
export type Storage = StorageOf[DType];

/** Every dtype, in promotion order. */
export const DTYPES: readonly DType[] = ["bool", "int32", "float32", "float64"];

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** The dtype tensors get when none is given (PyTorch's default float). */
export const DEFAULT_FLOAT: DType = "float32";

/** True for float32 and float64. */
export function isFloating(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/** Checks that `value` names a dtype; throws a TypeError naming `op` otherwise. */
export function checkDType(value: unknown, op: string): DType {
  if (value === "float32" || value === "float64" || value === "int32" || value === "bool") return value;
  throw new TypeError(`${op}: unknown dtype ${JSON.stringify(value)} (expected one of ${DTYPES.join(", ")})`);
}

/** Bytes per element of each dtype's storage. */
export const ELEMENT_BYTES: Readonly<Record<DType, number>> = { bool: 1, int32: 4, float32: 4, float64: 8 };

/** The dtype a typed array stores (a Uint8Array is read as bool); a TypeError for any other array. */
export function dtypeOfStorage(data: unknown, op: string): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint8Array) return "bool";
  throw new TypeError(`${op}: data must be a Float32Array, Float64Array, Int32Array or Uint8Array (bool)`);
}

/** The larger of two dtypes: torch.promote_types restricted to typegrad's dtypes. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The dtype of `tensor op scalar` for a weak JS scalar: the scalar lifts the tensor's dtype
 * only when it is of a higher category (an integer lifts bool to int32, a fraction lifts
 * bool/int32 to float32). Matches torch.result_type(tensor, python_scalar).
 */
export function promoteWithScalar(dtype: DType, scalar: number | boolean): DType {
  if (typeof scalar === "boolean") return dtype;
  if (!Number.isInteger(scalar)) return isFloating(dtype) ? dtype : DEFAULT_FLOAT;
  return dtype === "bool" ? "int32" : dtype;
}

/** The dtype of a scalar when it stands alone (both operands are scalars). */
export function scalarDType(scalar: number | boolean): DType {
  if (typeof scalar === "boolean") return "bool";
  return Number.isInteger(scalar) ? "int32" : DEFAULT_FLOAT;
}

/**
 * Converts a JS value to what `dtype` stores: bools become 0/1, ints truncate toward zero and
 * wrap modulo 2^32 (a cast, as PyTorch's arithmetic with a scalar operand does).
 */
export function castScalar(value: number | boolean, dtype: DType): number {
  if (dtype === "bool") return value !== 0 && value !== false ? 1 : 0;
  const v = typeof value === "boolean" ? Number(value) : value;
  if (dtype === "int32") return v | 0;
  if (dtype === "float32") return Math.fround(v);
  return v;
}

/**
 * `castScalar` for a user-supplied value stored as is (a fill value, a bound, an element):
 * an int32 must hold it before truncation, else a RangeError naming `op`, as PyTorch's checked
 * scalar conversion ("value cannot be converted to type int without overflow"); NaN and
 * infinities never fit. Other dtypes convert like `castScalar`.
 */
export function castScalarChecked(value: number | boolean, dtype: DType, op: string): number {
  if (dtype === "int32" && typeof value === "number" && !(value >= -2147483648 && value <= 2147483647)) {
    throw new RangeError(`${op}: value ${value} cannot be converted to int32 without overflow`);
  }
  return castScalar(value, dtype);
}

/** A short description of a JS value for error messages: `undefined`, `an array`, `the string "a"`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "no prototype"})`;
  return typeof value;
}
