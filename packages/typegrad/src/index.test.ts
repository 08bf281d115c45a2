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

  it("runs the nn/optim part of the snippet: MHA with masks, safetensors, AdamW, crossEntropy, clipping", () => {
    tg.manualSeed(1);
    const attn = new tg.nn.MultiHeadAttention(8, 2, { batchFirst: true, dropout: 0.1 });
    expect(tg.nn.MultiheadAttention).toBe(tg.nn.MultiHeadAttention);
    const q = tg.randn([2, 3, 8]);
    const attnMask = tg.ones([3, 3], { dtype: "bool" }).triu(1);
    const keyPaddingMask = tg.tensor([[false, false, true], [false, false, false]]);
    const [out, weights] = attn.forward(q, q, q, { attnMask, keyPaddingMask, needWeights: true });
    expect(out.shape).toEqual([2, 3, 8]);
    expect(weights!.shape).toEqual([2, 3, 3]);
    const copy = new tg.nn.MultiHeadAttention(8, 2, { batchFirst: true });
    copy.loadStateDict(tg.nn.parseSafetensors(tg.nn.serializeSafetensors(attn.stateDict())));
    expect(copy.inProjWeight!.tolist()).toEqual(attn.inProjWeight!.tolist());
    const model = new tg.nn.Linear(4, 3);
    const opt = new tg.optim.AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.01 });
    const logits = model.forward(tg.randn([5, 4]));
    const targets = tg.tensor(Int32Array.from([0, 2, 1, 1, 0]));
    opt.zeroGrad();
    tg.nn.functional.crossEntropy(logits, targets).backward();
    expect(tg.nn.utils.clipGradNorm_(model.parameters(), 1).numel()).toBe(1);
    const before = model.weight.tolist();
    opt.step();
    expect(model.weight.tolist()).not.toEqual(before);
    expect(new tg.optim.lrScheduler.StepLR(opt, 3, { gamma: 0.5 }).getLastLr()).toEqual([3e-4]);
    tg.nn.init.xavierUniform_(model.weight);
  });
});
