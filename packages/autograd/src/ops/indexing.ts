/**
 * @file Indexing ops: gather, scatterAdd, indexSelect, tril and triu. Index tensors are int32
 * inputs without gradients (saved and version-checked). The gradient of a gather is a
 * scatter-add and vice versa, so the rules differentiate again.
 */
import * as K from "@typegrad/tensor";
import type { NDArray } from "@typegrad/tensor";
import { zerosLike } from "../factories.js";
import type { Tensor } from "../tensor.js";
import { defineOp } from "./define.js";
import { sliceBackward } from "./movement.js";

/** out[p] = x[p with dim replaced by index[p]] */
export const gather = defineOp<{ dim: number }, readonly [NDArray, NDArray]>({
  name: "gather",
  save: { inputs: true },
  forward: ([x, index], { dim }) => K.gather(x, dim, index),
  // each read element receives its gradient back: scatter-add into zeros
  backward: (g, { inputs: [x, index], params: { dim } }) => [zerosLike(x).scatterAdd(dim, index, g), null],
});

/** x with src added at (p with dim replaced by index[p]) */
export const scatterAdd = defineOp<{ dim: number }, readonly [NDArray, NDArray, NDArray]>({
  name: "scatterAdd",
  save: { inputs: true },
  forward: ([x, index, src], { dim }) => K.scatterAdd(x, dim, index, src),
  // d/dx = identity; d/dsrc[p] = g at the position src[p] was added to (a gather), and 0 for
  // the elements of src beyond the index's extent
  backward: (g, { inputs: [, index], params: { dim }, needsInputGrad: [nx, , ns], inputShapes: [, , srcShape] }) => [
    nx ? g : null,
    null,
    ns ? padTo(g.gather(dim, index), srcShape!) : null,
  ],
});

/** `t` zero-padded at the end of each dim up to `shape` (differentiable: its gradient slices). */
function padTo(t: Tensor, shape: readonly number[]): Tensor {
  let out = t;
  shape.forEach((size, dim) => {
    const have = out.shape[dim]!;
    if (have === size) return;
    const padded = out.shape.map((s, d) => (d === dim ? size : s));
    out = sliceBackward.apply([out], { dim, start: 0, end: have, step: 1, shape: padded });
  });
  return out;
}

/** Slices of x along dim at the positions of a 1-d index. */
export const indexSelect = defineOp<{ dim: number }, readonly [NDArray, NDArray]>({
  name: "indexSelect",
  save: { inputs: true },
  forward: ([x, index], { dim }) => K.indexSelect(x, dim, index),
  backward: (g, { inputs: [x, index], params: { dim } }) => {
    // scatter-add each selected slice back to its position (repeated indices accumulate)
    if (x.ndim === 0) return [g.sum(), null];
    const along = g.shape.map((_, d) => (d === dim ? index.numel() : 1));
    return [zerosLike(x).scatterAdd(dim, index.reshape(along).expand(g.shape), g), null];
  },
});

/** Lower triangle of the last two dims. */
export const tril = defineOp<{ diagonal: number }>({
  name: "tril",
  forward: ([x], { diagonal }) => K.tril(x!, diagonal),
  backward: (g, { params: { diagonal } }) => [g.tril(diagonal)], // the kept elements pass their gradient
});

/** Upper triangle of the last two dims. */
export const triu = defineOp<{ diagonal: number }>({
  name: "triu",
  forward: ([x], { diagonal }) => K.triu(x!, diagonal),
  backward: (g, { params: { diagonal } }) => [g.triu(diagonal)],
});
