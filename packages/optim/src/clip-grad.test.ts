/**
 * @file Gradient clipping beyond the PyTorch goldens (test/goldens.test.ts): dtypes of the
 * returned norm, single tensors, params without gradients, non-finite norms, non-contiguous
 * gradients, and argument validation.
 */
import { describe, expect, it } from "vitest";
import { Tensor, tensor, zeros } from "@typegrad/autograd";
import { clipGradNorm_, clipGradValue_ } from "./index.js";

function withGrad(values: number[], dtype: "float32" | "float64" = "float32"): Tensor {
  const p = zeros([values.length], { dtype, requiresGrad: true });
  p.grad = tensor(values, { dtype });
  return p;
}

describe("clipGradNorm_", () => {
  it("returns a 0-d float32 norm for float32 gradients and scales them together", () => {
    const a = withGrad([3, 0]), b = withGrad([0, 4]);
    const norm = clipGradNorm_([a, b], 1);
    expect(norm.shape).toEqual([]);
    expect(norm.dtype).toBe("float32");
    expect(norm.requiresGrad).toBe(false);
    expect(norm.item()).toBe(5);
    expect(a.grad!.toArray()[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    expect(b.grad!.toArray()[1]).toBeCloseTo(4 / (5 + 1e-6), 6);
  });

  it("leaves gradients unchanged below maxNorm, accepts a single tensor, and ignores params without gradients", () => {
    const a = withGrad([1, -2]);
    const none = zeros([3], { requiresGrad: true });
    expect(clipGradNorm_(a, 10).item()).toBeCloseTo(Math.sqrt(5), 6);
    expect(Array.from(a.grad!.toArray())).toEqual([1, -2]);
    expect(clipGradNorm_([none], 1).item()).toBe(0);
    expect(clipGradNorm_([none], 1).dtype).toBe("float32");
    expect(none.grad).toBeNull();
  });

  it("supports normType Infinity and any p > 0", () => {
    expect(clipGradNorm_(withGrad([1, -7, 3], "float64"), 100, { normType: Infinity }).item()).toBe(7);
    expect(clipGradNorm_(withGrad([1, -2, 2], "float64"), 100, { normType: 1 }).item()).toBe(5);
    expect(clipGradNorm_(withGrad([3, 4], "float64"), 100, { normType: 3 }).item()).toBeCloseTo(91 ** (1 / 3), 12);
  });

  it("scales by a non-finite norm unless errorIfNonfinite", () => {
    const a = withGrad([NaN, 1], "float64");
    expect(() => clipGradNorm_(a, 1, { errorIfNonfinite: true })).toThrow(RangeError);
    expect(() => clipGradNorm_(a, 1, { errorIfNonfinite: true })).toThrow(/clipGradNorm_: the total norm of order 2 of the gradients is NaN/);
    expect(Number.isNaN(clipGradNorm_(a, 1).item())).toBe(true);
    expect(Array.from(a.grad!.toArray()).every(Number.isNaN)).toBe(true);
    const b = withGrad([Infinity, 1], "float64");
    expect(clipGradNorm_(b, 1).item()).toBe(Infinity);
    expect(Array.from(b.grad!.toArray())).toEqual([NaN, 0]);
  });

  it("handles non-contiguous gradients", () => {
    const p = zeros([2, 3], { dtype: "float64", requiresGrad: true });
    p.grad = new Tensor(tensor([[1, 4], [2, 5], [3, 6]], { dtype: "float64" }).array.transpose(0, 1));
    expect(p.grad.array.isContiguous()).toBe(false);
    const norm = clipGradNorm_(p, 1, { normType: 1 });
    expect(norm.item()).toBe(21);
    expect(p.grad.tolist()).toEqual([[1, 2, 3], [4, 5, 6]].map((r) => r.map((v) => v * (1 / (21 + 1e-6)))));
  });

  it("validates its arguments", () => {
    const a = withGrad([1]);
    expect(() => clipGradNorm_(a, 1, { normType: 0 })).toThrow(/clipGradNorm_: normType must be > 0 or Infinity, got 0/);
    expect(() => clipGradNorm_(a, NaN)).toThrow(TypeError);
    expect(() => clipGradNorm_([a, 5 as unknown as Tensor], 1)).toThrow(/clipGradNorm_: params must be Tensors, got number/);
    expect(() => clipGradNorm_(3 as unknown as Tensor, 1)).toThrow(/params must be a Tensor or an iterable of Tensors/);
  });
});

describe("clipGradValue_", () => {
  it("clamps every gradient element in place (the same grad tensor)", () => {
    const a = withGrad([-3, 0.5, 2], "float64");
    const g = a.grad;
    clipGradValue_([a], 1);
    expect(a.grad).toBe(g);
    expect(Array.from(a.grad!.toArray())).toEqual([-1, 0.5, 1]);
    expect(() => clipGradValue_(a, NaN)).toThrow(/clipGradValue_: clipValue must be a number/);
  });
});
