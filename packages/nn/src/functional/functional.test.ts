/**
 * @file nn.functional against naive references: losses over random shapes and options,
 * dropout's statistics and modes, embedding's padding row, linear and layerNorm; plus
 * gradcheck of the losses in float64.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { manualSeed, ones, randn, tensor, zeros, type Tensor } from "@typegrad/autograd";
import { gradcheck } from "@typegrad/gradcheck";
import { propertyConfig } from "@typegrad/tensor/testing";
import { crossEntropy, mseLoss, nllLoss } from "./loss.js";
import { dropout } from "./dropout.js";
import { embedding } from "./embedding.js";
import { linear } from "./linear.js";
import { layerNorm } from "./normalization.js";

const f64 = { dtype: "float64" as const };
const values = (t: Tensor) => Array.from(t.toArray() as ArrayLike<number>);

/** Cross-entropy written out for (N, C) logits: the definition with PyTorch's weighting and smoothing. */
function naiveCrossEntropy(logits: number[][], target: number[], weight: number[] | null, ignore: number, reduction: string, smoothing: number): number | number[] {
  const C = logits[0]!.length;
  const w = (c: number) => (weight ? weight[c]! : 1);
  const per: number[] = [];
  let weightSum = 0;
  logits.forEach((row, n) => {
    const t = target[n]!;
    if (t === ignore) return void per.push(0);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    const logp = row.map((v) => v - lse);
    const nll = -logp[t]! * w(t);
    const uniform = -logp.reduce((s, lp, c) => s + lp * w(c), 0);
    per.push((1 - smoothing) * nll + (smoothing / C) * uniform);
    weightSum += w(t);
  });
  if (reduction === "none") return per;
  const total = per.reduce((a, b) => a + b, 0);
  return reduction === "sum" ? total : total / weightSum;
}

describe("crossEntropy and nllLoss", () => {
  it("match the written-out definition over weights, ignoreIndex, reductions and smoothing", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((N) =>
          fc.integer({ min: 2, max: 5 }).chain((C) =>
            fc.record({
              logits: fc.array(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: C, maxLength: C }), { minLength: N, maxLength: N }),
              target: fc.array(fc.oneof(fc.integer({ min: 0, max: C - 1 }), fc.constant(-100)), { minLength: N, maxLength: N }),
              weight: fc.option(fc.array(fc.double({ min: 0.1, max: 2, noNaN: true }), { minLength: C, maxLength: C })),
              reduction: fc.constantFrom("none", "sum", "mean"),
              smoothing: fc.constantFrom(0, 0.1, 0.5),
            }),
          ),
        ),
        ({ logits, target, weight, reduction, smoothing }) => {
          if (reduction === "mean" && target.every((t) => t === -100)) return; // 0/0 (NaN), as in PyTorch
          const got = crossEntropy(tensor(logits, f64), tensor(Int32Array.from(target)), {
            weight: weight ? tensor(weight, f64) : null,
            reduction: reduction as "none",
            labelSmoothing: smoothing,
          });
          const want = naiveCrossEntropy(logits, target, weight, -100, reduction, smoothing);
          const wants = typeof want === "number" ? [want] : want;
          values(got).forEach((g, i) => expect(g).toBeCloseTo(wants[i]!, 10));
        },
      ),
      propertyConfig(),
    );
  });

  it("handles (N, C, d...) inputs, probability targets and unbatched input, and passes gradcheck", () => {
    manualSeed(0);
    const x = randn([2, 3, 2, 2], { ...f64, requiresGrad: true });
    const t = tensor(Int32Array.from([0, 2, 1, 1, 2, 0, -100, 1]), { shape: [2, 2, 2] });
    const moved = x.permute([0, 2, 3, 1]).reshape([8, 3]);
    expect(crossEntropy(x, t).item()).toBeCloseTo(crossEntropy(moved, t.reshape([8])).item(), 12);
    expect(gradcheck((a) => crossEntropy(a!, t, { labelSmoothing: 0.2, weight: tensor([1, 2, 0.5], f64) }), [x])).toBe(true);
    const probs = randn([2, 3, 2, 2], f64).softmax(1);
    expect(gradcheck((a) => crossEntropy(a!, probs, { labelSmoothing: 0.1 }), [x])).toBe(true);
    const single = randn([4], { ...f64, requiresGrad: true });
    expect(crossEntropy(single, tensor(Int32Array.from([2]), { shape: [] })).shape).toEqual([]);
    expect(gradcheck((a) => nllLoss(a!.logSoftmax(-1), tensor(Int32Array.from([3]), { shape: [] })), [single])).toBe(true);
  });

  it("names bad targets, weights and options", () => {
    const x = zeros([2, 3]);
    expect(() => crossEntropy(x, tensor(Int32Array.from([0, 3])))).toThrow(/nllLoss: target 3 is out of bounds for 3 classes/);
    expect(() => crossEntropy(x, tensor(Int32Array.from([0])))).toThrow(/nllLoss: target of shape \[1\] does not match input \[2,3\]/);
    expect(() => crossEntropy(x, tensor([0, 1]))).toThrow(/crossEntropy: probability targets of shape \[2\] must match the input \[2,3\]/);
    expect(() => crossEntropy(x, tensor(Int32Array.from([0, 1])), { reduction: "avg" as "mean" })).toThrow(/crossEntropy: reduction must be "none", "mean" or "sum"/);
    expect(() => nllLoss(x, tensor(Int32Array.from([0, 1])), { weight: ones([2]) })).toThrow(/nllLoss: weight of shape \[2\] must have one entry per class \(3\)/);
  });
});

describe("mseLoss", () => {
  it("is the mean, sum or elementwise squared error", () => {
    const a = tensor([[1, 2], [3, 4]], f64);
    const b = tensor([[0, 2], [5, 1]], f64);
    expect(mseLoss(a, b).item()).toBe((1 + 0 + 4 + 9) / 4);
    expect(mseLoss(a, b, { reduction: "sum" }).item()).toBe(14);
    expect(mseLoss(a, b, { reduction: "none" }).tolist()).toEqual([[1, 0], [4, 9]]);
  });
});

describe("dropout, embedding, linear, layerNorm", () => {
  it("dropout keeps the expectation, is the identity in eval, and errors on bad p", () => {
    manualSeed(1);
    const x = ones([20000], f64);
    const y = values(dropout(x, 0.3));
    const kept = y.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-12)).toBe(true);
    expect(Math.abs(kept.length / y.length - 0.7)).toBeLessThan(6 * Math.sqrt(0.21 / 20000));
    expect(dropout(x, 0.3, false)).toBe(x);
    expect(values(dropout(x, 1)).every((v) => v === 0)).toBe(true);
    expect(() => dropout(x, 1.5)).toThrow(/dropout: probability must be in \[0, 1\], got 1.5/);
  });

  it("embedding gathers rows, accumulates repeated indices, and gives the padding row no gradient", () => {
    const w = tensor([[1, 2], [3, 4], [5, 6]], { ...f64, requiresGrad: true });
    const idx = tensor(Int32Array.from([2, 0, 2, 1]), { shape: [2, 2] });
    const out = embedding(idx, w, 1);
    expect(out.tolist()).toEqual([[[5, 6], [1, 2]], [[5, 6], [3, 4]]]);
    out.sum().backward();
    expect(w.grad!.tolist()).toEqual([[1, 1], [0, 0], [2, 2]]);
    expect(() => embedding(tensor([0]), w)).toThrow(/embedding: indices must be int32, got float32/);
  });

  it("linear and layerNorm validate shapes", () => {
    expect(linear(ones([2, 3]), ones([4, 3]), ones([4])).tolist()).toEqual([[4, 4, 4, 4], [4, 4, 4, 4]]);
    expect(() => linear(ones([2, 3]), ones([4, 2]))).toThrow(/linear: input of shape \[2,3\] does not end with in_features 2/);
    // The bias broadcasts to the output and has its dtype, as torch.addmm requires.
    expect(linear(ones([2, 3]), ones([4, 3]), ones([1])).tolist()).toEqual([[4, 4, 4, 4], [4, 4, 4, 4]]);
    expect(() => linear(ones([2, 3]), ones([4, 3]), ones([3, 2, 4]))).toThrow(/linear: bias of shape \[3,2,4\] \(float32\) does not broadcast to the output \[2,4\]/);
    expect(() => linear(ones([2, 3]), ones([4, 3]), ones([4], { dtype: "float64" }))).toThrow(/linear: bias of shape \[4\] \(float64\) must have the output's dtype float32/);
    expect(() => layerNorm(ones([2, 3]), [2])).toThrow(/layerNorm: input of shape \[2,3\] does not end with the normalized shape \[2\]/);
  });
});
