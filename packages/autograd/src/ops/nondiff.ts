/**
 * @file Functions without gradients, as in PyTorch: comparisons, logical ops, sign, argmax,
 * argmin and oneHot. Their results never require grad, so they are plain kernels wrapped in a
 * Tensor (no op definition, no node).
 */
import * as K from "@typegrad/tensor";
import { Tensor } from "../tensor.js";

/** A tensor or a JS number (a weak scalar). */
export type Operand = Tensor | number;

const raw = (x: Operand) => (typeof x === "number" ? x : x.array);

/** a == b (bool). Matches `torch.eq`. */
export const eq = (a: Operand, b: Operand): Tensor => new Tensor(K.eq(raw(a), raw(b)));
/** a != b (bool). Matches `torch.ne`. */
export const ne = (a: Operand, b: Operand): Tensor => new Tensor(K.ne(raw(a), raw(b)));
/** a < b (bool). Matches `torch.lt`. */
export const lt = (a: Operand, b: Operand): Tensor => new Tensor(K.lt(raw(a), raw(b)));
/** a <= b (bool). Matches `torch.le`. */
export const le = (a: Operand, b: Operand): Tensor => new Tensor(K.le(raw(a), raw(b)));
/** a > b (bool). Matches `torch.gt`. */
export const gt = (a: Operand, b: Operand): Tensor => new Tensor(K.gt(raw(a), raw(b)));
/** a >= b (bool). Matches `torch.ge`. */
export const ge = (a: Operand, b: Operand): Tensor => new Tensor(K.ge(raw(a), raw(b)));
/** Both nonzero (bool). Matches `torch.logical_and`. */
export const logicalAnd = (a: Operand, b: Operand): Tensor => new Tensor(K.logicalAnd(raw(a), raw(b)));
/** Either nonzero (bool). Matches `torch.logical_or`. */
export const logicalOr = (a: Operand, b: Operand): Tensor => new Tensor(K.logicalOr(raw(a), raw(b)));
/** Exactly one nonzero (bool). Matches `torch.logical_xor`. */
export const logicalXor = (a: Operand, b: Operand): Tensor => new Tensor(K.logicalXor(raw(a), raw(b)));
/** Zero (bool). Matches `torch.logical_not`. */
export const logicalNot = (a: Tensor): Tensor => new Tensor(K.logicalNot(a.array));
/** -1, 0 or 1. Matches `torch.sign` (its gradient is zero, so it records nothing). */
export const sign = (a: Tensor): Tensor => new Tensor(K.sign(a.array));
/** Index of the first maximum along `dim` (flattened without one). Matches `torch.argmax`. */
export const argmax = (a: Tensor, dim?: number, keepdim = false): Tensor => new Tensor(K.argmax(a.array, dim, keepdim));
/** Index of the first minimum along `dim` (flattened without one). Matches `torch.argmin`. */
export const argmin = (a: Tensor, dim?: number, keepdim = false): Tensor => new Tensor(K.argmin(a.array, dim, keepdim));
/** int32 one-hot rows appended as a last dim. Matches `torch.nn.functional.one_hot`. */
export const oneHot = (indices: Tensor, numClasses = -1): Tensor => new Tensor(K.oneHot(indices.array, numClasses));

/** Indices of the first max along `dim`, keeping the dim (errors name `max`). */
export const argmaxKeepdim = (x: Tensor, dim: number): Tensor => new Tensor(K.maxDim(x.array, dim, true).indices);
/** Indices of the first min along `dim`, keeping the dim (errors name `min`). */
export const argminKeepdim = (x: Tensor, dim: number): Tensor => new Tensor(K.minDim(x.array, dim, true).indices);
