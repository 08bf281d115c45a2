/** @file The umbrella import serves the user's view of DESIGN.md (the parts that exist so far). */
import { describe, expect, it } from "vitest";
import * as tg from "./index.js";

describe("typegrad", () => {
  it("runs the DESIGN.md snippet: factories, backward, noGrad, autograd.grad, gradcheck", () => {
    tg.manualSeed(0);
    const x = tg.tensor([[1, 2], [3, 4]], { dtype: "float64", requiresGrad: true });
    const y = tg.tensor(new Float32Array(6), { shape: [2, 3] });
    const z = tg.randn([2, 3]);
    expect([x.shape, x.dtype, y.shape, z.dtype]).toEqual([[2, 2], "float64", [2, 3], "float32"]);
    const loss = x.matmul(x.transpose(0, 1)).relu().sum();
    loss.backward();
    expect(x.grad!.tolist()).toEqual([[8, 12], [8, 12]]);
    expect(tg.noGrad(() => x.mul(2)).requiresGrad).toBe(false);
    const loss2 = x.pow(3).sum();
    const [gx] = tg.autograd.grad([loss2], [x], { createGraph: true });
    expect(gx!.requiresGrad).toBe(true);
    const a = tg.randn([3], { dtype: "float64", requiresGrad: true });
    const b = tg.randn([3], { dtype: "float64", requiresGrad: true });
    expect(tg.gradcheck((p, q) => p.mul(q).sum(), [a, b])).toBe(true);
  });
});
