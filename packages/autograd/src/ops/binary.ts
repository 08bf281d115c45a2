/**
 * @file Binary elementwise ops. Either operand may be a JS number: a constant with no
 * gradient, kept as a weak scalar so dtypes follow PyTorch. Rules return gradients in the
 * broadcast shape; the engine sums each to its input's shape.
 */
import * as K from "@typegrad/tensor";
import type { NDArray } from "@typegrad/tensor";
import type { Tensor } from "../tensor.js";
import { defineOp } from "./define.js";
import { eq, gt, lt, type Operand } from "./nondiff.js";
import { where } from "./selection.js";

type Pair = readonly [NDArray | number, NDArray | number];

/** a + b */
export const add = defineOp<void, Pair>({
  name: "add",
  forward: ([a, b]) => K.add(a, b),
  backward: (g, { needsInputGrad: [na, nb] }) => [na ? g : null, nb ? g : null], // d(a + b) = da + db
});

/** a * b */
export const mul = defineOp<void, Pair>({
  name: "mul",
  save: { inputs: true },
  forward: ([a, b]) => K.mul(a, b),
  backward: (g, { inputs: [a, b], needsInputGrad: [na, nb] }) => [na ? g.mul(b) : null, nb ? g.mul(a) : null], // d(ab) = b da + a db
});

/** a / b */
export const div = defineOp<void, Pair>({
  name: "div",
  save: { inputs: true },
  forward: ([a, b]) => K.div(a, b),
  backward: (g, { inputs: [a, b], needsInputGrad: [na, nb] }) => [
    na ? g.div(b) : null, // d/da a/b = 1/b
    nb ? g.mul(a).div((b as Tensor).square()).neg() : null, // d/db a/b = -a/b^2
  ],
});

/** a ** b */
export const pow = defineOp<void, Pair>({
  name: "pow",
  save: { inputs: true, output: true },
  forward: ([a, b]) => K.pow(a, b),
  backward: (g, { inputs: [a, b], output, needsInputGrad: [na, nb] }) => {
    let ga: Tensor | null = null;
    if (na) {
      // d/da a^b = b a^(b-1), and 0 where b == 0 even at a == 0 (PyTorch). Only the 0 * inf
      // point a == b == 0 is masked, so d/db of this stays 1/a at b == 0, a != 0.
      const base = a as Tensor;
      if (typeof b === "number") ga = b === 0 ? g.mul(0) : g.mul(base.pow(b - 1)).mul(b);
      else ga = g.mul(b).mul(base.pow(b.sub(1))).maskedFill(b.eq(0).logicalAnd(base.eq(0)), 0);
    }
    let gb: Tensor | null = null;
    if (nb) {
      // d/db a^b = a^b ln a, and 0 where a == 0 and b >= 0 (PyTorch's convention)
      const exponent = b as Tensor;
      const lnA = typeof a === "number" ? Math.log(a) : a.log();
      const zeroBase = typeof a === "number" ? (a === 0 ? exponent.ge(0) : null) : a.eq(0).logicalAnd(exponent.ge(0));
      const grad = g.mul(output).mul(lnA);
      gb = zeroBase ? grad.maskedFill(zeroBase, 0) : grad;
    }
    return [ga, gb];
  },
});

/**
 * The rule of max/min: the winning operand gets the gradient, a tie splits it in half
 * (PyTorch); `loses(x, y)` says where x is not selected.
 */
function selectionRule(g: Tensor, a: Operand, b: Operand, need: readonly boolean[], loses: typeof lt): (Tensor | null)[] {
  const shared = where.apply([eq(a, b), g.mul(0.5), g]);
  return [need[0] ? shared.maskedFill(loses(a, b), 0) : null, need[1] ? shared.maskedFill(loses(b, a), 0) : null];
}

/** Elementwise max: d/da max(a, b) = [a > b] + [a == b]/2. */
export const maximum = defineOp<void, Pair>({
  name: "maximum",
  save: { inputs: true },
  forward: ([a, b]) => K.maximum(a, b),
  backward: (g, { inputs: [a, b], needsInputGrad }) => selectionRule(g, a, b, needsInputGrad, lt),
});

/** Elementwise min: d/da min(a, b) = [a < b] + [a == b]/2. */
export const minimum = defineOp<void, Pair>({
  name: "minimum",
  save: { inputs: true },
  forward: ([a, b]) => K.minimum(a, b),
  backward: (g, { inputs: [a, b], needsInputGrad }) => selectionRule(g, a, b, needsInputGrad, gt),
});
