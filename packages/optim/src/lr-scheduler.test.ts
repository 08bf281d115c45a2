/**
 * @file Scheduler behaviour beyond the lr sequences (those are in test/goldens.test.ts): the
 * namespace export, PyTorch's construction step, state dicts that resume a schedule exactly,
 * several schedulers on one optimizer, custom subclasses, and validation errors.
 */
import { describe, expect, it } from "vitest";
import { Tensor, zeros } from "@typegrad/autograd";
import * as optim from "./index.js";
import {
  Adam,
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  LRScheduler,
  MultiStepLR,
  OneCycleLR,
  Optimizer,
  SequentialLR,
  SGD,
  StepLR,
  type AnyOptimizer,
  type ParamGroup,
} from "./index.js";

const param = () => zeros([2], { requiresGrad: true });
const sgd = (lrs: number[] = [0.1, 0.05]) => new SGD(lrs.map((lr) => ({ params: [param()], lr })), { lr: 0.1, momentum: 0.9 });

function run(sched: LRScheduler, opt: AnyOptimizer, steps: number): number[][] {
  const out: number[][] = [];
  for (let k = 0; k < steps; k++) {
    opt.step();
    sched.step();
    out.push(sched.getLastLr());
  }
  return out;
}

describe("LRScheduler", () => {
  it("is exported at top level and as the lrScheduler namespace", () => {
    expect(optim.lrScheduler.StepLR).toBe(StepLR);
    expect(optim.lrScheduler.OneCycleLR).toBe(OneCycleLR);
    expect(optim.lrScheduler.LRScheduler).toBe(LRScheduler);
  });

  it("performs the initial step on construction (lastEpoch 0, initialLr recorded)", () => {
    const opt = sgd();
    const sched = new StepLR(opt, 2, { gamma: 0.5 });
    expect(sched.lastEpoch).toBe(0);
    expect(sched.stepCount).toBe(1);
    expect(sched.getLastLr()).toEqual([0.1, 0.05]);
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([0.1, 0.05]);
    expect(sched.baseLrs).toEqual([0.1, 0.05]);
    expect(run(sched, opt, 4)).toEqual([[0.1, 0.05], [0.05, 0.025], [0.05, 0.025], [0.025, 0.0125]]);
    expect(sched.lastEpoch).toBe(4);
  });

  it("getLastLr returns a copy", () => {
    const sched = new ExponentialLR(sgd(), 0.5);
    sched.getLastLr()[0] = 42;
    expect(sched.getLastLr()).toEqual([0.1, 0.05]);
  });

  it("chains: two schedulers on one optimizer multiply their effects (recursive form)", () => {
    const opt = sgd([1]);
    const a = new StepLR(opt, 2, { gamma: 0.5 });
    const b = new ExponentialLR(opt, 0.9);
    opt.step();
    a.step();
    b.step();
    opt.step();
    a.step();
    b.step();
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.5 * 0.81, 15);
  });

  it("a user-defined scheduler only implements getLr and calls initialStep", () => {
    class HalvingLR extends LRScheduler {
      constructor(opt: AnyOptimizer) {
        super(opt);
        this.initialStep();
      }
      protected getLr(): number[] {
        return this.baseLrs.map((base) => base / 2 ** this.lastEpoch);
      }
    }
    const opt = sgd([1]);
    const sched = new HalvingLR(opt);
    expect(run(sched, opt, 3)).toEqual([[0.5], [0.25], [0.125]]);
  });

  it("resumes with lastEpoch from the groups' initialLr", () => {
    const opt = sgd([1]);
    expect(() => new StepLR(opt, 2, { lastEpoch: 3 })).toThrow(/param group 0 has no initialLr, needed to resume with lastEpoch 3/);
    opt.paramGroups[0]!.initialLr = 1;
    opt.paramGroups[0]!.lr = 0.5;
    const sched = new ExponentialLR(opt, 0.5, { lastEpoch: 3 });
    expect(sched.lastEpoch).toBe(4);
    expect(sched.getLastLr()).toEqual([0.25]);
  });
});

describe("scheduler state dicts resume exactly", () => {
  const builders: Record<string, (opt: AnyOptimizer) => LRScheduler> = {
    StepLR: (o) => new StepLR(o, 3, { gamma: 0.5 }),
    MultiStepLR: (o) => new MultiStepLR(o, [4, 9, 9], { gamma: 0.3 }),
    CosineAnnealingLR: (o) => new CosineAnnealingLR(o, 6, { etaMin: 0.001 }),
    LambdaLR: (o) => new LambdaLR(o, [(e) => 0.9 ** e, (e) => 1 / (e + 1)]),
    LinearLR: (o) => new LinearLR(o, { startFactor: 0.2, totalIters: 12 }),
    SequentialLR: (o) => new SequentialLR(o, [new LinearLR(o, { startFactor: 0.1, totalIters: 4 }), new CosineAnnealingLR(o, 8), new StepLR(o, 2)], [4, 12]),
    OneCycleLR: (o) => new OneCycleLR(o, [1, 0.5], { totalSteps: 20, threePhase: true }),
  };
  for (const [name, build] of Object.entries(builders)) {
    it(name, () => {
      const opt = sgd();
      const sched = build(opt);
      run(sched, opt, 8);
      const saved = { opt: opt.stateDict(), sched: sched.stateDict() };
      const want = run(sched, opt, 10);
      const wantMomentum = opt.paramGroups.map((g) => g.momentum);

      const opt2 = sgd([0.3, 0.3]);
      const sched2 = build(opt2);
      opt2.loadStateDict(saved.opt);
      sched2.loadStateDict(saved.sched);
      expect(sched2.getLastLr()).toEqual(saved.opt.paramGroups.map((g) => g.lr));
      expect(run(sched2, opt2, 10)).toEqual(want);
      expect(opt2.paramGroups.map((g) => g.momentum)).toEqual(wantMomentum);
    });
  }

  it("the state dict holds plain data only (lambdas as null, sub-schedulers as their state dicts)", () => {
    const opt = sgd();
    const seq = new SequentialLR(opt, [new LambdaLR(opt, (e) => e + 1), new ExponentialLR(opt, 0.5)], [3]);
    const sd = seq.stateDict();
    expect(sd).not.toHaveProperty("optimizer");
    expect(sd.milestones).toEqual([3]);
    const subs = sd.schedulers as Record<string, unknown>[];
    expect(subs[0]!.lrLambdas).toEqual([null, null]);
    expect(subs[1]!.gamma).toBe(0.5);
    expect(JSON.parse(JSON.stringify(sd))).toEqual(sd);
  });

  it("rejects the state dict of another scheduler type", () => {
    const opt = sgd();
    const step = new StepLR(opt, 3);
    expect(() => new ExponentialLR(opt, 0.5).loadStateDict(step.stateDict())).toThrow(/ExponentialLR.loadStateDict: unknown key 'stepSize'/);
  });
});

describe("OneCycleLR", () => {
  it("cycles beta1 for Adam and momentum for SGD, and writes PyTorch's group keys", () => {
    const adam = new Adam([param()], { betas: [0.9, 0.98] });
    new OneCycleLR(adam, 0.01, { totalSteps: 10 });
    const g = adam.paramGroups[0]!;
    expect(g.betas).toEqual([0.95, 0.98]);
    expect(g).toMatchObject({ initialLr: 0.01 / 25, maxLr: 0.01, minLr: 0.01 / 25 / 1e4, maxMomentum: 0.95, baseMomentum: 0.85 });
    expect(g.lr).toBeCloseTo(0.01 / 25, 15); // cos-annealed at pct 0, as PyTorch: not bit-exact
    const s = sgd([0.1]);
    new OneCycleLR(s, 0.1, { totalSteps: 10, maxMomentum: 0.9 });
    expect(s.paramGroups[0]!.momentum).toBe(0.9);
  });

  it("reaches minLr at step totalSteps - 1, allows one more step (as PyTorch), then throws", () => {
    const opt = sgd([0.1]);
    const sched = new OneCycleLR(opt, 1, { totalSteps: 5 });
    run(sched, opt, 4);
    expect(sched.getLastLr()[0]).toBeCloseTo(1 / 25 / 1e4, 15);
    sched.step();
    expect(() => sched.step()).toThrow(/OneCycleLR: tried to step 7 times; the specified number of total steps is 5/);
  });

  it("validates its options", () => {
    const opt = sgd();
    expect(() => new OneCycleLR(opt, 1)).toThrow(/give either totalSteps, or epochs and stepsPerEpoch/);
    expect(() => new OneCycleLR(opt, 1, { totalSteps: 0 })).toThrow(/expected a positive integer totalSteps, got 0/);
    expect(() => new OneCycleLR(opt, 1, { epochs: 2 })).toThrow(/stepsPerEpoch, got undefined/);
    expect(() => new OneCycleLR(opt, 1, { totalSteps: 10, pctStart: 1.5 })).toThrow(/pctStart between 0 and 1, got 1.5/);
    expect(() => new OneCycleLR(opt, 1, { totalSteps: 10, annealStrategy: "exp" as "cos" })).toThrow(/annealStrategy must be "cos" or "linear"/);
    expect(() => new OneCycleLR(opt, [1, 2, 3], { totalSteps: 10 })).toThrow(/expected 2 values for maxLr/);

    class Plain extends Optimizer<{ lr: number }, Record<string, never>> {
      constructor(params: Tensor[]) {
        super(params, { lr: 0.1 });
      }
      protected checkOptions(): void {}
      protected updateGroup(_group: ParamGroup<{ lr: number }>): void {}
    }
    const plain = new Plain([param()]);
    expect(() => new OneCycleLR(plain, 1, { totalSteps: 10 })).toThrow(/cycleMomentum needs an optimizer with momentum or betas/);
    expect(() => new OneCycleLR(plain, 1, { totalSteps: 10, cycleMomentum: false })).not.toThrow();
  });
});

describe("validation", () => {
  const opt = sgd();
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ["a non-optimizer", () => new StepLR({} as AnyOptimizer, 2), TypeError, /^StepLR: expected an Optimizer, got a plain object/],
    ["stepSize 0", () => new StepLR(opt, 0), RangeError, /^StepLR: stepSize must be a positive integer, got 0/],
    ["non-integer milestones", () => new MultiStepLR(opt, [1.5]), TypeError, /^MultiStepLR: milestones must be an array of integers/],
    ["tMax 0", () => new CosineAnnealingLR(opt, 0), RangeError, /^CosineAnnealingLR: tMax must be > 0/],
    ["too few lambdas", () => new LambdaLR(opt, [(e) => e]), RangeError, /^LambdaLR: expected 2 lrLambdas \(one per param group\), got 1/],
    ["startFactor 0", () => new LinearLR(opt, { startFactor: 0 }), RangeError, /^LinearLR: startFactor must be in \(0, 1\], got 0/],
    ["endFactor 2", () => new LinearLR(opt, { endFactor: 2 }), RangeError, /^LinearLR: endFactor must be in \[0, 1\], got 2/],
    ["wrong milestone count", () => new SequentialLR(opt, [new StepLR(opt, 2), new StepLR(opt, 3)], []), RangeError, /^SequentialLR: expected 1 milestones/],
    ["a scheduler of another optimizer", () => new SequentialLR(opt, [new StepLR(sgd(), 2)], []), RangeError, /^SequentialLR: schedulers\[0\] belongs to another optimizer/],
    ["a bad lastEpoch", () => new StepLR(opt, 2, { lastEpoch: -2 }), RangeError, /^StepLR: lastEpoch must be an integer >= -1, got -2/],
  ];
  for (const [name, fn, type, message] of cases) {
    it(`rejects ${name}`, () => {
      expect(fn).toThrow(type);
      expect(fn).toThrow(message);
    });
  }
});
