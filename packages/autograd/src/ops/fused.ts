/**
 * @file Fused ops with closed-form backward rules, for stability and speed: softmax and
 * log-softmax along one dim (normalized by the caller). GELU lives with the unary ops.
 */
import * as K from "@typegrad/tensor";
import { defineOp } from "./define.js";

/** Softmax along `dim`. */
export const softmax = defineOp<{ dim: number }>({
  name: "softmax",
  save: { output: true },
  forward: ([x], { dim }) => K.softmax(x!, dim),
  // dx = y * (g - sum(g * y)), the Jacobian-vector product of softmax
  backward: (g, { output: y, params: { dim } }) => [y.mul(g.sub(g.mul(y).sum(dim, true)))],
});

/** Log-softmax along `dim`. */
export const logSoftmax = defineOp<{ dim: number }>({
  name: "logSoftmax",
  save: { output: true },
  forward: ([x], { dim }) => K.logSoftmax(x!, dim),
  // dx = g - exp(y) * sum(g)
  backward: (g, { output: y, params: { dim } }) => [g.sub(y.exp().mul(g.sum(dim, true)))],
});
