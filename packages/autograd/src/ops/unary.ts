/**
 * @file Unary elementwise ops with their backward rules; each rule's maths is in its comment.
 * Rules use saved inputs or the saved output, whichever is cheaper, and are written with
 * Tensor ops so that they are differentiable again.
 */
import * as K from "@typegrad/tensor";
import type { DType } from "@typegrad/tensor";
import { isGradEnabled } from "../grad-mode.js";
import { Tensor } from "../tensor.js";
import { defineOp } from "./define.js";

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** -x */
export const neg = defineOp({
  name: "neg",
  forward: ([x]) => K.neg(x!),
  backward: (g) => [g.neg()], // d/dx -x = -1
});

/** |x| */
export const abs = defineOp({
  name: "abs",
  save: { inputs: true },
  forward: ([x]) => K.abs(x!),
  backward: (g, { inputs: [x] }) => [g.mul(x!.sign())], // d/dx |x| = sign(x), 0 at 0 as in PyTorch
});

/** e^x */
export const exp = defineOp({
  name: "exp",
  save: { output: true },
  forward: ([x]) => K.exp(x!),
  backward: (g, { output }) => [g.mul(output)], // d/dx e^x = e^x
});

/** ln x */
export const log = defineOp({
  name: "log",
  save: { inputs: true },
  forward: ([x]) => K.log(x!),
  backward: (g, { inputs: [x] }) => [g.div(x!)], // d/dx ln x = 1/x
});

/** ln(1 + x) */
export const log1p = defineOp({
  name: "log1p",
  save: { inputs: true },
  forward: ([x]) => K.log1p(x!),
  backward: (g, { inputs: [x] }) => [g.div(x!.add(1))], // d/dx ln(1+x) = 1/(1+x)
});

/** sqrt x */
export const sqrt = defineOp({
  name: "sqrt",
  save: { output: true },
  forward: ([x]) => K.sqrt(x!),
  backward: (g, { output }) => [g.div(output.mul(2))], // d/dx sqrt x = 1/(2 sqrt x)
});

/** 1/sqrt x */
export const rsqrt = defineOp({
  name: "rsqrt",
  save: { output: true },
  forward: ([x]) => K.rsqrt(x!),
  backward: (g, { output }) => [g.mul(output.pow(3)).mul(-0.5)], // d/dx x^-1/2 = -1/2 y^3
});

/** sin x */
export const sin = defineOp({
  name: "sin",
  save: { inputs: true },
  forward: ([x]) => K.sin(x!),
  backward: (g, { inputs: [x] }) => [g.mul(x!.cos())], // d/dx sin = cos
});

/** cos x */
export const cos = defineOp({
  name: "cos",
  save: { inputs: true },
  forward: ([x]) => K.cos(x!),
  backward: (g, { inputs: [x] }) => [g.mul(x!.sin()).neg()], // d/dx cos = -sin
});

/** tanh x */
export const tanh = defineOp({
  name: "tanh",
  save: { output: true },
  forward: ([x]) => K.tanh(x!),
  backward: (g, { output }) => [g.mul(output.square().neg().add(1))], // d/dx tanh = 1 - y^2
});

/** 1 / (1 + e^-x) */
export const sigmoid = defineOp({
  name: "sigmoid",
  save: { output: true },
  forward: ([x]) => K.sigmoid(x!),
  backward: (g, { output }) => [g.mul(output).mul(output.neg().add(1))], // d/dx s = s (1 - s)
});

/** max(x, 0) */
export const relu = defineOp({
  name: "relu",
  save: { output: true },
  forward: ([x]) => K.relu(x!),
  backward: (g, { output }) => [g.mul(output.gt(0))], // d/dx relu = [y > 0], 0 at the kink as in PyTorch
});

/** erf x */
export const erf = defineOp({
  name: "erf",
  save: { inputs: true },
  forward: ([x]) => K.erf(x!),
  backward: (g, { inputs: [x] }) => [g.mul(x!.square().neg().exp()).mul(2 / Math.sqrt(Math.PI))], // d/dx erf = 2/sqrt(pi) e^(-x^2)
});

/** 1/x */
export const reciprocal = defineOp({
  name: "reciprocal",
  save: { output: true },
  forward: ([x]) => K.reciprocal(x!),
  backward: (g, { output }) => [g.mul(output.square()).neg()], // d/dx 1/x = -1/x^2 = -y^2
});

/** GELU, exact: x Phi(x) */
export const gelu = defineOp({
  name: "gelu",
  save: { inputs: true },
  forward: ([x], _, keep) => {
    // Recorded for backward: keep Phi(x), which the forward computes anyway, so that the
    // gradient skips its erf (wasm float32; elsewhere backward recomputes it).
    const both = keep ? K.geluKeepingCdf(x!) : null;
    if (both === null) return K.gelu(x!);
    keep!(both.cdf);
    return both.y;
  },
  backward: (g, { inputs: [x], kept }) => {
    // d/dx x Phi(x) = Phi(x) + x phi(x), Phi(x) = (1 + erf(x/sqrt 2))/2, phi(x) = e^(-x^2/2)/sqrt(2 pi).
    // Without a graph to record, one fused kernel; with one, tensor ops that differentiate again.
    if (!isGradEnabled()) {
      const fromCdf = kept ? K.geluBackwardFromCdf(x!.array, kept, g.array) : null;
      return [new Tensor(fromCdf ?? K.geluBackward(x!.array, g.array))];
    }
    const cdf = x!.mul(SQRT1_2).erf().add(1).mul(0.5);
    const pdf = x!.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
    return [g.mul(cdf.add(x!.mul(pdf)))];
  },
});

/** GELU, tanh approximation: x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3) */
export const geluTanh = defineOp({
  name: "geluTanh",
  save: { inputs: true },
  forward: ([x]) => K.geluTanh(x!),
  backward: (g, { inputs: [x] }) => {
    // d/dx = (1 + t)/2 + x/2 (1 - t^2) du/dx, t = tanh u, du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
    if (!isGradEnabled()) return [new Tensor(K.geluTanhBackward(x!.array, g.array))];
    const x2 = x!.square();
    const t = x!.add(x2.mul(x!).mul(0.044715)).mul(SQRT_2_OVER_PI).tanh();
    const du = x2.mul(3 * 0.044715).add(1).mul(SQRT_2_OVER_PI);
    const d = t.add(1).mul(0.5).add(x!.mul(0.5).mul(t.square().neg().add(1)).mul(du));
    return [g.mul(d)];
  },
});

/** A copy converted to another dtype; the gradient converts back. */
export const cast = defineOp<{ dtype: DType }>({
  name: "cast",
  forward: ([x], { dtype }) => x!.astype(dtype, true),
  backward: (g) => [g], // identity; the engine converts the gradient back to the input's dtype
});
