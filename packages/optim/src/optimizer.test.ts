/**
 * @file The Optimizer contract beyond the update formulas (those are in test/goldens.test.ts):
 * option and parameter validation, no graph and no per-step allocation, lazy state, skipped
 * params, zeroGrad, closures, and state dicts that resume training exactly.
 */
import { describe, expect, it, vi } from "vitest";
import { noGrad, randn, Tensor, tensor, zeros } from "@typegrad/autograd";
import * as K from "@typegrad/tensor";
import { Adam, AdamW, SGD, type AnyOptimizer, type OptimizerStateDict } from "./index.js";

const f64 = { dtype: "float64" } as const;

function problem(dtype: "float32" | "float64" = "float64") {
  const w = tensor([[0.4, -0.3], [0.1, 0.7], [-0.5, 0.2]], { dtype, requiresGrad: true });
  const b = tensor([0.15, -0.25], { dtype, requiresGrad: true });
  const x = tensor([[0.5, -1.2, 0.3], [1.1, 0.4, -0.7]], { dtype });
  const loss = () => x.matmul(w).add(b).tanh().pow(2).sum().add(w.sin().sum());
  return { w, b, loss };
}

function train(opt: AnyOptimizer, loss: () => Tensor, steps: number): void {
  for (let k = 0; k < steps; k++) {
    opt.zeroGrad();
    loss().backward();
    opt.step();
  }
}

const copyOf = (t: Tensor) => Array.from(t.toArray() as Float64Array);

const makers: Record<string, (params: Tensor[]) => AnyOptimizer> = {
  "SGD momentum": (p) => new SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 }),
  "SGD nesterov": (p) => new SGD(p, { lr: 0.1, momentum: 0.8, nesterov: true }),
  "Adam amsgrad": (p) => new Adam(p, { lr: 0.05, amsgrad: true, betas: [0.9, 0.5] }),
  AdamW: (p) => new AdamW(p, { lr: 0.05, weightDecay: 0.1 }),
};

describe("validation", () => {
  const p = () => zeros([2], { requiresGrad: true });
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ["negative lr", () => new SGD([p()], { lr: -1 }), RangeError, /^SGD: invalid lr -1 \(expected >= 0\)/],
    ["NaN lr", () => new Adam([p()], { lr: NaN }), RangeError, /^Adam: invalid lr NaN/],
    ["missing lr", () => new SGD([{ params: [p()] }]), TypeError, /^SGD: lr is required/],
    ["negative momentum", () => new SGD([p()], { lr: 0.1, momentum: -0.5 }), RangeError, /^SGD: invalid momentum -0.5/],
    ["negative weightDecay", () => new AdamW([p()], { weightDecay: -0.1 }), RangeError, /^AdamW: invalid weightDecay -0.1/],
    ["nesterov without momentum", () => new SGD([p()], { lr: 0.1, nesterov: true }), RangeError, /^SGD: nesterov requires momentum > 0 and dampening 0, got momentum 0 and dampening 0/],
    ["nesterov with dampening", () => new SGD([p()], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), RangeError, /dampening 0.1/],
    ["beta1 = 1", () => new Adam([p()], { betas: [1, 0.999] }), RangeError, /^Adam: invalid betas\[0\] 1 \(expected 0 <= beta < 1\)/],
    ["beta2 < 0", () => new AdamW([p()], { betas: [0.9, -0.1] }), RangeError, /^AdamW: invalid betas\[1\] -0.1/],
    ["betas not a pair", () => new Adam([p()], { betas: [0.9] as unknown as [number, number] }), TypeError, /^Adam: betas must be a pair of numbers/],
    ["negative eps", () => new Adam([p()], { eps: -1e-8 }), RangeError, /^Adam: invalid eps -1e-8/],
    ["bad option in a group", () => new SGD([{ params: [p()] }, { params: [p()], lr: -2 }], { lr: 0.1 }), RangeError, /^SGD: invalid lr -2 \(expected >= 0\) \(param group 1\)/],
    ["empty parameter list", () => new SGD([], { lr: 0.1 }), RangeError, /^SGD: got an empty parameter list/],
    ["a single tensor", () => new Adam(p() as unknown as Tensor[]), TypeError, /^Adam: params must be an iterable .* got a single Tensor/],
    ["a non-tensor param", () => new SGD([p(), 3 as unknown as Tensor], { lr: 0.1 }), TypeError, /^SGD: param group 0: params\[1\] is number 3, but only Tensors can be optimized/],
    ["a non-leaf param", () => new SGD([p().mul(2)], { lr: 0.1 }), RangeError, /^SGD: param group 0: params\[0\] is not a leaf tensor/],
    ["a param twice in a group", () => { const q = p(); return new SGD([q, q], { lr: 0.1 }); }, RangeError, /appears twice/],
    ["a param in two groups", () => { const q = p(); return new Adam([{ params: [q] }, { params: [p(), q] }]); }, RangeError, /^Adam: param group 1: a parameter \(params\[1\]\) is already in param group 0/],
    ["params as a Set", () => new SGD([{ params: new Set([p()]) }], { lr: 0.1 }), TypeError, /not a Set/],
  ];
  for (const [name, fn, type, message] of cases) {
    it(`rejects ${name}`, () => {
      expect(fn).toThrow(type);
      expect(fn).toThrow(message);
    });
  }

  it("addParamGroup checks overlap and options, and resolves missing options from the defaults", () => {
    const a = p(), b = p();
    const opt = new SGD([a], { lr: 0.1, momentum: 0.9 });
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(/already in param group 0/);
    expect(() => opt.addParamGroup({ params: [b], momentum: -1 })).toThrow(RangeError);
    expect(opt.paramGroups).toHaveLength(1);
    opt.addParamGroup({ params: [b], lr: 0.01 });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.01, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, maximize: false });
    expect(opt.paramGroups[1]!.params[0]).toBe(b);
  });

  it("resolves Adam and AdamW defaults as PyTorch does", () => {
    expect(new Adam([p()]).defaults).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false });
    expect(new AdamW([p()]).defaults.weightDecay).toBe(1e-2);
  });
});

describe("step", () => {
  for (const [name, make] of Object.entries(makers)) {
    it(`${name}: builds no graph and records no op`, () => {
      const { w, b, loss } = problem();
      const opt = make([w, b]);
      opt.zeroGrad();
      loss().backward();
      const setGradFn = vi.spyOn(Tensor.prototype, "setGradFn");
      try {
        opt.step();
        opt.step();
        expect(setGradFn).not.toHaveBeenCalled();
        w.mul(2); // control: a recorded op does call it
        expect(setGradFn).toHaveBeenCalledTimes(1);
      } finally {
        setGradFn.mockRestore();
      }
      for (const q of [w, b]) {
        expect(q.gradFn).toBeNull();
        expect(q.isLeaf).toBe(true);
        for (const v of Object.values(opt.state.get(q) as Record<string, unknown>)) if (v instanceof Tensor) expect(v.requiresGrad).toBe(false);
      }
    });

    it(`${name}: updates params in place and keeps the same state buffers across steps`, () => {
      const { w, b, loss } = problem();
      const opt = make([w, b]);
      const storage = [w.array.data, b.array.data];
      train(opt, loss, 1);
      const snapshot = (q: Tensor) => Object.entries(opt.state.get(q) as Record<string, unknown>).filter(([, v]) => v instanceof Tensor) as [string, Tensor][];
      const before = [w, b].map((q) => snapshot(q).map(([k, v]) => [k, v, v.array.data] as const));
      expect(before[0]!.length).toBeGreaterThan(0);
      train(opt, loss, 3);
      [w, b].forEach((q, i) => {
        const after = snapshot(q);
        expect(after.map(([k]) => k)).toEqual(before[i]!.map(([k]) => k));
        after.forEach(([, v], j) => {
          expect(v).toBe(before[i]![j]![1]);
          expect(v.array.data).toBe(before[i]![j]![2]);
        });
      });
      expect(w.array.data).toBe(storage[0]);
      expect(b.array.data).toBe(storage[1]);
    });

    it(`${name}: a state dict taken after 3 steps resumes training exactly`, () => {
      const run = problem();
      const opt = make([run.w, run.b]);
      train(opt, run.loss, 3);
      const saved = opt.stateDict();
      const paramsAt3 = [copyOf(run.w), copyOf(run.b)];
      train(opt, run.loss, 3);

      const resumed = problem();
      resumed.w.array.data.set(paramsAt3[0]!);
      resumed.b.array.data.set(paramsAt3[1]!);
      const opt2 = make([resumed.w, resumed.b]);
      opt2.loadStateDict(saved);
      train(opt2, resumed.loss, 3);
      expect(copyOf(resumed.w)).toEqual(copyOf(run.w));
      expect(copyOf(resumed.b)).toEqual(copyOf(run.b));
    });
  }

  it("skips params without a gradient (no state, unchanged values)", () => {
    const { w, b, loss } = problem();
    const frozen = tensor([1, 2, 3], { ...f64, requiresGrad: true });
    const opt = new Adam([w, frozen, b], { lr: 0.1 });
    train(opt, loss, 2);
    expect(copyOf(frozen)).toEqual([1, 2, 3]);
    expect(opt.state.has(frozen)).toBe(false);
    expect((opt.state.get(w) as { step: number }).step).toBe(2);
  });

  it("counts Adam's step per parameter", () => {
    const { w, b, loss } = problem();
    const opt = new Adam([w, b]);
    train(opt, loss, 2);
    opt.zeroGrad();
    loss().backward();
    b.grad = null;
    opt.step();
    expect(opt.state.get(w)!.step).toBe(3);
    expect(opt.state.get(b)!.step).toBe(2);
  });

  it("reads the group options at every step (a changed lr takes effect)", () => {
    const { w, b, loss } = problem();
    const opt = new SGD([w, b], { lr: 0.1 });
    opt.zeroGrad();
    loss().backward();
    const before = copyOf(b), g = copyOf(b.grad!);
    opt.paramGroups[0]!.lr = 0.5;
    opt.step();
    copyOf(b).forEach((v, i) => expect(v).toBeCloseTo(before[i]! - 0.5 * g[i]!, 14));
  });

  it("works on float32 params (float32 state, close to the float64 run)", () => {
    const p64 = problem("float64"), p32 = problem("float32");
    const o64 = new AdamW([p64.w, p64.b], { lr: 0.05 }), o32 = new AdamW([p32.w, p32.b], { lr: 0.05 });
    train(o64, p64.loss, 4);
    train(o32, p32.loss, 4);
    expect(p32.w.dtype).toBe("float32");
    expect(o32.state.get(p32.w)!.expAvg.dtype).toBe("float32");
    copyOf(p32.w).forEach((v, i) => expect(v).toBeCloseTo(copyOf(p64.w)[i]!, 5));
  });

  it("step(closure) evaluates the closure with grad enabled and returns its value", () => {
    const { w, b, loss } = problem();
    const opt = new SGD([w, b], { lr: 0.1 });
    const value = noGrad(() =>
      opt.step(() => {
        opt.zeroGrad();
        const l = loss();
        l.backward();
        return l.item();
      }),
    );
    expect(typeof value).toBe("number");
    expect(w.grad).not.toBeNull();
    expect(opt.step()).toBeUndefined();
  });
});

describe("the fused Adam step (float32, wasm backend)", () => {
  it("gives the bits of the TypeScript loop for Adam and AdamW, with decay, L2, maximize, over steps", () => {
    const configs = [
      (ps: Tensor[]) => new AdamW(ps, { lr: 3e-3, weightDecay: 0.01 }),
      (ps: Tensor[]) => new Adam(ps, { lr: 1e-2, weightDecay: 0.1, betas: [0.8, 0.95], eps: 1e-6 }),
      (ps: Tensor[]) => new AdamW(ps, { lr: 1e-3, maximize: true }),
    ];
    const run = (backend: "js" | "wasm", make: (ps: Tensor[]) => AnyOptimizer) => {
      const saved = K.getBackend();
      K.setBackend(backend);
      try {
        K.manualSeed(11);
        // Odd sizes over the fused kernel's threshold and chunk (16,384) edges, one under it.
        const ps = [[37, 41], [16385], [3, 5]].map((shape) => randn(shape, { requiresGrad: true }));
        const opt = make(ps);
        for (let step = 0; step < 4; step++) {
          ps.forEach((p, i) => (p.grad = randn(p.shape).mul(i === 1 ? 1e-4 : 3)));
          if (step === 2) noGrad(() => ps[0]!.grad!.array.data.fill(0, 0, 40)); // zero gradients: v stays tiny
          opt.step();
        }
        return ps.map((p) => Array.from(p.toArray()));
      } finally {
        K.setBackend(saved);
      }
    };
    for (const make of configs) expect(run("wasm", make)).toEqual(run("js", make));
  });
});

describe("zeroGrad", () => {
  it("sets gradients to null by default, and zeroes them in place with setToNone: false", () => {
    const { w, b, loss } = problem();
    const opt = new SGD([w, b], { lr: 0.1 });
    loss().backward();
    const g = w.grad!;
    opt.zeroGrad({ setToNone: false });
    expect(w.grad).toBe(g);
    expect(copyOf(g).every((v) => v === 0)).toBe(true);
    opt.zeroGrad();
    expect(w.grad).toBeNull();
    expect(b.grad).toBeNull();
  });
});

describe("state dicts", () => {
  it("use PyTorch's layout: state by param index, groups with options and param indices", () => {
    const a = randn([2, 2], { ...f64, requiresGrad: true }), b = randn([3], { ...f64, requiresGrad: true }), c = randn([1], { ...f64, requiresGrad: true });
    const opt = new Adam([{ params: [a, b] }, { params: [c], lr: 0.01, amsgrad: true }], { betas: [0.8, 0.9] });
    a.grad = tensor([[1, 2], [3, 4]], f64);
    c.grad = tensor([0.5], f64);
    opt.step();
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(["0", "2"]);
    expect(Object.keys(sd.state[0]!)).toEqual(["step", "expAvg", "expAvgSq"]);
    expect(Object.keys(sd.state[2]!)).toEqual(["step", "expAvg", "expAvgSq", "maxExpAvgSq"]);
    expect(sd.paramGroups).toEqual([
      { lr: 1e-3, betas: [0.8, 0.9], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [0, 1] },
      { lr: 0.01, betas: [0.8, 0.9], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false, params: [2] },
    ]);
  });

  it("are snapshots: later steps and edits do not change a saved state dict", () => {
    const { w, b, loss } = problem();
    const opt = new SGD([w, b], { lr: 0.1, momentum: 0.9 });
    train(opt, loss, 1);
    const sd = opt.stateDict();
    const buf = copyOf(sd.state[0]!.momentumBuffer as Tensor);
    train(opt, loss, 2);
    opt.paramGroups[0]!.lr = 7;
    expect(copyOf(sd.state[0]!.momentumBuffer as Tensor)).toEqual(buf);
    expect(sd.paramGroups[0]!.lr).toBe(0.1);
    expect(sd.state[0]!.momentumBuffer).not.toBe(opt.state.get(w)!.momentumBuffer);
  });

  it("loading restores group options (scheduler keys included) and converts state to the params' dtype", () => {
    const src = problem("float64");
    const opt = new Adam([src.w, src.b], { lr: 0.05 });
    train(opt, src.loss, 2);
    opt.paramGroups[0]!.lr = 0.02;
    opt.paramGroups[0]!.initialLr = 0.05;
    const dst = problem("float32");
    const opt2 = new Adam([dst.w, dst.b]);
    opt2.loadStateDict(opt.stateDict());
    expect(opt2.paramGroups[0]!.lr).toBe(0.02);
    expect(opt2.paramGroups[0]!.initialLr).toBe(0.05);
    expect(opt2.paramGroups[0]!.params).toEqual([dst.w, dst.b]);
    expect(opt2.state.get(dst.w)!.expAvg.dtype).toBe("float32");
    expect(opt2.state.get(dst.w)!.step).toBe(2);
  });

  it("loading rejects a state dict of another shape", () => {
    const { w, b } = problem();
    const opt = new SGD([w, b], { lr: 0.1 });
    const twoGroups = new SGD([{ params: [w] }, { params: [b] }], { lr: 0.1 });
    expect(() => opt.loadStateDict(twoGroups.stateDict())).toThrow(/the state dict has 2 param groups, the optimizer 1/);
    const bad: OptimizerStateDict = { state: {}, paramGroups: [{ ...opt.stateDict().paramGroups[0]!, params: [0] }] };
    expect(() => opt.loadStateDict(bad)).toThrow(/param group 0 has 1 params in the state dict, 2 in the optimizer/);
    const wrongShape: OptimizerStateDict = { ...opt.stateDict(), state: { 0: { momentumBuffer: zeros([5], f64) } } };
    expect(() => opt.loadStateDict(wrongShape)).toThrow(/state 'momentumBuffer' of param 0 has shape \[5\], the param \[3,2\]/);
    const badOption = opt.stateDict();
    badOption.paramGroups[0]!.lr = -1;
    expect(() => opt.loadStateDict(badOption)).toThrow(RangeError);
  });
});

describe("in-place safety", () => {
  it("step() bumps each param's version, so a stale graph cannot backward through it", () => {
    const p = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const opt = new SGD([p], { lr: 0.1 });
    p.square().sum().backward();
    const stale = p.log().sum();
    opt.step();
    expect(() => stale.backward()).toThrow(/'log' saved for backward was modified in place by 'SGD.step'/);
    const adam = new Adam([p], { lr: 0.1 });
    const stale2 = p.sin().sum();
    adam.step();
    expect(() => stale2.backward()).toThrow(/'sin' saved for backward was modified in place by 'Adam.step'/);
  });
});
