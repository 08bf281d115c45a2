/**
 * @file Reductions with rules: sum, amax/amin (ties share the gradient evenly, as in PyTorch)
 * and logsumexp. `dims` are normalized (sorted, non-negative) by the Tensor methods. mean,
 * var, std, prod and max/min with a dim are composites (see ../composite.ts).
 */
import * as K from "@typegrad/tensor";
import type { Tensor } from "../tensor.js";
import { defineOp } from "./define.js";

/** Normalized reduction arguments. */
export interface ReduceParams {
  dims: readonly number[];
  keepdim: boolean;
}

/** `shape` with the reduced dims kept as size 1. */
export function keepdimShape(shape: readonly number[], dims: readonly number[]): number[] {
  return shape.map((s, d) => (dims.includes(d) ? 1 : s));
}

/** A reduced tensor brought back to keepdim form (a view; nothing to do when keepdim was set). */
export function withKeptDims(t: Tensor, shape: readonly number[], { dims, keepdim }: ReduceParams): Tensor {
  return keepdim ? t : t.reshape(keepdimShape(shape, dims));
}

/** Sum over dims. */
export const sum = defineOp<ReduceParams>({
  name: "sum",
  forward: ([x], { dims, keepdim }) => K.sum(x!, dims, keepdim),
  // d/dx_i sum(x) = 1: the gradient is broadcast back over the reduced dims
  backward: (g, { params, inputShapes: [shape] }) => [withKeptDims(g, shape!, params).expand(shape!)],
});

function extremumRule(g: Tensor, x: Tensor, y: Tensor, params: ReduceParams): Tensor {
  // d/dx_i max(x) = [x_i == max] / #ties: tied elements share the gradient evenly
  const mask = x.eq(withKeptDims(y, x.shape, params)).to(x.dtype);
  return withKeptDims(g, x.shape, params).mul(mask).div(mask.sum(params.dims, true));
}

/** Largest value over dims. */
export const amax = defineOp<ReduceParams>({
  name: "amax",
  save: { inputs: true, output: true },
  forward: ([x], { dims, keepdim }) => K.amax(x!, dims, keepdim),
  backward: (g, { inputs: [x], output, params }) => [extremumRule(g, x!, output, params)],
});

/** Smallest value over dims. */
export const amin = defineOp<ReduceParams>({
  name: "amin",
  save: { inputs: true, output: true },
  forward: ([x], { dims, keepdim }) => K.amin(x!, dims, keepdim),
  backward: (g, { inputs: [x], output, params }) => [extremumRule(g, x!, output, params)],
});

/** log(sum(exp(x))) over dims, max-subtracted. */
export const logsumexp = defineOp<ReduceParams>({
  name: "logsumexp",
  save: { inputs: true, output: true },
  forward: ([x], { dims, keepdim }) => K.logsumexp(x!, dims, keepdim),
  backward: (g, { inputs: [x], output, params }) => {
    // d/dx_i log sum exp(x) = exp(x_i - y), the softmax
    const y = withKeptDims(output, x!.shape, params);
    return [withKeptDims(g, x!.shape, params).mul(x!.sub(y).exp())];
  },
});
