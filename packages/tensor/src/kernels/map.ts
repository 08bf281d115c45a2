/**
 * @file Elementwise kernels: unary math, binary arithmetic and comparisons with broadcasting,
 * logical ops, where, clamp, maskedFill, fill and copy. Each op is one row loop over strided
 * storage (see ./elementwise.ts); dtype rules follow PyTorch with int32 as the only integer.
 * Every kernel takes an optional `out` array to write in place (autograd's `add_` and friends).
 */
import { DEFAULT_FLOAT, isFloating } from "../dtype.js";
import type { NDArray } from "../ndarray.js";
import {
  asDType,
  mapBinary,
  mapTernary,
  mapUnary,
  resultType,
  scalarArray,
  type BinaryRow,
  type TernaryRow,
  type UnaryRow,
} from "./elementwise.js";
import { gelu as geluScalar, geluTanh as geluTanhScalar, sigmoid as sigmoidScalar } from "./scalar.js";

/** How a unary op treats dtypes: float ops lift bool/int32 to float32; `numeric` ops reject bool. */
type UnaryKind = "float" | "numeric" | "any" | "intOnBool";

function unaryOp(name: string, kind: UnaryKind, row: UnaryRow): (a: NDArray, out?: NDArray) => NDArray {
  return (a, out) => {
    let dtype = a.dtype;
    if (kind === "float" && !isFloating(dtype)) dtype = DEFAULT_FLOAT;
    if (kind === "intOnBool" && dtype === "bool") dtype = "int32";
    if (kind === "numeric" && dtype === "bool") throw new TypeError(`${name}: not supported for bool tensors`);
    return mapUnary(name, a.astype(dtype), dtype, row, out);
  };
}

/** -x. Matches `torch.neg`. */
export const neg = unaryOp("neg", "numeric", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = -a[ai + i * as]!; });
/** |x|. Matches `torch.abs`. */
export const abs = unaryOp("abs", "numeric", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.abs(a[ai + i * as]!); });
/** e^x. Matches `torch.exp`. */
export const exp = unaryOp("exp", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.exp(a[ai + i * as]!); });
/** Natural log. Matches `torch.log`. */
export const log = unaryOp("log", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.log(a[ai + i * as]!); });
/** log(1 + x), accurate near 0. Matches `torch.log1p`. */
export const log1p = unaryOp("log1p", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.log1p(a[ai + i * as]!); });
/** Square root. Matches `torch.sqrt`. */
export const sqrt = unaryOp("sqrt", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.sqrt(a[ai + i * as]!); });
/** 1 / sqrt(x). Matches `torch.rsqrt`. */
export const rsqrt = unaryOp("rsqrt", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = 1 / Math.sqrt(a[ai + i * as]!); });
/** Sine. Matches `torch.sin`. */
export const sin = unaryOp("sin", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.sin(a[ai + i * as]!); });
/** Cosine. Matches `torch.cos`. */
export const cos = unaryOp("cos", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.cos(a[ai + i * as]!); });
/** Hyperbolic tangent. Matches `torch.tanh`. */
export const tanh = unaryOp("tanh", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.tanh(a[ai + i * as]!); });
/** 1 / (1 + e^-x), overflow-free. Matches `torch.sigmoid`. */
export const sigmoid = unaryOp("sigmoid", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = sigmoidScalar(a[ai + i * as]!); });
/** max(x, 0), NaN kept. Matches `torch.relu`. */
export const relu = unaryOp("relu", "numeric", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) { const x = a[ai + i * as]!; o[oi + i * os] = x < 0 ? 0 : x; } });
/** x * Phi(x) with the exact erf. Matches `torch.nn.functional.gelu`. */
export const gelu = unaryOp("gelu", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = geluScalar(a[ai + i * as]!); });
/** GELU's tanh approximation. Matches `gelu(x, approximate="tanh")`. */
export const geluTanh = unaryOp("geluTanh", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = geluTanhScalar(a[ai + i * as]!); });
/** -1, 0 or 1 (NaN gives 0, as in PyTorch). Matches `torch.sign`. */
export const sign = unaryOp("sign", "any", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) { const x = a[ai + i * as]!; o[oi + i * os] = x > 0 ? 1 : x < 0 ? -1 : 0; } });
/** x * x (bool gives int32). Matches `torch.square`. */
export const square = unaryOp("square", "intOnBool", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) { const x = a[ai + i * as]!; o[oi + i * os] = x * x; } });
/** 1 / x. Matches `torch.reciprocal`. */
export const reciprocal = unaryOp("reciprocal", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = 1 / a[ai + i * as]!; });
/** Logical not (nonzero -> false). Matches `torch.logical_not`. */
export function logicalNot(a: NDArray, out?: NDArray): NDArray {
  return mapUnary("logicalNot", a, "bool", (o, oi, os, x, xi, xs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = x[xi + i * xs] === 0 ? 1 : 0; }, out);
}

/** An operand of a binary kernel: an array or a weak JS scalar. */
export type Operand = NDArray | number | boolean;

/**
 * How a binary op computes: `arith` in the promoted dtype (with a bool rule), `float` in at
 * least float32 (true division), `compare`/`logical` produce bool.
 */
type BinaryKind = { kind: "arith"; onBool: "or" | "and" | "error" } | { kind: "float" } | { kind: "compare" } | { kind: "logical" };

const boolOr: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! | b[bi + i * bs]!; };
const boolAnd: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! & b[bi + i * bs]!; };

function binaryOp(name: string, spec: BinaryKind, row: BinaryRow): (a: Operand, b: Operand, out?: NDArray) => NDArray {
  return (a, b, out) => {
    if (typeof a !== "object" && typeof b !== "object") throw new TypeError(`${name}: at least one operand must be an array`);
    const common = resultType([a, b]);
    let compute = common;
    let dtype = common;
    let loop = row;
    if (spec.kind === "float" && !isFloating(common)) compute = dtype = DEFAULT_FLOAT;
    else if (spec.kind === "compare" || spec.kind === "logical") dtype = "bool";
    else if (spec.kind === "arith" && common === "bool") {
      if (spec.onBool === "error") throw new TypeError(`${name}: not supported for two bool operands (use the logical ops)`);
      loop = spec.onBool === "or" ? boolOr : boolAnd;
    }
    // Logical ops test for nonzero, which needs no common dtype.
    const ca = spec.kind === "logical" ? asOperand(a) : asDType(a, compute);
    const cb = spec.kind === "logical" ? asOperand(b) : asDType(b, compute);
    return mapBinary(name, ca, cb, dtype, loop, out);
  };
}

function asOperand(x: Operand): NDArray {
  return typeof x === "object" ? x : scalarArray(x, typeof x === "boolean" ? "bool" : "float64");
}

/** a + b (bool: or). Matches `torch.add`. */
export const add = binaryOp("add", { kind: "arith", onBool: "or" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! + b[bi + i * bs]!; });
/** a - b. Matches `torch.sub`. */
export const sub = binaryOp("sub", { kind: "arith", onBool: "error" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! - b[bi + i * bs]!; });
/** a * b (bool: and). Matches `torch.mul`. */
export const mul = binaryOp("mul", { kind: "arith", onBool: "and" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! * b[bi + i * bs]!; });
/** a / b, true division (integers give float32). Matches `torch.div`. */
export const div = binaryOp("div", { kind: "float" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! / b[bi + i * bs]!; });
/** Elementwise max, NaN-propagating (bool: or). Matches `torch.maximum`. */
export const maximum = binaryOp("maximum", { kind: "arith", onBool: "or" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.max(a[ai + i * as]!, b[bi + i * bs]!); });
/** Elementwise min, NaN-propagating (bool: and). Matches `torch.minimum`. */
export const minimum = binaryOp("minimum", { kind: "arith", onBool: "and" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.min(a[ai + i * as]!, b[bi + i * bs]!); });
/** a == b. Matches `torch.eq`. */
export const eq = binaryOp("eq", { kind: "compare" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! === b[bi + i * bs]! ? 1 : 0; });
/** a != b. Matches `torch.ne`. */
export const ne = binaryOp("ne", { kind: "compare" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! !== b[bi + i * bs]! ? 1 : 0; });
/** a < b. Matches `torch.lt`. */
export const lt = binaryOp("lt", { kind: "compare" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! < b[bi + i * bs]! ? 1 : 0; });
/** a <= b. Matches `torch.le`. */
export const le = binaryOp("le", { kind: "compare" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! <= b[bi + i * bs]! ? 1 : 0; });
/** a > b. Matches `torch.gt`. */
export const gt = binaryOp("gt", { kind: "compare" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! > b[bi + i * bs]! ? 1 : 0; });
/** a >= b. Matches `torch.ge`. */
export const ge = binaryOp("ge", { kind: "compare" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! >= b[bi + i * bs]! ? 1 : 0; });
/** Both nonzero. Matches `torch.logical_and`. */
export const logicalAnd = binaryOp("logicalAnd", { kind: "logical" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as] !== 0 && b[bi + i * bs] !== 0 ? 1 : 0; });
/** Either nonzero. Matches `torch.logical_or`. */
export const logicalOr = binaryOp("logicalOr", { kind: "logical" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as] !== 0 || b[bi + i * bs] !== 0 ? 1 : 0; });
/** Exactly one nonzero. Matches `torch.logical_xor`. */
export const logicalXor = binaryOp("logicalXor", { kind: "logical" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = (a[ai + i * as] !== 0) !== (b[bi + i * bs] !== 0) ? 1 : 0; });

const powRow: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.pow(a[ai + i * as]!, b[bi + i * bs]!); };

/** a ** b; integers to negative integer powers are rejected, as in PyTorch. Matches `torch.pow`. */
export function pow(a: Operand, b: Operand, out?: NDArray): NDArray {
  if (typeof a !== "object" && typeof b !== "object") throw new TypeError("pow: at least one operand must be an array");
  const dtype = resultType([a, b]);
  if (dtype === "bool") throw new TypeError("pow: not supported for bool operands");
  if (dtype === "int32") {
    const negative = typeof b === "object" ? b.toArray().some((v) => v < 0) : Number(b) < 0;
    if (negative) throw new RangeError("pow: integers to negative integer powers are not allowed");
  }
  return mapBinary("pow", asDType(a, dtype), asDType(b, dtype), dtype, powRow, out);
}

const whereRow: TernaryRow = (o, oi, os, c, ci, cs, a, ai, as, b, bi, bs, n) => {
  for (let i = 0; i < n; i++) o[oi + i * os] = c[ci + i * cs] !== 0 ? a[ai + i * as]! : b[bi + i * bs]!;
};

/** Picks `a` where `cond` is true, else `b`, broadcasting all three. Matches `torch.where`. */
export function where(cond: NDArray, a: Operand, b: Operand, out?: NDArray): NDArray {
  if (cond.dtype !== "bool") throw new TypeError(`where: condition must be a bool tensor, got ${cond.dtype}`);
  const dtype = resultType([a, b]);
  return mapTernary("where", cond, asDType(a, dtype), asDType(b, dtype), dtype, whereRow, out);
}

/**
 * Sets elements where `mask` is true to `value`, keeping `a`'s dtype; mask and `a` broadcast.
 * Matches `torch.masked_fill`.
 */
export function maskedFill(a: NDArray, mask: NDArray, value: number | boolean, out?: NDArray): NDArray {
  if (mask.dtype !== "bool") throw new TypeError(`maskedFill: mask must be a bool tensor, got ${mask.dtype}`);
  return mapTernary("maskedFill", mask, scalarArray(value, a.dtype), a, a.dtype, whereRow, out);
}

/**
 * Limits values to [min, max] (either may be omitted; min > max gives max; NaN stays NaN);
 * bounds may be scalars or broadcastable arrays. Matches `torch.clamp`.
 */
export function clamp(a: NDArray, min?: Operand | null, max?: Operand | null, out?: NDArray): NDArray {
  const lo = min ?? undefined;
  const hi = max ?? undefined;
  if (lo === undefined && hi === undefined) throw new TypeError("clamp: at least one of min and max must be given");
  const bounds = [lo, hi].filter((x): x is Operand => x !== undefined);
  const dtype = resultType([a, ...bounds]);
  if (dtype === "bool") throw new TypeError("clamp: not supported for bool tensors");
  const x = a.astype(dtype);
  if (hi === undefined) return maximum(x, lo!, out);
  if (lo === undefined) return minimum(x, hi, out);
  if (typeof lo === "number" && typeof hi === "number") {
    const l = lo;
    const h = hi;
    return mapUnary("clamp", x, dtype, (o, oi, os, s, si, ss, n) => {
      for (let i = 0; i < n; i++) o[oi + i * os] = Math.min(Math.max(s[si + i * ss]!, l), h);
    }, out);
  }
  return minimum(maximum(x, lo), hi, out);
}

/** Writes `value` into every element of `out` (any strides). Matches `torch.Tensor.fill_`. */
export function fill(out: NDArray, value: number | boolean): NDArray {
  const v = scalarArray(value, out.dtype);
  return mapUnary("fill", v.expand(out.shape), out.dtype, copyRow, out);
}

const copyRow: UnaryRow = (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]!; };

/**
 * Copies `src` into `out`, broadcasting `src` to `out`'s shape and converting to its dtype.
 * Matches `torch.Tensor.copy_`.
 */
export function copy(out: NDArray, src: NDArray): NDArray {
  const converted = src.astype(out.dtype);
  return mapUnary("copy", converted.broadcastTo(out.shape), out.dtype, copyRow, out);
}
