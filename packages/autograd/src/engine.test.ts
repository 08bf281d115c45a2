/**
 * @file The engine's contract: deep graphs, accumulation, retainGraph/createGraph,
 * autograd.grad's options, hooks, retainGrad, in-place safety, anomaly mode, and the checks
 * on what backward rules return.
 */
import { describe, expect, it } from "vitest";
import * as K from "@typegrad/tensor";
import { autograd, defineOp, enableGrad, isGradEnabled, manualSeed, markPrivate, noGrad, ones, randn, releasePrivate, tensor, Tensor } from "./index.js";

const f64 = (data: K.NestedList, requiresGrad = true) => tensor(data as number[], { dtype: "float64", requiresGrad });

describe("backward", () => {
  it("backpropagates through a 100,000-op chain without recursion", () => {
    const x = f64([1.5]);
    let y = x;
    for (let i = 0; i < 100_000; i++) y = y.mul(1.000001).add(0);
    y.sum().backward();
    expect(x.grad!.item()).toBeCloseTo(1.000001 ** 100_000, 8);
  });

  it("accumulates into leaves across calls and un-broadcasts to each input's shape", () => {
    const a = f64([[1, 2, 3], [4, 5, 6]]);
    const b = f64([10, 20, 30]);
    a.add(b).mul(b).sum().backward();
    expect(b.grad!.shape).toEqual([3]);
    expect(b.grad!.tolist()).toEqual([5 + 4 * 10, 7 + 4 * 20, 9 + 4 * 30]); // sum over rows of a + 2b
    expect(a.grad!.tolist()).toEqual([[10, 20, 30], [10, 20, 30]]);
    a.add(b).mul(b).sum().backward();
    expect(a.grad!.tolist()).toEqual([[20, 40, 60], [20, 40, 60]]);
    a.grad = null;
    a.mul(2).sum().backward();
    expect(a.grad!.tolist()).toEqual([[2, 2, 2], [2, 2, 2]]);
  });

  it("casts gradients back to each input's dtype", () => {
    const a = tensor([1, 2], { dtype: "float32", requiresGrad: true });
    const b = f64([3, 4]);
    a.mul(b).sum().backward();
    expect(a.grad!.dtype).toBe("float32");
    expect(b.grad!.dtype).toBe("float64");
    expect(a.grad!.tolist()).toEqual([3, 4]);
  });

  it("frees the graph after backward, so a second backward throws PyTorch's kind of error", () => {
    const x = f64([1, 2]);
    const y = x.mul(x).sum();
    y.backward();
    expect(() => y.backward()).toThrow(/backward through the graph a second time.*'mul'.*retainGraph: true/);
  });

  it("keeps the graph with retainGraph, so backward can run again", () => {
    const x = f64([1, 2]);
    const y = x.mul(x).sum();
    y.backward(null, { retainGraph: true });
    y.backward();
    expect(x.grad!.tolist()).toEqual([4, 8]);
  });

  it("needs an explicit gradient for non-scalar outputs and a graph to run through", () => {
    const x = f64([1, 2]);
    expect(() => x.mul(2).backward()).toThrow(/backward: a gradient can be created implicitly only for single-element outputs, got shape \[2\]/);
    x.mul(2).backward(tensor([1, 10], { dtype: "float64" }));
    expect(x.grad!.tolist()).toEqual([2, 20]);
    expect(() => f64([1], false).mul(2).backward()).toThrow(/backward: tensor 0 does not require grad/);
    expect(() => x.mul(2).backward(tensor([1, 2, 3], { dtype: "float64" }))).toThrow(/backward: gradient of shape \[3\] for a tensor of shape \[2\]/);
  });
});

describe("grad mode", () => {
  it("noGrad records nothing; enableGrad re-enables inside it; both restore on throw", () => {
    const x = f64([1]);
    const y = noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    const z = noGrad(() => enableGrad(() => x.mul(2)));
    expect(z.gradFn).not.toBeNull();
    expect(() => noGrad(() => { throw new Error("boom"); })).toThrow("boom");
    expect(isGradEnabled()).toBe(true);
  });

  it("only float tensors can require grad", () => {
    expect(() => tensor([1, 2], { dtype: "int32", requiresGrad: true })).toThrow(/only float tensors can require grad, got int32/);
    expect(() => f64([1]).mul(2).requiresGrad_(false)).toThrow(/non-leaf/);
  });
});

describe("autograd.grad", () => {
  it("returns gradients without touching .grad, honouring gradOutputs", () => {
    const x = f64([1, 2, 3]);
    const y = x.square();
    const [g] = autograd.grad([y], [x], { gradOutputs: [tensor([1, 0, 2], { dtype: "float64" })] });
    expect(g!.tolist()).toEqual([2, 0, 12]);
    expect(x.grad).toBeNull();
  });

  it("differentiates with respect to non-leaf tensors", () => {
    const x = f64([1, 2]);
    const h = x.mul(3);
    const y = h.square().sum();
    const [gh, gx] = autograd.grad(y, [h, x]);
    expect(gh!.tolist()).toEqual([6, 12]);
    expect(gx!.tolist()).toEqual([18, 36]);
  });

  it("reports unused inputs unless allowUnused", () => {
    const x = f64([1]);
    const unused = f64([2]);
    const y = x.mul(2).sum();
    expect(() => autograd.grad([y], [x, unused], { retainGraph: true })).toThrow(/grad: input 1 was not used.*allowUnused/);
    const [gx, gu] = autograd.grad([y], [x, unused], { allowUnused: true });
    expect(gx!.tolist()).toEqual([2]);
    expect(gu).toBeNull();
  });

  it("gives Hessian-vector products with createGraph (f = sum(x^3): H v = 6 x v)", () => {
    const x = f64([0.5, -1, 2]);
    const v = tensor([1, 2, -1], { dtype: "float64" });
    const [g] = autograd.grad([x.pow(3).sum()], [x], { createGraph: true });
    expect(g!.requiresGrad).toBe(true);
    const [hv] = autograd.grad([g!.mul(v).sum()], [x]);
    expect(hv!.tolist()).toEqual([6 * 0.5 * 1, 6 * -1 * 2, 6 * 2 * -1]);
  });

  it("third derivatives: d3/dx3 sin x = -cos x", () => {
    const x = f64([0.3, 1.1]);
    const [g1] = autograd.grad([x.sin().sum()], [x], { createGraph: true });
    const [g2] = autograd.grad([g1!.sum()], [x], { createGraph: true });
    const [g3] = autograd.grad([g2!.sum()], [x]);
    (g3!.tolist() as number[]).forEach((v, i) => expect(v).toBeCloseTo(-Math.cos([0.3, 1.1][i]!), 14));
  });
});

describe("hooks and retainGrad", () => {
  it("a leaf hook can replace the gradient; removing it stops it", () => {
    const x = f64([1, 2]);
    const handle = x.registerHook((g) => g.mul(10));
    x.mul(3).sum().backward();
    expect(x.grad!.tolist()).toEqual([30, 30]);
    handle.remove();
    x.grad = null;
    x.mul(3).sum().backward();
    expect(x.grad!.tolist()).toEqual([3, 3]);
  });

  it("a non-leaf hook sees and can change the gradient flowing through it", () => {
    const x = f64([1, 2]);
    const h = x.mul(2);
    const seen: number[][] = [];
    h.registerHook((g) => void seen.push(g.tolist() as number[]));
    h.registerHook((g) => g.neg());
    h.square().sum().backward();
    expect(seen).toEqual([[4, 8]]);
    expect(x.grad!.tolist()).toEqual([-8, -16]);
  });

  it("retainGrad keeps a non-leaf's gradient", () => {
    const x = f64([1, 2]);
    const h = x.mul(2);
    h.retainGrad();
    h.square().sum().backward();
    expect(h.grad!.tolist()).toEqual([4, 8]);
    expect(() => f64([1], false).registerHook((g) => g)).toThrow(/registerHook: cannot register a hook on a tensor that does not require grad/);
  });
});

describe("in-place safety", () => {
  it("names the op that saved a tensor and the in-place op that changed it", () => {
    const x = f64([[0.5, 1], [1.5, 2]]);
    const y = x.sin();
    noGrad(() => x.add_(1));
    expect(() => y.sum().backward()).toThrow(/shape \[2,2\] that 'sin' saved for backward was modified in place by 'add_' after it was saved \(version 0 -> 1\)/);
  });

  it("catches a modified saved output, also through a view of it", () => {
    const x = f64([1, 2, 3]);
    const y = x.exp();
    noGrad(() => y.slice(0, 1).mul_(2));
    expect(() => y.sum().backward()).toThrow(/'exp' saved for backward was modified in place by 'mul_'/);
  });

  it("counts versions per storage: an in-place write to a tensor sharing an ArrayBuffer with a saved one is no conflict", () => {
    const values = Array.from({ length: 20 }, (_, i) => i / 10);
    const x = f64(values);
    const y = x.sin();
    const neighbour = tensor(values, { dtype: "float64" });
    expect(neighbour.array.data.buffer).toBe(y.array.data.buffer); // small storages share buffers
    noGrad(() => neighbour.add_(1));
    y.sum().backward();
    expect(x.grad!.tolist()).toEqual(values.map(Math.cos));
  });

  it("refuses in-place ops that autograd cannot record", () => {
    const leaf = f64([1, 2]);
    expect(() => leaf.add_(1)).toThrow(/add_: a leaf tensor that requires grad cannot be modified in place while grad mode is on/);
    expect(() => leaf.mul(2).zero_()).toThrow(/zero_: in-place ops on tensors that require grad are not recorded/);
    const plain = f64([1, 2], false);
    plain.copy_(tensor([5, 6], { dtype: "float32" })).mul_(2).add_(1, { alpha: 3 });
    expect(plain.tolist()).toEqual([13, 15]);
  });
});

describe("gradient layouts", () => {
  it("matmul's gradients come out laid out like their inputs (heads split from a projection, K^T), with the recorded rule's values", () => {
    manualSeed(4);
    const q = randn([3, 5, 8], { dtype: "float64", requiresGrad: true });
    const k = randn([3, 5, 8], { dtype: "float64", requiresGrad: true });
    // Split into 2 heads as attention does: [3, 5, 2, 4] -> [3, 2, 5, 4] views.
    const heads = (t: Tensor) => t.mul(1).reshape([3, 5, 2, 4]).permute([0, 2, 1, 3]);
    const [qh, kh] = [heads(q), heads(k)];
    const kt = kh.transpose(-1, -2);
    const seen = new Map<string, number[]>();
    // The hooks see the gradients matmul's rule returned (the first pass's: without createGraph).
    qh.registerHook((g) => void (seen.has("q") || seen.set("q", [...g.array.strides])));
    kt.registerHook((g) => void (seen.has("kt") || seen.set("kt", [...g.array.strides])));
    const g = randn([3, 2, 5, 5], { dtype: "float64" });
    const [dq, dk] = autograd.grad([qh.matmul(kt)], [q, k], { gradOutputs: [g], retainGraph: true });
    const [rq, rk] = autograd.grad([qh.matmul(kt)], [q, k], { gradOutputs: [g], createGraph: true });
    expect(dq!.tolist()).toEqual(rq!.tolist());
    expect(dk!.tolist()).toEqual(rk!.tolist());
    expect(seen.get("q")).toEqual(qh.array.strides);
    expect(seen.get("kt")).toEqual(kt.array.strides);
  });
});

describe("values a forward keeps for its rule", () => {
  it("reach the rule as `kept` only when recorded, and are freed with the graph", () => {
    const seen: (K.NDArray | null)[] = [];
    const scaled = defineOp<void>({
      name: "scaled",
      forward: ([a], _, keep) => {
        keep?.(K.full([], 3, { dtype: a!.dtype }));
        return K.mul(a!, 3);
      },
      backward: (g, { kept }) => {
        seen.push(kept);
        return [g.mul(Number(kept!.item()))];
      },
    });
    const x = f64([1, 2]);
    const y = scaled.apply([x]);
    expect(y.gradFn!.kept?.item()).toBe(3);
    y.sum().backward();
    expect(x.grad!.tolist()).toEqual([3, 3]);
    expect(seen.map((k) => k?.item())).toEqual([3]);
    expect(y.gradFn!.kept).toBeNull();
    expect(noGrad(() => scaled.apply([x])).gradFn).toBeNull();
    let keepGiven: boolean | null = null;
    const probe = defineOp<void>({ name: "probe", forward: ([a], _, keep) => ((keepGiven = keep !== undefined), a!), backward: (g) => [g] });
    noGrad(() => probe.apply([x]));
    expect(keepGiven).toBe(false);
    probe.apply([f64([1], false)]);
    expect(keepGiven).toBe(false);
    probe.apply([x]);
    expect(keepGiven).toBe(true);
  });

  it("GELU keeps Phi(x) on the wasm backend: the gradient has the fused kernel's bits", () => {
    const x = tensor(Array.from({ length: 3000 }, (_, i) => Math.sin(i) * 4), { dtype: "float32", requiresGrad: true });
    const y = x.gelu();
    expect(y.gradFn!.kept !== null).toBe(K.getBackend() === "wasm");
    const g = K.randn([3000], { dtype: "float32" });
    y.backward(new Tensor(g));
    expect(Array.from(x.grad!.toArray())).toEqual(Array.from(K.geluBackward(x.array, g).toArray()));
  });

  it("go back to the storage cache when backward frees a built-in op's node, and not a custom op's", () => {
    // 3000 float32: past the small storage that is carved from shared chunks. The incoming
    // gradient is the caller's and x.grad leaves the pass, so the kept array is all that returns.
    const x = tensor(Array.from({ length: 3000 }, (_, i) => Math.cos(i) * 3), { dtype: "float32", requiresGrad: true });
    const g = new Tensor(K.randn([3000], { dtype: "float32" }));
    const cached = (run: () => void) => {
      x.grad = null; // else the pass's gradient is added into x.grad and then returns too
      K.emptyStorageCache();
      run();
      return K.storageCacheInfo().bytes;
    };
    const y = x.gelu();
    const kept = y.gradFn!.kept;
    expect(cached(() => y.backward(g))).toBe(kept === null ? 0 : kept.data.byteLength);
    const custom = defineOp<void>({
      name: "customKeep",
      forward: ([a], _, keep) => (keep?.(K.mul(a!, 2)), K.mul(a!, 2)),
      backward: (gy, { kept: twice }) => [gy.mul(new Tensor(twice!)).div(x.detach())],
    });
    const z = custom.apply([x]);
    expect(cached(() => z.backward(g))).toBe(0);
    const retained = x.gelu();
    expect(cached(() => retained.backward(g, { retainGraph: true }))).toBe(0);
  });
});

describe("private storage (markPrivate)", () => {
  // 3000 float32: past the small storage that is carved from shared chunks.
  const input = () => tensor(Array.from({ length: 3000 }, (_, i) => Math.sin(i)), { dtype: "float32", requiresGrad: true });
  /** Whether one of the next allocations of its size takes `t`'s buffer from the storage cache. */
  const reused = (t: Tensor) => {
    const buffer = t.array.data.buffer;
    return Array.from({ length: 8 }, () => K.zeros([3000], { dtype: "float32" })).some((a) => a.data.buffer === buffer);
  };
  /** A private h = 2x that sin and mul save, and the loss over them. */
  const forward = (x: Tensor, done: boolean) => {
    const h = x.mul(2);
    markPrivate(h);
    const loss = h.sin().add(h.mul(h)).sum();
    if (done) releasePrivate(h);
    return { h, loss };
  };

  it("goes back to the storage cache once its maker is done and backward freed the last node that saved it", () => {
    const x = input();
    const h0 = x.mul(2);
    h0.sin().add(h0.mul(h0)).sum().backward();
    const want = x.grad!.array.toArray();
    x.grad = null;
    const { h, loss } = forward(x, true);
    K.emptyStorageCache();
    expect(reused(h)).toBe(false); // still saved
    loss.backward();
    expect(x.grad!.array.toArray()).toEqual(want);
    expect(reused(h)).toBe(true);
  });

  it("stays while its maker is not done, the graph is retained, or a custom op saved it", () => {
    const x = input();
    const kept = forward(x, false);
    kept.loss.backward();
    expect(reused(kept.h)).toBe(false);
    const retained = forward(x, true);
    retained.loss.backward(undefined, { retainGraph: true });
    expect(reused(retained.h)).toBe(false);
    const saveAll = defineOp<void>({
      name: "customSave",
      save: { inputs: true },
      forward: ([a]) => K.mul(a!, 3),
      backward: (gy) => [gy.mul(3)],
    });
    const h = x.mul(2);
    markPrivate(h);
    const loss = saveAll.apply([h]).add(h.sin()).sum();
    releasePrivate(h);
    loss.backward();
    expect(reused(h)).toBe(false);
  });

  it("counts the save of the op that made it (exp keeps its output)", () => {
    const x = input();
    const want = x.detach().exp().array.toArray();
    const h = x.exp();
    markPrivate(h);
    const loss = h.sum();
    releasePrivate(h);
    K.emptyStorageCache();
    expect(reused(h)).toBe(false);
    loss.backward();
    expect(reused(h)).toBe(true);
    expect(x.grad!.array.toArray()).toEqual(want);
  });

  it("goes back at once when no node saved it (no grad)", () => {
    const h = noGrad(() => input().mul(2));
    markPrivate(h);
    K.emptyStorageCache();
    releasePrivate(h);
    expect(reused(h)).toBe(true);
  });
});

describe("anomaly mode", () => {
  it("throws on the first NaN/Inf gradient, naming the op and where it was created", () => {
    const x = f64([0, 1]);
    let caught: Error | null = null;
    autograd.detectAnomaly(() => {
      const y = x.sqrt().sum();
      try {
        y.backward();
      } catch (e) {
        caught = e as Error;
      }
    });
    expect(caught).not.toBeNull();
    expect(caught!.message).toMatch(/autograd anomaly: backward of 'sqrt' produced Inf in the gradient of input 0 \(shape \[2\]\)/);
    expect(caught!.message).toMatch(/created at:\n.*engine\.test\.ts/s);
  });

  it("stays silent when off (the gradient is simply inf)", () => {
    const x = f64([0, 1]);
    x.sqrt().sum().backward();
    expect(x.grad!.tolist()).toEqual([Infinity, 0.5]);
    expect(autograd.isAnomalyEnabled()).toBe(false);
  });
});

describe("what rules return is checked", () => {
  it("names the op when a rule returns the wrong number of gradients or a wrong shape", () => {
    const twoForOne = defineOp({ name: "twoForOne", forward: ([x]) => x!.clone(), backward: (g) => [g, g] });
    expect(() => twoForOne.apply([f64([1])]).sum().backward()).toThrow(/backward of 'twoForOne' returned 2 gradients for 1 inputs/);
    const wrongShape = defineOp({ name: "wrongShape", forward: ([x]) => x!.clone(), backward: () => [ones([5], { dtype: "float64" })] });
    expect(() => wrongShape.apply([f64([1, 2])]).sum().backward()).toThrow(/backward of 'wrongShape' returned a gradient of shape \[5\] for input 0 of shape \[2\]/);
  });

  it("lets users define custom ops with higher-order gradients", () => {
    const cube = defineOp({
      name: "cube",
      save: { inputs: true },
      forward: ([x]) => K.mul(K.mul(x!, x!), x!),
      backward: (g, { inputs: [x] }) => [g.mul(x!.square()).mul(3)],
    });
    const x = f64([2, -1]);
    const [g] = autograd.grad([cube.apply([x]).sum()], [x], { createGraph: true });
    expect(g!.tolist()).toEqual([12, 3]);
    const [h] = autograd.grad([g!.sum()], [x]);
    expect(h!.tolist()).toEqual([12, -6]);
  });
});

describe("memory", () => {
  it("releases saved tensors after backward (no tidy/dispose needed)", () => {
    const x = randn([4, 4], { dtype: "float64", requiresGrad: true });
    const y = x.matmul(x).tanh();
    const node = y.gradFn!;
    expect(node.savedOutput).not.toBeNull();
    y.sum().backward();
    expect(node.savedOutput).toBeNull();
    expect(node.savedInputs).toBeNull();
    expect(x.grad).toBeInstanceOf(Tensor);
  });
});

describe("matmul backward with empty dims", () => {
  it.each([
    [[3, 0], [0, 4]],
    [[3, 4], [4, 0]],
    [[0], [0, 4]],
    [[2, 0, 3], [3, 5]],
  ])("%j @ %j gives zero-filled gradients of the operands' shapes", (sa, sb) => {
    const a = randn(sa, { dtype: "float64", requiresGrad: true });
    const b = randn(sb, { dtype: "float64", requiresGrad: true });
    a.matmul(b).sum().backward();
    expect(a.grad!.shape).toEqual(sa);
    expect(b.grad!.shape).toEqual(sb);
    expect([...a.grad!.array.toArray(), ...b.grad!.array.toArray()].every((v) => v === 0)).toBe(true);
  });
});

