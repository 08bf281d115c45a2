/**
 * @file Backward's reuse of gradient memory (grad-ledger.ts): the same gradients as with the
 * storage cache off, and every gradient that leaves the engine (hooks, retainGrad, custom
 * rules, grad()'s results, a given root gradient, `.grad`) stays intact while later
 * allocations reuse the cache. Sizes are over 8 KiB, where storage owns its buffer.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as K from "@typegrad/tensor";
import { autograd, defineOp, manualSeed, randn, type Tensor } from "./index.js";

const SHAPE = [40, 48]; // 15 KiB of float64

afterEach(() => {
  K.setStorageCacheLimit(256 * 1024 * 1024);
  K.emptyStorageCache();
});

/**
 * A graph with fan-out (nodes get several gradients, one of them shared: add's rule gives both
 * inputs the same tensor), broadcasting, reshapes and a matmul.
 */
function model(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const h = x.matmul(w).add(b).tanh();
  const r = h.reshape([SHAPE[0]! * 2, SHAPE[1]! / 2]).mul(1.5).reshape(SHAPE);
  const [e, s] = [h.exp(), h.sin()];
  return e.mul(h).add(s.mul(x)).add(e.add(s).mul(r)).sum();
}

function params(): Tensor[] {
  manualSeed(3);
  return [
    randn(SHAPE, { dtype: "float64", requiresGrad: true }),
    randn([SHAPE[1]!, SHAPE[1]!], { dtype: "float64", requiresGrad: true }),
    randn([SHAPE[1]!], { dtype: "float64", requiresGrad: true }),
  ];
}

/** Overwrites whatever the cache holds: allocations of the usual sizes, filled with 7s. */
function churn(): void {
  for (let i = 0; i < 20; i++) {
    K.ones(SHAPE, { dtype: "float64" });
    K.add(K.ones(SHAPE, { dtype: "float64" }), 6);
  }
}

describe("gradient memory reuse in backward", () => {
  it("gives the gradients of a backward that reuses nothing (createGraph), over repeated steps, and fills the cache", () => {
    const run = (limit: number, createGraph: boolean) => {
      K.setStorageCacheLimit(limit);
      K.emptyStorageCache();
      const ps = params();
      for (let step = 0; step < 3; step++) model(ps[0]!, ps[1]!, ps[2]!).backward(null, { createGraph });
      return { grads: ps.map((p) => p.grad!.tolist()), cached: K.storageCacheInfo().bytes };
    };
    const reference = run(256 * 1024 * 1024, true);
    const off = run(0, false);
    const on = run(256 * 1024 * 1024, false);
    expect(off.grads).toEqual(reference.grads);
    expect(on.grads).toEqual(reference.grads);
    expect([reference.cached, off.cached]).toEqual([0, 0]);
    expect(on.cached).toBeGreaterThan(0);
  });

  it("leaves gradients that a hook, retainGrad or grad() got intact", () => {
    const [x, w, b] = params();
    const h = x!.matmul(w!).add(b!);
    h.retainGrad();
    let hooked: Tensor | null = null;
    let hookedValues: unknown = null;
    const t = h.tanh();
    t.registerHook((g) => {
      hooked = g;
      hookedValues = g.tolist();
    });
    const loss = t.mul(t).sum();
    const [gx] = autograd.grad([loss], [x!], { retainGraph: true });
    const want = { h: h.grad!.tolist(), gx: gx!.tolist() };
    churn();
    expect(hooked!.tolist()).toEqual(hookedValues);
    expect({ h: h.grad!.tolist(), gx: gx!.tolist() }).toEqual(want);
  });

  it("never reuses a gradient given to backward, or one that a custom rule got or returned", () => {
    const kept: Tensor[] = [];
    const keptValues: unknown[] = [];
    const double = defineOp<void>({
      name: "double",
      forward: ([a]) => K.mul(a!, 2),
      backward: (g) => {
        const out = g.mul(2);
        kept.push(g, out);
        keptValues.push(g.tolist(), out.tolist());
        return [out];
      },
    });
    const [x] = params();
    const y = double.apply([x!.exp()]).mul(3);
    const given = randn(SHAPE, { dtype: "float64" });
    const givenValues = given.tolist();
    y.backward(given);
    const gradValues = x!.grad!.tolist();
    churn();
    expect(given.tolist()).toEqual(givenValues);
    expect(kept.map((k) => k.tolist())).toEqual(keptValues);
    expect(x!.grad!.tolist()).toEqual(gradValues);
  });

  it("a leaf keeps the gradient buffer it was given and accumulates into it", () => {
    const [x, w, b] = params();
    x!.matmul(w!).sum().backward();
    const first = x!.grad!.tolist();
    churn();
    expect(x!.grad!.tolist()).toEqual(first);
    x!.matmul(w!).add(b!).sum().backward();
    expect(x!.grad!.tolist()).toEqual((first as number[][]).map((row) => row.map((v) => 2 * v)));
  });
});
