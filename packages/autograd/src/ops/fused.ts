/**
 * @file Fused ops with closed-form backward rules, for stability and speed: softmax and
 * log-softmax along one dim (normalized by the caller), and layer norm. GELU lives with the
 * unary ops.
 */
import * as K from "@typegrad/tensor";
import type { NDArray } from "@typegrad/tensor";
import { isGradEnabled } from "../grad-mode.js";
import { Tensor } from "../tensor.js";
import { defineOp } from "./define.js";

/** Softmax along `dim`. */
export const softmax = defineOp<{ dim: number }>({
  name: "softmax",
  save: { output: true },
  forward: ([x], { dim }) => K.softmax(x!, dim),
  // dx = y * (g - sum(g * y)), the Jacobian-vector product of softmax (fused when no graph is recorded)
  backward: (g, { output: y, params: { dim } }) =>
    isGradEnabled() ? [y.mul(g.sub(g.mul(y).sum(dim, true)))] : [new Tensor(K.softmaxBackward(y.array, g.array, dim))],
});

/** Log-softmax along `dim`. */
export const logSoftmax = defineOp<{ dim: number }>({
  name: "logSoftmax",
  save: { output: true },
  forward: ([x], { dim }) => K.logSoftmax(x!, dim),
  // dx = g - exp(y) * sum(g) (fused when no graph is recorded)
  backward: (g, { output: y, params: { dim } }) =>
    isGradEnabled() ? [g.sub(y.exp().mul(g.sum(dim, true)))] : [new Tensor(K.logSoftmaxBackward(y.array, g.array, dim))],
});

/** Layer norm over the last `k` dims; absent weight/bias are passed as the numbers 1 and 0. */
export const layerNorm = defineOp<{ k: number; eps: number }, readonly [NDArray, NDArray | number, NDArray | number]>({
  name: "layerNorm",
  save: { inputs: true },
  forward: ([x, w, b], { k, eps }) => K.layerNorm(x, k, typeof w === "number" ? null : w, typeof b === "number" ? null : b, eps),
  backward: (g, { inputs: [x, w], params: { k, eps }, needsInputGrad: [nx, nw, nb] }) => {
    // With xhat = (x - mean) * rstd over the last k dims and gw = g * w:
    // dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), dw = g * xhat, db = g (summed by the engine).
    // The statistics are recomputed: by one fused kernel when no graph is recorded, else with
    // tensor ops so that the rule differentiates again.
    if (!isGradEnabled()) {
      const { dx, dw, db } = K.layerNormBackward(x.array, g.array, typeof w === "number" ? null : w.array, k, eps, nb === true);
      const wrap = (a: NDArray | null, need: boolean | undefined) => (a && need ? new Tensor(a) : null);
      return [wrap(dx, nx), wrap(dw, nw), wrap(db, nb)];
    }
    const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
    const centered = x.sub(x.mean(dims, true));
    const rstd = centered.square().mean(dims, true).add(eps).rsqrt();
    const xhat = centered.mul(rstd);
    const gw = typeof w === "number" ? g : g.mul(w);
    const dx = nx ? gw.sub(gw.mean(dims, true)).sub(xhat.mul(gw.mul(xhat).mean(dims, true))).mul(rstd) : null;
    return [dx, nw ? g.mul(xhat) : null, nb ? g : null];
  },
});
