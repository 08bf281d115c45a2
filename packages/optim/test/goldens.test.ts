/**
 * @file typegrad's optimizers, schedulers and gradient clipping against PyTorch 1.13, from the
 * committed goldens of scripts/goldens/optim_goldens.py (no Python at test time). Each case
 * describes its own setup (optimizer, options in camelCase, scheduler spec), so the test rebuilds
 * it generically. Tolerance per element: |got - want| <= 1e-10 + 1e-8 |want| (float64).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Tensor, tensor, zeros } from "@typegrad/autograd";
import { NDArray } from "@typegrad/tensor";
import * as optim from "../src/index.js";
import type { AnyOptimizer, LRScheduler } from "../src/index.js";

type Options = Record<string, unknown>;
interface GroupSpec extends Options {
  params: string[];
}
interface OptimizerCase {
  name: string;
  optimizer: "SGD" | "Adam" | "AdamW";
  defaults: Options;
  groups: GroupSpec[];
  steps: number;
  trajectory: { w: number[]; b: number[] }[];
  finalState: Record<string, Record<string, number | number[] | null>>;
}
interface SchedulerSpec {
  type?: string;
  args?: unknown[];
  options?: Options;
  schedulers?: SchedulerSpec[];
  milestones?: number[];
  chain?: SchedulerSpec[];
}
interface SchedulerCase {
  name: string;
  optimizer: "SGD" | "Adam" | "AdamW";
  defaults: Options;
  groups: Options[];
  scheduler: SchedulerSpec;
  lrs: number[][];
  momenta?: number[][];
}
interface ClipCase {
  name: string;
  kind: "norm" | "value";
  maxNorm?: number;
  normType?: number | "inf";
  clipValue?: number;
  totalNorm?: number;
  grads: { a: number[]; b: number[] };
}

const golden = JSON.parse(readFileSync(new URL("./goldens/optim.golden.json", import.meta.url), "utf8")) as {
  torch: string;
  problem: { x: number[][]; t: number[][]; w: number[][]; b: number[]; steps: number };
  optimizers: OptimizerCase[];
  lambdas: string[];
  schedulers: SchedulerCase[];
  clipGrads: { a: number[][]; b: number[] };
  clip: ClipCase[];
};

const ATOL = 1e-10;
const RTOL = 1e-8;

function expectClose(got: ArrayLike<number>, want: readonly number[], what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  want.forEach((w, i) => {
    const g = got[i]!;
    if (!(Math.abs(g - w) <= ATOL + RTOL * Math.abs(w))) {
      throw new Error(`${what}[${i}]: got ${g}, want ${w} (|diff| ${Math.abs(g - w)})`);
    }
  });
}

const f64 = { dtype: "float64" } as const;
const { x, t } = { x: tensor(golden.problem.x, f64), t: tensor(golden.problem.t, f64) };

/** The goldens' loss: mean((x@w + b - t)^2) + 0.3 sum(sin(2w)) + 0.1 sum(b^3). */
function loss(w: Tensor, b: Tensor): Tensor {
  return x.matmul(w).add(b).sub(t).pow(2).mean().add(w.mul(2).sin().sum().mul(0.3)).add(b.pow(3).sum().mul(0.1));
}

function makeOptimizer(kind: string, params: Iterable<Tensor> | Options[], defaults: Options): AnyOptimizer {
  const ctor = { SGD: optim.SGD, Adam: optim.Adam, AdamW: optim.AdamW }[kind];
  if (!ctor) throw new Error(`unknown optimizer ${kind}`);
  return new (ctor as new (p: unknown, o: unknown) => AnyOptimizer)(params, defaults);
}

/** w as a leaf; `transposed` stores it column-major (a non-contiguous leaf with the same values). */
function makeW(transposed: boolean): Tensor {
  const w = tensor(golden.problem.w, f64);
  if (!transposed) return w.requiresGrad_();
  const storage = tensor(golden.problem.w, f64).t().contiguous().array; // [2,3] row-major = w column-major
  return new Tensor(storage.transpose(0, 1), true);
}

function runOptimizerCase(c: OptimizerCase, transposed: boolean) {
  const w = makeW(transposed);
  const b = tensor(golden.problem.b, { ...f64, requiresGrad: true });
  const named: Record<string, Tensor> = { w, b };
  const groups = c.groups.map(({ params, ...options }) => ({ ...options, params: params.map((n) => named[n]!) }));
  const opt = makeOptimizer(c.optimizer, groups, c.defaults);
  const trajectory = [];
  for (let k = 0; k < c.steps; k++) {
    opt.zeroGrad();
    loss(w, b).backward();
    opt.step();
    trajectory.push({ w: Array.from(w.toArray() as Float64Array), b: Array.from(b.toArray() as Float64Array) });
  }
  return { opt, trajectory, w };
}

describe("optimizers against PyTorch 1.13", () => {
  it("covers the expected configurations", () => {
    expect(golden.torch.startsWith("1.13")).toBe(true);
    expect(golden.optimizers.length).toBeGreaterThanOrEqual(15);
  });

  for (const c of golden.optimizers) {
    it(`${c.name}: params after each of ${c.steps} steps`, () => {
      const { trajectory } = runOptimizerCase(c, false);
      c.trajectory.forEach((want, k) => {
        expectClose(trajectory[k]!.w, want.w, `${c.name} step ${k + 1} w`);
        expectClose(trajectory[k]!.b, want.b, `${c.name} step ${k + 1} b`);
      });
    });

    it(`${c.name}: final state dict matches PyTorch's state_dict`, () => {
      const { opt } = runOptimizerCase(c, false);
      const sd = opt.stateDict();
      expect(Object.keys(sd.state).sort()).toEqual(Object.keys(c.finalState).sort());
      for (const [index, entry] of Object.entries(c.finalState)) {
        const got = sd.state[Number(index)]!;
        expect(Object.keys(got).sort()).toEqual(Object.keys(entry).sort());
        for (const [key, want] of Object.entries(entry)) {
          const value = got[key];
          if (want === null) expect(value).toBeNull();
          else if (typeof want === "number") expect(value).toBe(want);
          else expectClose((value as Tensor).toArray() as Float64Array, want, `${c.name} state ${index}.${key}`);
        }
      }
      expect(sd.paramGroups.map((g) => g.params)).toEqual(
        c.groups.reduce<number[][]>((acc, g) => [...acc, g.params.map((_, i) => acc.flat().length + i)], []),
      );
    });
  }

  for (const name of ["sgd_nesterov", "adam_amsgrad", "adamw_two_groups"]) {
    it(`${name}: a non-contiguous (transposed) param follows the same trajectory`, () => {
      const c = golden.optimizers.find((o) => o.name === name)!;
      const { trajectory, w } = runOptimizerCase(c, true);
      expect(w.array.isContiguous()).toBe(false);
      c.trajectory.forEach((want, k) => expectClose(trajectory[k]!.w, want.w, `${name} step ${k + 1} w (transposed)`));
    });
  }
});

const LAMBDAS: Record<string, optim.LrLambda> = {
  pow095: (e) => 0.95 ** e,
  inverse: (e) => 1 / (e + 1),
  warmup5: (e) => Math.min(1, (e + 1) / 5),
};

function buildScheduler(opt: AnyOptimizer, spec: SchedulerSpec): LRScheduler {
  const s = optim.lrScheduler;
  const args = spec.args ?? [];
  const options = spec.options ?? {};
  switch (spec.type) {
    case "StepLR": return new s.StepLR(opt, args[0] as number, options);
    case "MultiStepLR": return new s.MultiStepLR(opt, args[0] as number[], options);
    case "ExponentialLR": return new s.ExponentialLR(opt, args[0] as number, options);
    case "CosineAnnealingLR": return new s.CosineAnnealingLR(opt, args[0] as number, options);
    case "LinearLR": return new s.LinearLR(opt, options);
    case "LambdaLR": {
      const a = args[0] as string | string[];
      return new s.LambdaLR(opt, Array.isArray(a) ? a.map((n) => LAMBDAS[n]!) : LAMBDAS[a]!, options);
    }
    case "SequentialLR": return new s.SequentialLR(opt, spec.schedulers!.map((sub) => buildScheduler(opt, sub)), spec.milestones!);
    case "OneCycleLR": return new s.OneCycleLR(opt, args[0] as number | number[], options);
    default: throw new Error(`unknown scheduler ${spec.type}`);
  }
}

function momenta(opt: AnyOptimizer): number[] {
  return opt.paramGroups.map((g) => {
    const group = g as unknown as { betas?: number[]; momentum?: number };
    return group.betas ? group.betas[0]! : group.momentum!;
  });
}

describe("learning-rate schedulers against PyTorch 1.13", () => {
  it("uses every lambda the goldens name", () => expect(Object.keys(LAMBDAS).sort()).toEqual([...golden.lambdas].sort()));

  for (const c of golden.schedulers) {
    it(`${c.name}: lr${c.momenta ? " and momentum" : ""} of each group over ${c.lrs.length} steps`, () => {
      const params = [zeros([2], { requiresGrad: true }), zeros([3], { requiresGrad: true })];
      const opt = makeOptimizer(c.optimizer, c.groups.map((g, i) => ({ ...g, params: [params[i]!] })), c.defaults);
      const scheds = c.scheduler.chain ? c.scheduler.chain.map((s) => buildScheduler(opt, s)) : [buildScheduler(opt, c.scheduler)];
      const last = scheds[scheds.length - 1]!;
      c.lrs.forEach((want, k) => {
        if (k > 0) {
          opt.step();
          scheds.forEach((s) => s.step());
        }
        expectClose(last.getLastLr(), want, `${c.name} lr at step ${k}`);
        expectClose(opt.paramGroups.map((g) => g.lr), want, `${c.name} group lr at step ${k}`);
        if (c.momenta) expectClose(momenta(opt), c.momenta[k]!, `${c.name} momentum at step ${k}`);
      });
    });
  }
});

describe("gradient clipping against PyTorch 1.13", () => {
  function clipParams(): Tensor[] {
    const a = zeros([3, 2], { ...f64, requiresGrad: true });
    const b = zeros([4], { ...f64, requiresGrad: true });
    const c = zeros([2], { ...f64, requiresGrad: true });
    a.grad = tensor(golden.clipGrads.a, f64);
    b.grad = new Tensor(NDArray.fromStorage(Float64Array.from(golden.clipGrads.b), [4]));
    return [a, b, c];
  }

  for (const c of golden.clip) {
    it(`${c.name}`, () => {
      const params = clipParams();
      if (c.kind === "norm") {
        const normType = c.normType === "inf" ? Infinity : c.normType!;
        const total = optim.clipGradNorm_(params, c.maxNorm!, { normType });
        expect(total.shape).toEqual([]);
        expect(total.dtype).toBe("float64");
        expectClose([total.item()], [c.totalNorm!], `${c.name} total norm`);
      } else optim.clipGradValue_(params, c.clipValue!);
      expectClose(params[0]!.grad!.toArray() as Float64Array, c.grads.a, `${c.name} grad a`);
      expectClose(params[1]!.grad!.toArray() as Float64Array, c.grads.b, `${c.name} grad b`);
      expect(params[2]!.grad).toBeNull();
    });
  }
});
