/**
 * @file Matrix product with PyTorch's rules (1-d operands, broadcast batch dims). The rule
 * multiplies by transposed views, which the gemm reads in place without copying; the engine
 * sums gradients over broadcast batch dims, except for a matrix applied to a batch, whose
 * gradient folds the batch into one product.
 */
import * as K from "@typegrad/tensor";
import type { NDArray } from "@typegrad/tensor";
import { isGradEnabled } from "../grad-mode.js";
import { Tensor } from "../tensor.js";
import { defineOp } from "./define.js";

/** Options of the matmul op. */
export interface MatmulParams {
  /** Lays the product out in the dim order of these strides (values unchanged; see K.matmul). */
  readonly layoutLike?: readonly number[];
}

/** a @ b */
export const matmul = defineOp<MatmulParams | void, readonly [NDArray, NDArray]>({
  name: "matmul",
  save: { inputs: true },
  forward: ([a, b], params) => K.matmul(a, b, params ? { layoutLike: params.layoutLike } : {}),
  backward: (g, { inputs: [a, b], needsInputGrad: [na, nb] }) => {
    if (a.ndim === 1 && b.ndim === 1) return [na ? g.mul(b) : null, nb ? g.mul(a) : null]; // d(a.b) = b da + a db
    // Work in matrix form: a 1-d a is a row [1, k], a 1-d b a column [k, 1].
    const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
    const b2 = b.ndim === 1 ? b.unsqueeze(1) : b;
    const g2 = a.ndim === 1 ? g.unsqueeze(-2) : b.ndim === 1 ? g.unsqueeze(-1) : g;
    // dA = G B^T, dB = A^T G, each laid out like its input: the gradient of a view (attention
    // heads split from a projection) then goes back through the view's reshape without a copy.
    let ga = na ? product(g2, b2.transpose(-1, -2), a2.array.strides) : null;
    let gb: Tensor | null = null;
    if (nb && b2.ndim === 2) {
      // A matrix applied to a batch (a Linear layer): fold the batch into the product's depth,
      // one gemm (rows of A^T against rows of G) instead of a batch of gemms summed afterwards.
      // (Explicit row counts: reshape cannot infer -1 next to a 0-sized dim.)
      const rows = a2.shape.slice(0, -1).reduce((x, y) => x * y, 1);
      const rowsA = a2.reshape([rows, a2.shape[a2.ndim - 1]!]);
      const rowsG = g2.reshape([rows, g2.shape[g2.ndim - 1]!]);
      gb = product(rowsA.transpose(0, 1), rowsG, b2.array.strides);
    } else if (nb) gb = product(a2.transpose(-1, -2), g2, b2.array.strides);
    if (ga && a.ndim === 1) ga = ga.squeeze(-2);
    if (gb && b.ndim === 1) gb = gb.squeeze(-1);
    return [ga, gb];
  },
});

/**
 * x @ y laid out like `like` (an input's strides). For an input transposed in its last two dims
 * (attention's K^T, Linear's W^T) it is (y^T x^T)^T: the gemm writes rows with unit stride, and
 * each element sums the same products in the same order; W.grad is then a plain copy.
 */
function product(x: Tensor, y: Tensor, like: readonly number[]): Tensor {
  const n = like.length;
  if (n >= 2 && Math.abs(like[n - 2]!) < Math.abs(like[n - 1]!)) {
    const swapped = [...like.slice(0, -2), like[n - 1]!, like[n - 2]!];
    return product(y.transpose(-1, -2), x.transpose(-1, -2), swapped).transpose(-1, -2);
  }
  return matmul.apply([x, y], { layoutLike: like });
}

/**
 * x @ w^T + b over the last dim of x (b: an array broadcast against the product, or the number
 * 0 for none): F.linear as one node. The bias is added into the product's own storage (inside
 * the gemm for a 1-d one, as addmm), and backward is two products and no transposing copy:
 * dx = g w, dw = g^T x over all rows (w's own layout), db = g (summed to b's shape by the
 * engine, as for add).
 */
export const linear = defineOp<void, readonly [NDArray, NDArray, NDArray | number]>({
  name: "linear",
  save: { inputs: true },
  forward: ([x, w, b]) => {
    // A [out] bias (nn.Linear's) goes on inside the product: the same values, one pass fewer.
    if (typeof b !== "number" && b.ndim === 1 && b.shape[0] === w.shape[0] && b.dtype === x.dtype && w.dtype === x.dtype) {
      return K.matmul(x, w.transpose(0, 1), { bias: b });
    }
    const y = K.matmul(x, w.transpose(0, 1));
    if (typeof b === "number") return b === 0 ? y : K.add(y, b, y);
    // As PyTorch's addmm: the bias broadcasts to the product's shape, in its dtype.
    const what = `linear: bias of shape [${b.shape.join(",")}] (${b.dtype})`;
    if (b.dtype !== y.dtype) throw new TypeError(`${what} must have the output's dtype ${y.dtype}`);
    const shape = K.broadcastShapes([y.shape, b.shape], "linear (bias)");
    if (shape.length !== y.ndim || shape.some((s, d) => s !== y.shape[d])) throw new RangeError(`${what} does not broadcast to the output [${y.shape.join(",")}]`);
    return K.add(y, b, y);
  },
  backward: (g, { inputs: [x, w, b], needsInputGrad: [nx, nw, nb] }) => {
    const [outF, inF] = w.shape as [number, number];
    // Explicit row counts: reshape cannot infer -1 next to a 0-sized dim.
    const rows = x.shape.slice(0, -1).reduce((p, s) => p * s, 1);
    const db = nb && typeof b !== "number" ? g : null;
    if (!isGradEnabled()) {
      const ga = g.array;
      const g2 = ga.reshape([rows, outF]);
      return [
        nx ? new Tensor(K.matmul(ga, w.array)) : null,
        nw ? new Tensor(K.matmul(g2.transpose(0, 1), x.array.reshape([rows, inF]))) : null,
        db,
      ];
    }
    const g2 = g.reshape([rows, outF]);
    return [nx ? g.matmul(w) : null, nw ? g2.transpose(0, 1).matmul(x.reshape([rows, inF])) : null, db];
  },
});
