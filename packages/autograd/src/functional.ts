/**
 * @file Free-function forms of the n-ary ops, as PyTorch has them: `tg.where`, `tg.maximum`,
 * `tg.minimum`, `tg.cat`, `tg.stack`, `tg.matmul`. They delegate to the same op table.
 */
import type { Tensor, Operand } from "./tensor.js";
import * as B from "./ops/binary.js";
import * as MM from "./ops/matmul.js";
import * as S from "./ops/selection.js";

export { cat, stack } from "./composite.js";

/** `a` where `condition`, else `b`; a and b may be JS numbers. Matches `torch.where`. */
export function where(condition: Tensor, a: Operand, b: Operand): Tensor {
  return S.where.apply([condition, a, b]);
}

/** Elementwise max. Matches `torch.maximum`. */
export function maximum(a: Operand, b: Operand): Tensor {
  return B.maximum.apply([a, b]);
}

/** Elementwise min. Matches `torch.minimum`. */
export function minimum(a: Operand, b: Operand): Tensor {
  return B.minimum.apply([a, b]);
}

/** Matrix product. Matches `torch.matmul`. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return MM.matmul.apply([a, b]);
}
