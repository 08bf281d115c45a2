/**
 * @file Selection ops: where, clamp and maskedFill. Bool conditions and masks are inputs
 * without gradients (saved and version-checked like any input); scalar values are params.
 */
import * as K from "@typegrad/tensor";
import type { NDArray } from "@typegrad/tensor";
import { defineOp } from "./define.js";

/** where(cond, a, b); a and b may be JS numbers. */
export const where = defineOp<void, readonly [NDArray, NDArray | number, NDArray | number]>({
  name: "where",
  save: { inputs: true },
  forward: ([cond, a, b]) => K.where(cond, a, b),
  backward: (g, { inputs: [cond], needsInputGrad: [, na, nb] }) => [
    null,
    na ? g.maskedFill(cond.logicalNot(), 0) : null, // d/da = [cond]
    nb ? g.maskedFill(cond, 0) : null, // d/db = [not cond]
  ],
});

/** maskedFill(x, mask, value): value where mask, else x. */
export const maskedFill = defineOp<{ value: number }, readonly [NDArray, NDArray]>({
  name: "maskedFill",
  save: { inputs: true },
  forward: ([x, mask], { value }) => K.maskedFill(x, mask, value),
  backward: (g, { inputs: [, mask] }) => [g.maskedFill(mask, 0), null], // d/dx = [not mask]
});

/** Which clamp bounds are given (an absent bound's input slot holds a placeholder 0). */
export interface ClampParams {
  hasMin: boolean;
  hasMax: boolean;
}

/** clamp(x, min, max); the bounds may be tensors (with gradients) or JS numbers. */
export const clamp = defineOp<ClampParams, readonly [NDArray, NDArray | number, NDArray | number]>({
  name: "clamp",
  save: { inputs: true },
  forward: ([x, lo, hi], { hasMin, hasMax }) => K.clamp(x, hasMin ? lo : null, hasMax ? hi : null),
  backward: (g, { inputs: [x, lo, hi], params: { hasMin, hasMax }, needsInputGrad: [nx, nlo, nhi] }) => {
    // d/dx = [min <= x <= max]; d/dmin = [x < min and min < max]; d/dmax = [x > max or max < min] (PyTorch)
    const above = hasMin ? x.lt(lo) : null;
    const below = hasMax ? x.gt(hi) : null;
    const outside = above && below ? above.logicalOr(below) : (above ?? below)!;
    let gMin = null;
    let gMax = null;
    if (nlo && hasMin && typeof lo !== "number") {
      const minWins = hasMax ? above!.logicalAnd(lo.lt(hi)) : above!;
      gMin = g.maskedFill(minWins.logicalNot(), 0);
    }
    if (nhi && hasMax && typeof hi !== "number") {
      const maxWins = hasMin ? below!.logicalOr(hi.lt(lo)) : below!;
      gMax = g.maskedFill(maxWins.logicalNot(), 0);
    }
    return [nx ? g.maskedFill(outside, 0) : null, gMin, gMax];
  },
});
