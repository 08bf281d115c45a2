/**
 * @file pow with C's semantics rather than JS's. Floats follow C99/IEEE `pow`: pow(1, y) = 1
 * and pow(-1, ±inf) = 1 even where Math.pow gives NaN; a JS-number exponent of 0.5 or -0.5 is
 * sqrt or rsqrt, as PyTorch specializes it (so (-0) ** 0.5 = -0). int32 pow is exponentiation
 * by squaring with wrapping 32-bit products (C int32 arithmetic), and a negative int32 exponent
 * in an array gives PyTorch's integer results (1 for base 1, ±1 for base -1, else 0).
 */
import type { NDArray } from "../ndarray.js";
import { asDType, checkOperand, mapBinary, resultType, type BinaryRow, type Operand } from "./elementwise.js";

/** C's pow on doubles: Math.pow, except that a base of 1, or -1 to an infinite power, gives 1. */
const powFloatRow: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  for (let i = 0; i < n; i++) {
    const x = a[ai + i * as]!;
    const y = b[bi + i * bs]!;
    const r = Math.pow(x, y);
    // Math.pow gives NaN exactly where C gives 1 for these bases: pow(1, NaN), pow(±1, ±inf).
    o[oi + i * os] = r !== r && (x === 1 || (x === -1 && (y === Infinity || y === -Infinity))) ? 1 : r;
  }
};

/** x ** 0.5 for a scalar exponent: PyTorch runs sqrt (sqrt(-0) = -0, sqrt(-inf) = NaN). */
const sqrtRow: BinaryRow = (o, oi, os, a, ai, as, _b, _bi, _bs, n) => {
  for (let i = 0; i < n; i++) o[oi + i * os] = Math.sqrt(a[ai + i * as]!);
};

/** x ** -0.5 for a scalar exponent: PyTorch runs rsqrt (rsqrt(-0) = -inf). */
const rsqrtRow: BinaryRow = (o, oi, os, a, ai, as, _b, _bi, _bs, n) => {
  for (let i = 0; i < n; i++) o[oi + i * os] = 1 / Math.sqrt(a[ai + i * as]!);
};

/**
 * x ** y in C int32 arithmetic (PyTorch's powi): squaring with Math.imul, so products wrap
 * modulo 2^32 exactly; y < 0 gives 1 for x = 1, ±1 for x = -1 (by the parity of y), else 0.
 */
export function powInt32(x: number, y: number): number {
  if (y < 0) return x === 1 ? 1 : x === -1 ? (y & 1 ? -1 : 1) : 0;
  let result = 1;
  let base = x;
  for (let e = y; e !== 0; e >>>= 1) {
    if (e & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
  }
  return result;
}

const powIntRow: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  for (let i = 0; i < n; i++) o[oi + i * os] = powInt32(a[ai + i * as]!, b[bi + i * bs]!);
};

/**
 * a ** b. Integer results: an array exponent may be negative (see powInt32), a negative JS
 * number exponent throws and one beyond int32 throws, as in PyTorch; a JS number base wraps
 * to int32. Floats follow C's pow. Matches `torch.pow`.
 */
export function pow(a: Operand, b: Operand, out?: NDArray): NDArray {
  const op = "pow";
  checkOperand(op, a, "operand 0");
  checkOperand(op, b, "operand 1");
  if (typeof a !== "object" && typeof b !== "object") throw new TypeError(`${op}: at least one operand must be an array`);
  const dtype = resultType([a, b]);
  if (dtype === "bool") throw new TypeError(`${op}: not supported for bool operands`);
  if (dtype === "int32") {
    if (typeof b === "number" && b < 0) throw new RangeError(`${op}: integers to negative integer powers are not allowed`);
    return mapBinary(op, asDType(a, dtype), asDType(b, dtype, op), dtype, powIntRow, out);
  }
  const row = b === 0.5 ? sqrtRow : b === -0.5 ? rsqrtRow : powFloatRow;
  return mapBinary(op, asDType(a, dtype), asDType(b, dtype), dtype, row, out);
}
