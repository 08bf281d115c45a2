/** @file Initializers: bounds and moments from torch.nn.init's formulas, fans, gains, erfinv, errors. */
import { describe, expect, it } from "vitest";
import { manualSeed, zeros, type Tensor } from "@typegrad/autograd";
import * as K from "@typegrad/tensor";
import * as init from "./init.js";

const stats = (t: Tensor) => {
  const v = Array.from(t.toArray() as Float64Array);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, std: Math.sqrt(variance), min: Math.min(...v), max: Math.max(...v), n: v.length };
};

/** Expects the sample mean and std within 6 standard errors of the targets. */
function expectMoments(t: Tensor, mean: number, std: number): void {
  const s = stats(t);
  expect(Math.abs(s.mean - mean)).toBeLessThan((6 * std) / Math.sqrt(s.n));
  expect(Math.abs(s.std - std)).toBeLessThan((6 * std) / Math.sqrt(2 * s.n));
}

describe("init", () => {
  it("uniform variants stay within their bounds and fill them", () => {
    manualSeed(0);
    const w = zeros([200, 300], { dtype: "float64" });
    const cases: [() => Tensor, number][] = [
      [() => init.uniform_(w, -0.3, 0.7), 0.7],
      [() => init.xavierUniform_(w, 2), 2 * Math.sqrt(6 / 500)],
      [() => init.kaimingUniform_(w, { a: Math.sqrt(5) }), 1 / Math.sqrt(300)],
      [() => init.kaimingUniform_(w, { mode: "fan_out", nonlinearity: "relu" }), Math.sqrt(2) * Math.sqrt(3 / 200)],
    ];
    for (const [fill, bound] of cases) {
      const s = stats(fill());
      expect(s.max).toBeLessThanOrEqual(bound);
      expect(s.max).toBeGreaterThan(bound * 0.99);
    }
    expect(stats(init.uniform_(w, -0.3, 0.7)).min).toBeGreaterThanOrEqual(-0.3);
  });

  it("normal variants have the formula's std", () => {
    manualSeed(1);
    const w = zeros([300, 200], { dtype: "float64" });
    expectMoments(init.normal_(w, 0.5, 2), 0.5, 2);
    expectMoments(init.xavierNormal_(w), 0, Math.sqrt(2 / 500));
    expectMoments(init.kaimingNormal_(w, { nonlinearity: "relu" }), 0, Math.sqrt(2 / 200));
  });

  it("truncNormal_ stays in [a, b] with the truncated normal's moments", () => {
    manualSeed(2);
    const w = init.truncNormal_(zeros([60000], { dtype: "float64" }), 1, 2, 0, 2);
    const s = stats(w);
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.max).toBeLessThanOrEqual(2);
    // Symmetric truncation around the mean: mean 1, variance std^2 (1 - 2 alpha phi(alpha) / (2 Phi(alpha) - 1)), alpha = 0.5.
    const phi = Math.exp(-0.125) / Math.sqrt(2 * Math.PI);
    const bigPhi = (1 + K.scalar.erf(0.5 / Math.SQRT2)) / 2;
    const std = 2 * Math.sqrt(1 - (2 * 0.5 * phi) / (2 * bigPhi - 1));
    expectMoments(w, 1, std);
  });

  it("erfinv inverts erf to ~1e-15", () => {
    for (const y of [-0.999999, -0.7, -0.1, 0, 1e-9, 0.3, 0.95, 0.9999999]) {
      expect(K.scalar.erf(init.erfinv(y))).toBeCloseTo(y, 14);
    }
  });

  it("constant, zeros, ones; gains and fans as PyTorch", () => {
    const w = zeros([2, 3, 4]);
    expect(init.fans(w)).toEqual([12, 8]);
    expect(init.ones_(w).sum().item()).toBe(24);
    expect(init.constant_(w, 2).mean().item()).toBe(2);
    expect(init.zeros_(w).sum().item()).toBe(0);
    expect(init.calculateGain("tanh")).toBeCloseTo(5 / 3, 15);
    expect(init.calculateGain("leaky_relu", 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 15);
    expect(() => init.fans(zeros([3]), "xavierUniform_")).toThrow(/xavierUniform_: fan in and fan out cannot be computed for a tensor with fewer than 2 dims/);
    expect(() => init.uniform_(zeros([2], { dtype: "int32" }))).toThrow(/uniform_: expected a float tensor, got int32/);
    expect(() => init.kaimingNormal_(zeros([2, 2]), { mode: "bad" as "fan_in" })).toThrow(/kaimingNormal_: mode must be "fan_in" or "fan_out"/);
  });

  it("is reproducible under manualSeed and records no graph", () => {
    const a = zeros([4, 4], { requiresGrad: true });
    manualSeed(9);
    init.xavierUniform_(a);
    const first = a.tolist();
    manualSeed(9);
    init.xavierUniform_(a);
    expect(a.tolist()).toEqual(first);
    expect(a.gradFn).toBeNull();
  });
});
