/**
 * @file Op info of the fused layerNorm: normalized over the last k dims (k random), with or
 * without an elementwise weight and bias, eps 1e-5 or 0.1. Inputs are distinct values, so a
 * row with more than one element never has zero variance.
 */
import fc from "fast-check";
import { primitiveOps, type Tensor } from "@typegrad/autograd";
import { tensor } from "../arbitraries.js";
import { distinctTensor, makeSample, shapes, valuesOf, type OpInfo } from "./common.js";

/** The naive layer norm: per row of the last k dims, (x - mean) / sqrt(biased var + eps) * w + b. */
function layerNormRef(x: Tensor, k: number, w: Tensor | null, b: Tensor | null, eps: number) {
  const n = x.shape.slice(x.ndim - k).reduce((p, s) => p * s, 1);
  const values = valuesOf(x);
  const wv = w ? valuesOf(w) : null;
  const bv = b ? valuesOf(b) : null;
  const out: number[] = [];
  for (let r = 0; r < values.length / n; r++) {
    const row = values.slice(r * n, (r + 1) * n);
    const mean = row.reduce((s, v) => s + v, 0) / n;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    row.forEach((v, i) => out.push(((v - mean) / Math.sqrt(variance + eps)) * (wv ? wv[i]! : 1) + (bv ? bv[i]! : 0)));
  }
  return { shape: x.shape.slice(), values: out };
}

const samples = shapes({ minDims: 1 }).chain((shape) =>
  fc.integer({ min: 1, max: shape.length }).chain((k) => {
    const lane = shape.slice(shape.length - k);
    return fc.tuple(distinctTensor(shape), fc.constant(k), fc.option(tensor({ shape: lane })), fc.option(tensor({ shape: lane })), fc.constantFrom(1e-5, 0.1));
  }),
).map(([x, k, w, b, eps]) => {
  const inputs = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
  const split = (xs: Tensor[]) => ({ x: xs[0]!, w: w ? xs[1]! : null, b: b ? xs[w ? 2 : 1]! : null });
  return makeSample({
    op: "layerNorm",
    inputs,
    args: { k, eps, weight: w !== null, bias: b !== null },
    call: (...xs) => {
      const p = split(xs);
      return primitiveOps.layerNorm.apply([p.x, p.w ?? 1, p.b ?? 0], { k, eps });
    },
    reference: (...xs) => {
      const p = split(xs);
      return layerNormRef(p.x, k, p.w, p.b, eps);
    },
  });
});

/** Infos of the normalization ops. */
export const NORMALIZATION_INFOS = {
  layerNorm: { sample: samples, gradgrad: true, domain: "distinct values in about [-1.5, 1.5]; weight and bias in [-2, 2]" },
} satisfies Record<string, OpInfo>;
