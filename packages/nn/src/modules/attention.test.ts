/**
 * @file MultiHeadAttention and SDPA: gradcheck (float64) for every mask kind and layout
 * option, the batchFirst/need-weights invariances, and the fully masked row convention
 * (zero weights, output = out_proj's bias, no NaN anywhere), checked by hand-derived values.
 */
import { describe, expect, it } from "vitest";
import { manualSeed, noGrad, ones, randn, tensor, zeros, type Tensor } from "@typegrad/autograd";
import { gradcheck } from "@typegrad/gradcheck";
import { emptyStorageCache, storageCacheInfo } from "@typegrad/tensor";
import { scaledDotProductAttention } from "../functional/attention.js";
import { MultiHeadAttention, type AttentionCallOptions, type MultiHeadAttentionOptions } from "./attention.js";

const f64 = { dtype: "float64" as const };
const L = 3, S = 4, N = 2, E = 4, H = 2;

function check(mhaOptions: MultiHeadAttentionOptions, call: AttentionCallOptions, crossLength = S, unbatched = false): void {
  manualSeed(1);
  const mha = new MultiHeadAttention(E, H, { ...mhaOptions, dtype: "float64" });
  const batchFirst = mhaOptions.batchFirst ?? false;
  const shape = (len: number, dim: number) => (unbatched ? [len, dim] : batchFirst ? [N, len, dim] : [len, N, dim]);
  const q = randn(shape(L, E), { ...f64, requiresGrad: true });
  const k = randn(shape(crossLength, mhaOptions.kdim ?? E), { ...f64, requiresGrad: true });
  const v = randn(shape(crossLength, mhaOptions.vdim ?? E), { ...f64, requiresGrad: true });
  const params = [...mha.parameters()];
  const fn = (a: Tensor, b: Tensor, c: Tensor) => {
    const [out, weights] = mha.forward(a, b, c, call);
    return weights ? [out, weights] : [out];
  };
  expect(gradcheck((a, b, c) => fn(a!, b!, c!), [q, k, v, ...params])).toBe(true);
}

const boolMask = tensor([[false, true, false, false], [false, false, true, true], [true, false, false, false]]);
const floatMask = tensor([[0, -1, 0.5, 0], [0.25, 0, -2, 0], [0, 0, 0, -0.5]], f64);
const padMask = tensor([[false, false, true, false], [true, false, false, false]]);

describe("MultiHeadAttention gradcheck (float64) for every mask kind", () => {
  it.each([
    ["no mask", {}],
    ["2-d bool attnMask", { attnMask: boolMask }],
    ["2-d float attnMask", { attnMask: floatMask }],
    ["3-d bool attnMask", { attnMask: boolMask.unsqueeze(0).expand([N * H, L, S]).contiguous() }],
    ["keyPaddingMask", { keyPaddingMask: padMask }],
    ["keyPaddingMask + attnMask", { keyPaddingMask: padMask, attnMask: boolMask }],
    ["per-head weights", { averageAttnWeights: false }],
    ["needWeights false", { needWeights: false }],
  ] as [string, AttentionCallOptions][])("%s", (_, call) => check({}, call));

  it("causal self-attention (isCausal builds the mask)", () => check({}, { isCausal: true }, L));
  it("batchFirst", () => check({ batchFirst: true }, { keyPaddingMask: padMask }));
  it("kdim/vdim with separate projections", () => check({ kdim: 3, vdim: 5 }, {}));
  it("addBiasKv and addZeroAttn", () => check({ addBiasKv: true, addZeroAttn: true }, { attnMask: boolMask }));
  it("without biases", () => check({ bias: false }, {}));
  it("unbatched input", () => check({}, { attnMask: boolMask }, S, true));
});

describe("MultiHeadAttention invariances", () => {
  it("batchFirst is the same computation on transposed inputs; needWeights does not change the output", () => {
    manualSeed(2);
    const seqFirst = new MultiHeadAttention(E, H, { dtype: "float64" });
    const batchFirst = new MultiHeadAttention(E, H, { dtype: "float64", batchFirst: true });
    batchFirst.loadStateDict(seqFirst.stateDict());
    const x = randn([L, N, E], f64);
    const [a, wa] = seqFirst.forward(x, x, x, { keyPaddingMask: padMask.narrow(1, 0, L) });
    const [b, wb] = batchFirst.forward(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), { keyPaddingMask: padMask.narrow(1, 0, L) });
    expect(b.transpose(0, 1).tolist()).toEqual(a.tolist());
    expect(wb!.tolist()).toEqual(wa!.tolist());
    const [c, none] = seqFirst.forward(x, x, x, { keyPaddingMask: padMask.narrow(1, 0, L), needWeights: false });
    expect(none).toBeNull();
    expect(c.tolist()).toEqual(a.tolist());
  });

  it("rejects bad shapes and masks by name", () => {
    const mha = new MultiHeadAttention(E, H);
    const x = randn([L, N, E]);
    expect(() => new MultiHeadAttention(5, 2)).toThrow(/MultiHeadAttention: embedDim 5 must be divisible by numHeads 2/);
    expect(() => mha.forward(x, x, x, { attnMask: ones([2, 2], { dtype: "bool" }) })).toThrow(/the 2-d attnMask has shape \[2,2\], expected \[3,3\]/);
    expect(() => mha.forward(x, x, x, { keyPaddingMask: ones([N, 5], { dtype: "bool" }) })).toThrow(/keyPaddingMask must have shape \[2,3\]/);
    expect(() => mha.forward(x, x, x, { attnMask: ones([L, L], { dtype: "int32" }) })).toThrow(/masks must be bool or float, got int32/);
    expect(() => mha.forward(randn([L, N, 6]), x, x)).toThrow(/expected embedding dim 4, got 6/);
  });
});

describe("fully masked query rows", () => {
  it("get zero weights and output equal to out_proj's bias, with finite gradients", () => {
    manualSeed(3);
    const mha = new MultiHeadAttention(E, H, { dtype: "float64" });
    mha.outProj.bias!.array.data.set([0.5, -1, 2, 0.25]);
    const q = randn([L, N, E], { ...f64, requiresGrad: true });
    // Query row 1 of every batch sees no key; batch 1 pads every key as well.
    const attnMask = tensor([[false, false, false], [true, true, true], [false, true, false]]);
    const keyPaddingMask = tensor([[false, false, false], [true, true, true]]);
    for (const needWeights of [true, false]) {
      const [out, weights] = mha.forward(q, q, q, { attnMask, keyPaddingMask, needWeights });
      const bias = [0.5, -1, 2, 0.25];
      expect(out.select(0, 1).tolist()).toEqual([bias, bias]);
      expect(out.select(1, 1).tolist()).toEqual([bias, bias, bias]);
      if (weights) {
        expect(weights.select(0, 0).select(0, 1).tolist()).toEqual([0, 0, 0]);
        expect(weights.select(0, 1).tolist()).toEqual([[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
      }
      q.grad = null;
      out.sum().backward();
      expect((q.grad!.toArray() as Float64Array).every(Number.isFinite)).toBe(true);
    }
  });
});

describe("scaledDotProductAttention (PyTorch 2 conventions: bool true = attend)", () => {
  it("equals softmax(q k^T * scale + mask) v written out by hand", () => {
    manualSeed(4);
    const q = randn([2, 3, 4], f64);
    const k = randn([2, 5, 4], f64);
    const v = randn([2, 5, 2], f64);
    const allow = tensor([[true, false, true, true, false], [true, true, true, false, false], [false, true, true, true, true]]);
    const want = q.matmul(k.transpose(-2, -1)).mul(0.3).maskedFill(allow.logicalNot(), -Infinity).softmax(-1).matmul(v);
    expect(scaledDotProductAttention(q, k, v, { attnMask: allow, scale: 0.3 }).tolist()).toEqual(want.tolist());
    const causal = q.matmul(k.transpose(-2, -1)).div(2).maskedFill(ones([3, 5], { dtype: "bool" }).tril(0).logicalNot(), -Infinity).softmax(-1).matmul(v);
    expect(scaledDotProductAttention(q, k, v, { isCausal: true }).tolist()).toEqual(causal.tolist());
  });

  it("passes gradcheck with a float mask and causal masking", () => {
    manualSeed(5);
    const q = randn([2, 3, 4], { ...f64, requiresGrad: true });
    const k = randn([2, 3, 4], { ...f64, requiresGrad: true });
    const v = randn([2, 3, 2], { ...f64, requiresGrad: true });
    const bias = randn([3, 3], f64);
    expect(gradcheck((a, b, c) => scaledDotProductAttention(a!, b!, c!, { attnMask: bias }), [q, k, v])).toBe(true);
    expect(gradcheck((a, b, c) => scaledDotProductAttention(a!, b!, c!, { isCausal: true }), [q, k, v])).toBe(true);
    expect(() => scaledDotProductAttention(q, k, v, { isCausal: true, attnMask: bias })).toThrow(/pass either attnMask or isCausal, not both/);
  });
});

describe("the score tensors that attention recycles", () => {
  // [2, 2, 40, 40] float32 scores take 25.6 KB: past the small storage carved from shared chunks,
  // so their buffers go back to the storage cache and the next tensors of that size reuse them.
  const [n, h, l, d] = [2, 2, 40, 8];
  const scoreBytes = n * h * l * l * 4;
  const leaves = () => [randn([n, h, l, d], { requiresGrad: true }), randn([n, h, l, d], { requiresGrad: true }), randn([n, h, l, d], { requiresGrad: true })];

  it("return to the storage cache, and SDPA still equals the computation written out by hand", () => {
    manualSeed(6);
    const [q, k, v] = leaves() as [Tensor, Tensor, Tensor];
    const allowed = ones([l, l], { dtype: "bool" }).tril(0);
    const byHand = () => q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(d)).maskedFill(allowed.logicalNot(), -Infinity).softmax(-1).matmul(v);
    const want = byHand();
    const gOut = randn([n, h, l, d]);
    want.backward(gOut);
    const wantGrads = [q, k, v].map((t) => t.grad!.tolist());
    emptyStorageCache();
    const got = scaledDotProductAttention(q, k, v, { isCausal: true });
    expect(storageCacheInfo().bytes).toBeGreaterThanOrEqual(2 * scoreBytes);
    for (const t of [q, k, v]) t.grad = null;
    got.backward(gOut); // its allocations take the recycled buffers
    expect(got.tolist()).toEqual(want.tolist());
    expect([q, k, v].map((t) => t.grad!.tolist())).toEqual(wantGrads);
    expect(scaledDotProductAttention(q, k, v, { isCausal: true }).tolist()).toEqual(want.tolist());
  });

  it("leave MultiHeadAttention's output and gradients as in float64", () => {
    manualSeed(7);
    const mha32 = new MultiHeadAttention(16, h);
    const mha64 = new MultiHeadAttention(16, h, { dtype: "float64" });
    const params32 = [...mha32.parameters()];
    noGrad(() => [...mha64.parameters()].forEach((p, i) => p.copy_(params32[i]!.to("float64"))));
    const x32 = randn([l, n, 16], { requiresGrad: true });
    const g = randn([l, n, 16]);
    const run = (mha: MultiHeadAttention, x: Tensor) => {
      const [out] = mha.forward(x, x, x, { isCausal: true, needWeights: false });
      out.backward(g.to(x.dtype));
      return [out, x.grad!, mha.inProjWeight!.grad!].map((t) => t.to("float64"));
    };
    emptyStorageCache();
    const single = run(mha32, x32);
    expect(storageCacheInfo().bytes).toBeGreaterThanOrEqual(scoreBytes);
    const double = run(mha64, tensor(x32.tolist(), { dtype: "float64", requiresGrad: true }));
    single.forEach((t, i) => expect(t.sub(double[i]!).abs().max().item()).toBeLessThan(1e-4));
  });
});

describe("MultiHeadAttention's private buffers", () => {
  // E = 32 over [40, 2] tokens: the projections, scaled queries and attended values take 10 KB
  // each and the weights 25.6 KB, all past the small storage carved from shared chunks, so
  // backward hands them back to the storage cache and the next tensors of their sizes reuse them.
  const [l, n, e, h] = [40, 2, 32, 2];

  it("leave the output and gradients as in float64, step after step", () => {
    manualSeed(8);
    const mha32 = new MultiHeadAttention(e, h);
    const mha64 = new MultiHeadAttention(e, h, { dtype: "float64" });
    const params32 = [...mha32.parameters()];
    noGrad(() => [...mha64.parameters()].forEach((p, i) => p.copy_(params32[i]!.to("float64"))));
    const run = (mha: MultiHeadAttention, x: Tensor, g: Tensor) => {
      mha.zeroGrad();
      const [out] = mha.forward(x, x, x, { isCausal: true, needWeights: false });
      out.backward(g);
      return [out, x.grad!, mha.inProjWeight!.grad!, mha.outProj.weight.grad!].map((t) => t.to("float64"));
    };
    emptyStorageCache();
    for (let step = 0; step < 3; step++) {
      const x32 = randn([l, n, e], { requiresGrad: true });
      const g = randn([l, n, e]);
      const single = run(mha32, x32, g);
      const double = run(mha64, tensor(x32.tolist(), { dtype: "float64", requiresGrad: true }), g.to("float64"));
      single.forEach((t, i) => expect(t.sub(double[i]!).abs().max().item()).toBeLessThan(1e-4));
    }
  });

  it("never include weights it returns", () => {
    manualSeed(9);
    const mha = new MultiHeadAttention(e, h);
    const x = randn([l, n, e], { requiresGrad: true });
    const [out, weights] = mha.forward(x, x, x, { isCausal: true, averageAttnWeights: false });
    const before = weights!.tolist();
    out.sum().backward();
    const taken = Array.from({ length: 8 }, () => zeros(weights!.shape).fill_(7));
    expect(weights!.tolist()).toEqual(before);
    expect(taken.every((t) => !t.array.sharesStorage(weights!.array))).toBe(true);
  });
});

describe("MultiHeadAttention self-attention projections", () => {
  // Self-attention (query, key and value one tensor) projects once and chunks when there are no
  // more tokens than embed dims, else per third of the weight; equal but distinct tensors always
  // take the per-third route. Both routes must give the same numbers, forward and backward.
  it.each([
    ["fewer tokens than embed dims (packed)", 2, 2, 8],
    ["more tokens than embed dims (per third)", 5, 3, 4],
  ])("%s: the same output and gradients as for distinct equal inputs", (_, tokens, batch, embed) => {
    manualSeed(2);
    const mha = new MultiHeadAttention(embed, 2, { batchFirst: true, dtype: "float64" });
    const x = randn([batch, tokens, embed], f64);
    const run = (self: boolean) => {
      mha.zeroGrad();
      const q = x.clone().requiresGrad_();
      const [k, v] = self ? [q, q] : [q.clone(), q.clone()];
      const [out] = mha.forward(q, k, v, { isCausal: true, needWeights: false });
      out.mul(out).sum().backward();
      return { out: out.tolist(), dx: q.grad!.tolist(), dw: mha.inProjWeight!.grad!.tolist(), db: mha.inProjBias!.grad!.tolist() };
    };
    const [packed, separate] = [run(true), run(false)];
    const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
    for (const key of ["out", "dx", "dw", "db"] as const) {
      const [a, b] = [flat(packed[key]), flat(separate[key])];
      expect(a.length).toBe(b.length);
      a.forEach((value, i) => expect(Math.abs(value - b[i]!)).toBeLessThan(1e-12));
    }
  });
});
