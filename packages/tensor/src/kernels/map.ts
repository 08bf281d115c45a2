/**
 * @file Elementwise kernels: unary math, binary arithmetic and comparisons with broadcasting,
 * logical ops, where, clamp, maskedFill, fill and copy (pow lives in ./pow.ts). Each op is one
 * row loop over strided storage (see ./elementwise.ts); dtype rules follow PyTorch with int32
 * as the only integer, whose products wrap like C int32 arithmetic (Math.imul). Operands must
 * be arrays, numbers or booleans; a fill value, bound or `where` scalar stored into int32 must
 * fit it. Every kernel takes an optional `out` array to write in place (autograd's `add_`).
 * On the wasm backend, exp, tanh, sigmoid, GELU and the GELU gradients of contiguous float32
 * arrays from `kernelTuning.unaryMin` elements on run in WebAssembly SIMD
 * (../backend/wasm-kernels.ts, float32 accuracy: the package README, "Backends").
 */
import { getBackend } from "../backend/index.js";
import {
  kernelTuning, wasmBinary, wasmGeluCdf, wasmGeluGradCdf, wasmUnary, wasmUnaryGrad, type BinaryKernel, type GradKernel, type UnaryKernel,
} from "../backend/wasm-kernels.js";
import { uninitialized } from "../create.js";
import { castScalarChecked, DEFAULT_FLOAT, isFloating, type DType } from "../dtype.js";
import { allocStorageUninit } from "../storage.js";
import { isDenseLayout } from "../layout.js";
import { NDArray } from "../ndarray.js";
import {
  asDType,
  checkArray,
  checkOperand,
  isTrailing,
  mapBinary,
  prepareOut,
  mapTernary,
  mapUnary,
  resultType,
  scalarArray,
  type BinaryRow,
  type Operand,
  type TernaryRow,
  type UnaryRow,
} from "./elementwise.js";
import { erf as erfScalar, gelu as geluScalar, geluGrad as geluGradScalar, geluTanhGrad as geluTanhGradScalar, geluTanh as geluTanhScalar, sigmoid as sigmoidScalar } from "./scalar.js";
import { copyStrided } from "./copy.js";

/** How a unary op treats dtypes: float ops lift bool/int32 to float32; `numeric` ops reject bool. */
type UnaryKind = "float" | "numeric" | "any" | "intOnBool";

/**
 * A unary kernel from its row loop, an int32-specific loop where doubles would not wrap, and
 * the WebAssembly kernel that float32 arrays may take.
 */
function unaryOp(name: string, kind: UnaryKind, row: UnaryRow, intRow: UnaryRow = row, wasm?: UnaryKernel): (a: NDArray, out?: NDArray) => NDArray {
  return (a, out) => {
    checkArray(name, a, "input");
    let dtype = a.dtype;
    if (kind === "float" && !isFloating(dtype)) dtype = DEFAULT_FLOAT;
    if (kind === "intOnBool" && dtype === "bool") dtype = "int32";
    if (kind === "numeric" && dtype === "bool") throw new TypeError(`${name}: not supported for bool tensors`);
    if (wasm !== undefined && out === undefined && dtype === "float32" && a.dtype === "float32") {
      const o = wasmMap(wasm, a);
      if (o !== null) return o;
    }
    return mapUnary(name, a.astype(dtype), dtype, dtype === "int32" ? intRow : row, out);
  };
}

/** Whether a float32 array of `size` elements goes to the WebAssembly kernels. */
function wasmSized(size: number): boolean {
  return size >= kernelTuning.unaryMin && size > 0 && getBackend() === "wasm";
}

/** `op` of a float32 array in WebAssembly, or null where that does not apply (then the row loop runs). */
function wasmMap(op: UnaryKernel, a: NDArray): NDArray | null {
  if (!wasmSized(a.size)) return null;
  const o = likeDense(a);
  if (o === null) return null;
  return wasmUnary(op, a.data as Float32Array, a.offset, a.size, o.data as Float32Array, 0) ? o : null;
}

/**
 * A fresh float32 result for an elementwise op of `a` when `a` fills a gap-free block of storage:
 * contiguous, or in a permuted dim order (a transposed view), which the result then shares, as
 * PyTorch's elementwise results keep a dense input's layout; the kernel runs over the block in
 * storage order. Null for other layouts.
 */
function likeDense(a: NDArray): NDArray | null {
  if (a.isContiguous()) return uninitialized(a.shape, "float32");
  if (!isDenseLayout(a.shape, a.strides)) return null;
  return new NDArray(allocStorageUninit("float32", a.size), a.shape, a.strides, 0, "float32");
}

/** g * op'(x) in WebAssembly for same-shape contiguous float32 arrays, or null. */
function wasmGrad(op: GradKernel, x: Operand, g: Operand, out?: NDArray): NDArray | null {
  if (out !== undefined || !(x instanceof NDArray) || !(g instanceof NDArray) || x.dtype !== "float32" || g.dtype !== "float32") return null;
  if (!wasmSized(x.size) || x.ndim !== g.ndim || x.shape.some((s, d) => s !== g.shape[d]) || !x.isContiguous() || !g.isContiguous()) return null;
  const o = uninitialized(x.shape, "float32");
  return wasmUnaryGrad(op, x.data as Float32Array, x.offset, g.data as Float32Array, g.offset, x.size, o.data as Float32Array, 0) ? o : null;
}

/** -x. Matches `torch.neg`. */
export const neg = unaryOp("neg", "numeric", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = -a[ai + i * as]!; });
/** |x|. Matches `torch.abs`. */
export const abs = unaryOp("abs", "numeric", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.abs(a[ai + i * as]!); });
const expRow: UnaryRow = (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.exp(a[ai + i * as]!); };
/** e^x. Matches `torch.exp`. */
export const exp = unaryOp("exp", "float", expRow, expRow, "exp");
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
/** The error function (fdlibm's, < 1 ulp). Matches `torch.erf`. */
export const erf = unaryOp("erf", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = erfScalar(a[ai + i * as]!); });
const tanhRow: UnaryRow = (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.tanh(a[ai + i * as]!); };
/** Hyperbolic tangent. Matches `torch.tanh`. */
export const tanh = unaryOp("tanh", "float", tanhRow, tanhRow, "tanh");
const sigmoidRow: UnaryRow = (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = sigmoidScalar(a[ai + i * as]!); };
/** 1 / (1 + e^-x), overflow-free. Matches `torch.sigmoid`. */
export const sigmoid = unaryOp("sigmoid", "float", sigmoidRow, sigmoidRow, "sigmoid");
/** max(x, 0), NaN kept. Matches `torch.relu`. */
export const relu = unaryOp("relu", "numeric", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) { const x = a[ai + i * as]!; o[oi + i * os] = x < 0 ? 0 : x; } });
const geluRow: UnaryRow = (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = geluScalar(a[ai + i * as]!); };
/** x * Phi(x) with the exact erf. Matches `torch.nn.functional.gelu`. */
export const gelu = unaryOp("gelu", "float", geluRow, geluRow, "gelu");
const geluTanhRow: UnaryRow = (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = geluTanhScalar(a[ai + i * as]!); };
/** GELU's tanh approximation. Matches `gelu(x, approximate="tanh")`. */
export const geluTanh = unaryOp("geluTanh", "float", geluTanhRow, geluTanhRow, "geluTanh");
/** -1, 0 or 1 (NaN gives 0, as in PyTorch). Matches `torch.sign`. */
export const sign = unaryOp("sign", "any", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) { const x = a[ai + i * as]!; o[oi + i * os] = x > 0 ? 1 : x < 0 ? -1 : 0; } });
/** x * x (bool gives int32; int32 wraps). Matches `torch.square`. */
export const square = unaryOp(
  "square",
  "intOnBool",
  (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) { const x = a[ai + i * as]!; o[oi + i * os] = x * x; } },
  (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) { const x = a[ai + i * as]!; o[oi + i * os] = Math.imul(x, x); } },
);
/** 1 / x. Matches `torch.reciprocal`. */
export const reciprocal = unaryOp("reciprocal", "float", (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = 1 / a[ai + i * as]!; });
/** Logical not (nonzero -> false). Matches `torch.logical_not`. */
export function logicalNot(a: NDArray, out?: NDArray): NDArray {
  checkArray("logicalNot", a, "input");
  return mapUnary("logicalNot", a, "bool", (o, oi, os, x, xi, xs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = x[xi + i * xs] === 0 ? 1 : 0; }, out);
}

export type { Operand };

/**
 * How a binary op computes: `arith` in the promoted dtype (with a bool rule: or, and, an error
 * for two bool operands, or `errorAny` for any bool operand; and an int32 loop where doubles
 * would not wrap), `float` in at least float32 (true division), `compare`/`logical` produce
 * bool. `checked`: a JS scalar stored as int32 must fit (else it wraps, as PyTorch's `add`/`mul`
 * with a scalar do).
 */
type BinaryKind =
  | { kind: "arith"; onBool: "or" | "and" | "error" | "errorAny"; intRow?: BinaryRow; checked?: boolean }
  | { kind: "float" }
  | { kind: "compare" }
  | { kind: "logical" };

const boolOr: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! | b[bi + i * bs]!; };
const boolAnd: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! & b[bi + i * bs]!; };

function binaryOp(name: string, spec: BinaryKind, row: BinaryRow, wasm?: BinaryKernel): (a: Operand, b: Operand, out?: NDArray) => NDArray {
  return (a, b, out) => {
    checkOperand(name, a, "operand 0");
    checkOperand(name, b, "operand 1");
    if (typeof a !== "object" && typeof b !== "object") throw new TypeError(`${name}: at least one operand must be an array`);
    if (spec.kind === "arith" && spec.onBool === "errorAny" && (isBool(a) || isBool(b))) {
      throw new TypeError(`${name}: not supported for bool operands (use logicalXor, or logicalNot to invert a mask)`);
    }
    const common = resultType([a, b]);
    let compute = common;
    let dtype = common;
    let loop = row;
    let checked: string | undefined;
    if (spec.kind === "float" && !isFloating(common)) compute = dtype = DEFAULT_FLOAT;
    else if (spec.kind === "compare" || spec.kind === "logical") dtype = "bool";
    else if (spec.kind === "arith") {
      if (common === "bool") {
        if (spec.onBool === "error" || spec.onBool === "errorAny") throw new TypeError(`${name}: not supported for two bool operands (use the logical ops)`);
        loop = spec.onBool === "or" ? boolOr : boolAnd;
      } else if (common === "int32" && spec.intRow) loop = spec.intRow;
      if (spec.checked) checked = name;
    }
    if (wasm !== undefined && compute === "float32" && dtype === "float32") {
      const o = wasmArith(name, wasm, a, b, out);
      if (o !== null) return o;
    }
    // Logical ops test for nonzero, which needs no common dtype.
    const ca = spec.kind === "logical" ? asOperand(a) : asDType(a, compute, checked);
    const cb = spec.kind === "logical" ? asOperand(b) : asDType(b, compute, checked);
    return mapBinary(name, ca, cb, dtype, loop, out);
  };
}

const SWAPPED: Record<BinaryKernel, BinaryKernel> = { add: "add", mul: "mul", sub: "rsub", div: "rdiv", rsub: "sub", rdiv: "div" };

/**
 * `a op b` in WebAssembly for float32 operands when one is the whole result (contiguous) and
 * the other the same shape, a scalar, or its trailing dims (a bias row), writing a fresh array
 * or a contiguous float32 `out`; null where that does not apply (the row loops then run).
 * float32 arithmetic there rounds exactly as the loops do.
 */
function wasmArith(name: string, op: BinaryKernel, a: Operand, b: Operand, out?: NDArray): NDArray | null {
  if (typeof a === "boolean" || typeof b === "boolean" || getBackend() !== "wasm") return null;
  if (typeof a === "object" && a.dtype !== "float32") return null;
  if (typeof b === "object" && b.dtype !== "float32") return null;
  let [x, y, code] = [a, b, op];
  if (typeof x !== "object" || (typeof y === "object" && y.size > x.size)) [x, y, code] = [b, a, SWAPPED[op]];
  // An empty operand broadcasts to an empty result: the row loops handle its shape.
  if (typeof x !== "object" || x.size === 0 || x.size < kernelTuning.binaryMin) return null;
  if (typeof y === "object" && y.size === 0) return null;
  if (!x.isContiguous()) return out === undefined ? wasmArithDense(code, x, y) : null;
  let bn = 1;
  if (typeof y === "object") {
    if (y.ndim > x.ndim || (y.size > 1 && (!y.isContiguous() || !isTrailing(x.shape, y.shape)))) return null;
    bn = y.size;
  }
  if (out !== undefined && (out.dtype !== "float32" || !out.isContiguous())) return null;
  const o = out === undefined ? uninitialized(x.shape, "float32") : prepareOut(name, x.shape, "float32", typeof y === "object" ? [x, y] : [x], out);
  const yv = typeof y === "object" ? (y.data as Float32Array) : Math.fround(y);
  const yOff = typeof y === "object" ? y.offset : 0;
  return wasmBinary(code, x.data as Float32Array, x.offset, x.size, yv, yOff, bn, o.data as Float32Array, o.offset) ? o : null;
}

/**
 * `x op y` for a dense, non-contiguous x (a transposed view) with a scalar y, a one-element y,
 * or a y of x's shape and strides: computed over x's storage block in storage order into a
 * result with x's layout (see `likeDense`); null otherwise.
 */
function wasmArithDense(code: BinaryKernel, x: NDArray, y: Operand): NDArray | null {
  let yv: Float32Array | number;
  let yOff = 0;
  let bn = 1;
  if (typeof y === "number") yv = Math.fround(y);
  else if (typeof y === "object" && y.size === 1 && y.ndim <= x.ndim) [yv, yOff] = [y.data as Float32Array, y.offset];
  else if (typeof y === "object" && y.ndim === x.ndim && y.shape.every((s, d) => s === x.shape[d] && (s === 1 || y.strides[d] === x.strides[d]))) {
    [yv, yOff, bn] = [y.data as Float32Array, y.offset, x.size];
  } else return null;
  const o = likeDense(x);
  if (o === null) return null;
  return wasmBinary(code, x.data as Float32Array, x.offset, x.size, yv, yOff, bn, o.data as Float32Array, 0) ? o : null;
}

function isBool(x: Operand): boolean {
  return typeof x === "boolean" || (typeof x === "object" && x.dtype === "bool");
}

function asOperand(x: Operand): NDArray {
  return typeof x === "object" ? x : scalarArray(x, typeof x === "boolean" ? "bool" : "float64");
}

/** a + b (bool: or). Matches `torch.add`. */
export const add = binaryOp("add", { kind: "arith", onBool: "or" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! + b[bi + i * bs]!; }, "add");
/** a - b; any bool operand (array or JS boolean) throws, as in PyTorch. Matches `torch.sub`. */
export const sub = binaryOp("sub", { kind: "arith", onBool: "errorAny" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! - b[bi + i * bs]!; }, "sub");

const mulInt32: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.imul(a[ai + i * as]!, b[bi + i * bs]!); };
/** a * b (bool: and; int32 wraps like C). Matches `torch.mul`. */
export const mul = binaryOp("mul", { kind: "arith", onBool: "and", intRow: mulInt32 }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! * b[bi + i * bs]!; }, "mul");
/** a / b, true division (integers give float32). Matches `torch.div`. */
export const div = binaryOp("div", { kind: "float" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]! / b[bi + i * bs]!; }, "div");
/** Elementwise max, NaN-propagating (bool: or); a JS scalar must fit an int32 result. Matches `torch.maximum`. */
export const maximum = binaryOp("maximum", { kind: "arith", onBool: "or", checked: true }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.max(a[ai + i * as]!, b[bi + i * bs]!); });
/** Elementwise min, NaN-propagating (bool: and); a JS scalar must fit an int32 result. Matches `torch.minimum`. */
export const minimum = binaryOp("minimum", { kind: "arith", onBool: "and", checked: true }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = Math.min(a[ai + i * as]!, b[bi + i * bs]!); });
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

export { pow } from "./pow.js";

const geluBackwardJs = binaryOp("geluBackward", { kind: "float" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = b[bi + i * bs]! * geluGradScalar(a[ai + i * as]!); });
const geluTanhBackwardJs = binaryOp("geluTanhBackward", { kind: "float" }, (o, oi, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = b[bi + i * bs]! * geluTanhGradScalar(a[ai + i * as]!); });

/** g * GELU'(x), the fused gradient of gelu (x is operand 0, the incoming gradient operand 1). */
export function geluBackward(x: Operand, g: Operand, out?: NDArray): NDArray {
  return wasmGrad("gelu", x, g, out) ?? geluBackwardJs(x, g, out);
}

/**
 * GELU of a float32 array together with Phi(x), the part of its gradient that costs an erf:
 * `{ y, cdf }` on the wasm backend (y has `gelu`'s bits), or null where that kernel does not
 * apply (then `gelu` and `geluBackward` serve). Autograd keeps cdf for `geluBackwardFromCdf`.
 */
export function geluKeepingCdf(x: NDArray): { y: NDArray; cdf: NDArray } | null {
  if (x.dtype !== "float32" || !wasmSized(x.size) || !x.isContiguous()) return null;
  const y = uninitialized(x.shape, "float32");
  const cdf = uninitialized(x.shape, "float32");
  return wasmGeluCdf(x.data as Float32Array, x.offset, x.size, y.data as Float32Array, 0, cdf.data as Float32Array, 0) ? { y, cdf } : null;
}

/** g * GELU'(x) from the cdf that `geluKeepingCdf` kept: `geluBackward(x, g)`'s bits, without the erf; null where it does not apply. */
export function geluBackwardFromCdf(x: NDArray, cdf: NDArray, g: NDArray): NDArray | null {
  const same = (a: NDArray) => a.dtype === "float32" && a.isContiguous() && a.ndim === x.ndim && a.shape.every((s, d) => s === x.shape[d]);
  if (x.dtype !== "float32" || !x.isContiguous() || !same(cdf) || !same(g) || !wasmSized(x.size)) return null;
  const o = uninitialized(x.shape, "float32");
  const ok = wasmGeluGradCdf(
    x.data as Float32Array, x.offset, cdf.data as Float32Array, cdf.offset, g.data as Float32Array, g.offset, x.size, o.data as Float32Array, 0,
  );
  return ok ? o : null;
}

/** g * GELU_tanh'(x), the fused gradient of the tanh approximation. */
export function geluTanhBackward(x: Operand, g: Operand, out?: NDArray): NDArray {
  return wasmGrad("geluTanh", x, g, out) ?? geluTanhBackwardJs(x, g, out);
}

const whereRow: TernaryRow = (o, oi, os, c, ci, cs, a, ai, as, b, bi, bs, n) => {
  for (let i = 0; i < n; i++) o[oi + i * os] = c[ci + i * cs] !== 0 ? a[ai + i * as]! : b[bi + i * bs]!;
};

/** Picks `a` where `cond` is true, else `b`, broadcasting all three. Matches `torch.where`. */
export function where(cond: NDArray, a: Operand, b: Operand, out?: NDArray): NDArray {
  const op = "where";
  checkArray(op, cond, "condition");
  checkOperand(op, a, "operand 1");
  checkOperand(op, b, "operand 2");
  if (cond.dtype !== "bool") throw new TypeError(`${op}: condition must be a bool tensor, got ${cond.dtype}`);
  const dtype = resultType([a, b]);
  return mapTernary(op, cond, asDType(a, dtype, op), asDType(b, dtype, op), dtype, whereRow, out);
}

/** A fill value (a JS scalar, or a 0-d array as PyTorch allows) as what `dtype` stores, range-checked. */
function fillValue(op: string, value: unknown, dtype: DType): number {
  checkOperand(op, value, "value");
  if (typeof value !== "object") return castScalarChecked(value, dtype, op);
  if (value.ndim !== 0) throw new RangeError(`${op}: a value array must be 0-d, got ${value.ndim} dim(s)`);
  return castScalarChecked(value.item(), dtype, op);
}

/**
 * Sets elements where `mask` is true to `value` (a number, boolean or 0-d array), keeping `a`'s
 * dtype; mask and `a` broadcast. Matches `torch.masked_fill`.
 */
export function maskedFill(a: NDArray, mask: NDArray, value: Operand, out?: NDArray): NDArray {
  const op = "maskedFill";
  checkArray(op, a, "input");
  checkArray(op, mask, "mask");
  if (mask.dtype !== "bool") throw new TypeError(`${op}: mask must be a bool tensor, got ${mask.dtype}`);
  const v = scalarArray(fillValue(op, value, a.dtype), a.dtype);
  return mapTernary(op, mask, v, a, a.dtype, whereRow, out);
}

/**
 * Limits values to [min, max] (either may be omitted; min > max gives max; NaN stays NaN);
 * bounds may be scalars or broadcastable arrays; a JS number bound must fit an int32 result.
 * Matches `torch.clamp`.
 */
export function clamp(a: NDArray, min?: Operand | null, max?: Operand | null, out?: NDArray): NDArray {
  const op = "clamp";
  checkArray(op, a, "input");
  const lo = min ?? undefined;
  const hi = max ?? undefined;
  if (lo !== undefined) checkOperand(op, lo, "min");
  if (hi !== undefined) checkOperand(op, hi, "max");
  if (lo === undefined && hi === undefined) throw new TypeError(`${op}: at least one of min and max must be given`);
  const bounds = [lo, hi].filter((x): x is Operand => x !== undefined);
  const dtype = resultType([a, ...bounds]);
  if (dtype === "bool") throw new TypeError(`${op}: not supported for bool tensors`);
  for (const bound of bounds) if (typeof bound !== "object") castScalarChecked(bound, dtype, op);
  const x = a.astype(dtype);
  if (hi === undefined) return maximum(x, lo!, out);
  if (lo === undefined) return minimum(x, hi, out);
  if (typeof lo !== "object" && typeof hi !== "object") {
    const l = castScalarChecked(lo, dtype, op);
    const h = castScalarChecked(hi, dtype, op);
    return mapUnary(op, x, dtype, (o, oi, os, s, si, ss, n) => {
      for (let i = 0; i < n; i++) o[oi + i * os] = Math.min(Math.max(s[si + i * ss]!, l), h);
    }, out);
  }
  return minimum(maximum(x, lo), hi, out);
}

/**
 * Writes `value` (a number, boolean or 0-d array) into every element of `out` (any strides);
 * an int32 `out` must hold it. Matches `torch.Tensor.fill_`.
 */
export function fill(out: NDArray, value: Operand): NDArray {
  checkArray("fill", out, "output");
  const v = scalarArray(fillValue("fill", value, out.dtype), out.dtype);
  return mapUnary("fill", v.expand(out.shape), out.dtype, copyRow, out);
}

const copyRow: UnaryRow = (o, oi, os, a, ai, as, n) => { for (let i = 0; i < n; i++) o[oi + i * os] = a[ai + i * as]!; };

/**
 * Copies `src` into `out`, broadcasting `src` to `out`'s shape and converting to its dtype.
 * Matches `torch.Tensor.copy_`.
 */
export function copy(out: NDArray, src: NDArray): NDArray {
  checkArray("copy", out, "output");
  checkArray("copy", src, "source");
  const source = src.astype(out.dtype).broadcastTo(out.shape);
  if (!out.sharesStorage(source) && !out.shape.some((s, d) => s > 1 && out.strides[d] === 0)) {
    // Disjoint memory and one address per output element: nothing for the row loop to check.
    copyStrided(out.shape, source.data, source, out.data, out, out.dtype);
    return out;
  }
  return mapUnary("copy", source, out.dtype, copyRow, out);
}
