/**
 * @file The op table: every differentiable op by name, primitives (with a rule) and
 * composites (without one). The op-info test table is typed over these names, so an op
 * without a test entry does not compile.
 */
import * as C from "../composite.js";
import { trustRules } from "../grad-ledger.js";
import type { Tensor } from "../tensor.js";
import * as B from "./binary.js";
import * as F from "./fused.js";
import * as I from "./indexing.js";
import * as MM from "./matmul.js";
import * as M from "./movement.js";
import * as R from "./reduce.js";
import * as S from "./selection.js";
import * as U from "./unary.js";

/** Ops defined with a backward rule. */
export const primitiveOps = {
  neg: U.neg, abs: U.abs, exp: U.exp, log: U.log, log1p: U.log1p, sqrt: U.sqrt, rsqrt: U.rsqrt,
  sin: U.sin, cos: U.cos, tanh: U.tanh, sigmoid: U.sigmoid, relu: U.relu, erf: U.erf,
  reciprocal: U.reciprocal, gelu: U.gelu, geluTanh: U.geluTanh, cast: U.cast,
  add: B.add, mul: B.mul, div: B.div, pow: B.pow, maximum: B.maximum, minimum: B.minimum,
  where: S.where, maskedFill: S.maskedFill, clamp: S.clamp,
  sum: R.sum, amax: R.amax, amin: R.amin, logsumexp: R.logsumexp,
  softmax: F.softmax, logSoftmax: F.logSoftmax, layerNorm: F.layerNorm, matmul: MM.matmul, linear: MM.linear,
  reshape: M.reshape, view: M.view, permute: M.permute, expand: M.expand, slice: M.slice,
  sliceBackward: M.sliceBackward, asStrided: M.asStrided, asStridedBackward: M.asStridedBackward,
  contiguous: M.contiguous, clone: M.clone, cat: M.cat,
  gather: I.gather, scatterAdd: I.scatterAdd, indexSelect: I.indexSelect, tril: I.tril, triu: I.triu,
} as const;

// Their rules keep no reference to a gradient, so backward may reuse the memory of consumed ones.
trustRules(Object.values(primitiveOps).map((op) => op.spec));

/** Differentiable ops written with other ops (their gradients come from the primitives). */
export const compositeOps = {
  sub: C.sub, square: C.square, mean: C.mean, var: C.variance, std: C.std, prod: C.prod,
  max: C.maxDim, min: C.minDim, transpose: C.transpose, narrow: C.narrow, select: C.select,
  stack: C.stack, split: C.split, chunk: C.chunk,
  squeeze: (x: Tensor, dim?: number) => x.squeeze(dim),
  unsqueeze: (x: Tensor, dim: number) => x.unsqueeze(dim),
  flatten: (x: Tensor, start?: number, end?: number) => x.flatten(start, end),
  t: (x: Tensor) => x.t(),
  expandAs: (x: Tensor, other: Tensor) => x.expandAs(other),
} as const;

/** The name of a primitive op. */
export type PrimitiveName = keyof typeof primitiveOps;
/** The name of any differentiable op. */
export type OpName = PrimitiveName | keyof typeof compositeOps;

/** Every differentiable op's name. */
export const OP_NAMES = [...Object.keys(primitiveOps), ...Object.keys(compositeOps)] as OpName[];
