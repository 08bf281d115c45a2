/**
 * @file The learning-rate schedulers other than OneCycleLR, each PyTorch 1.13's `get_lr`
 * (chainable form: the new lr from the group's current lr) and, where PyTorch has one, its
 * `_get_closed_form_lr` (used when SequentialLR hands over to a scheduler at a milestone).
 */
import { type AnyOptimizer } from "./optimizer.js";
import { copyValue, LRScheduler, type SchedulerOptions, type SchedulerStateDict } from "./scheduler-base.js";

/**
 * Multiplies the lr by `gamma` every `stepSize` steps. Matches `torch.optim.lr_scheduler.StepLR`.
 * @example const sched = new StepLR(opt, 30, { gamma: 0.1 }); // after each epoch: sched.step()
 */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, stepSize: number, options: { gamma?: number } & SchedulerOptions = {}) {
    super(optimizer, options.lastEpoch);
    if (!Number.isInteger(stepSize) || stepSize < 1) throw new RangeError(`StepLR: stepSize must be a positive integer, got ${stepSize}`);
    this.stepSize = stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/**
 * Multiplies the lr by `gamma` at each milestone (a milestone listed twice multiplies twice).
 * Matches `torch.optim.lr_scheduler.MultiStepLR`.
 * @example const sched = new MultiStepLR(opt, [30, 80], { gamma: 0.1 });
 */
export class MultiStepLR extends LRScheduler {
  /** The milestones, sorted (repeats kept: PyTorch's Counter). */
  readonly milestones: number[];
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, milestones: readonly number[], options: { gamma?: number } & SchedulerOptions = {}) {
    super(optimizer, options.lastEpoch);
    if (!Array.isArray(milestones) || milestones.some((m) => !Number.isInteger(m))) {
      throw new TypeError(`MultiStepLR: milestones must be an array of integers, got ${JSON.stringify(milestones)}`);
    }
    this.milestones = milestones.slice().sort((a, b) => a - b);
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** count);
  }

  protected closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length; // bisect_right
    return this.baseLrs.map((base) => base * this.gamma ** passed);
  }
}

/**
 * Multiplies the lr by `gamma` every step. Matches `torch.optim.lr_scheduler.ExponentialLR`.
 * @example const sched = new ExponentialLR(opt, 0.95);
 */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, gamma: number, options: SchedulerOptions = {}) {
    super(optimizer, options.lastEpoch);
    if (typeof gamma !== "number") throw new TypeError(`ExponentialLR: gamma must be a number, got ${typeof gamma}`);
    this.gamma = gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }
}

/**
 * Cosine annealing from the initial lr to `etaMin` over `tMax` steps, then back up (a cosine
 * of period 2·tMax), in PyTorch's recursive form. Matches `torch.optim.lr_scheduler.CosineAnnealingLR`.
 * @example const sched = new CosineAnnealingLR(opt, 100, { etaMin: 1e-5 });
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: AnyOptimizer, tMax: number, options: { etaMin?: number } & SchedulerOptions = {}) {
    super(optimizer, options.lastEpoch);
    if (!(tMax > 0)) throw new RangeError(`CosineAnnealingLR: tMax must be > 0, got ${tMax}`);
    this.tMax = tMax;
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: e, tMax: T, etaMin } = this;
    if (e === 0) return this.groups.map((g) => g.lr);
    if (this.stepCount === 1 && e > 0) return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    if ((e - 1 - T) % (2 * T) === 0) {
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return this.groups.map((g) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (g.lr - etaMin) + etaMin);
  }

  protected closedFormLr(): number[] {
    return this.baseLrs.map((base) => this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}

/** A function of the step index giving the factor applied to the initial lr. */
export type LrLambda = (epoch: number) => number;

/**
 * Sets the lr to initialLr · lrLambda(step), one function for all groups or one per group.
 * Matches `torch.optim.lr_scheduler.LambdaLR`.
 * @example const sched = new LambdaLR(opt, (e) => Math.min(1, (e + 1) / 100)); // warmup
 */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: LrLambda[];

  constructor(optimizer: AnyOptimizer, lrLambda: LrLambda | readonly LrLambda[], options: SchedulerOptions = {}) {
    super(optimizer, options.lastEpoch);
    const n = optimizer.paramGroups.length;
    if (Array.isArray(lrLambda)) {
      if (lrLambda.length !== n) throw new RangeError(`LambdaLR: expected ${n} lrLambdas (one per param group), got ${lrLambda.length}`);
      this.lrLambdas = lrLambda.slice();
    } else this.lrLambdas = new Array<LrLambda>(n).fill(lrLambda as LrLambda);
    this.lrLambdas.forEach((f, i) => {
      if (typeof f !== "function") throw new TypeError(`LambdaLR: lrLambda ${i} is not a function`);
    });
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lrLambdas[i]!(this.lastEpoch));
  }

  /** The state without the functions (saved as nulls, as PyTorch saves plain functions). */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const { lrLambdas: _functions, ...rest } = stateDict;
    super.loadStateDict(rest);
  }
}

/**
 * Scales the lr by a factor going linearly from `startFactor` to `endFactor` over `totalIters`
 * steps. Matches `torch.optim.lr_scheduler.LinearLR`.
 * @example const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 10 });
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: AnyOptimizer, options: { startFactor?: number; endFactor?: number; totalIters?: number } & SchedulerOptions = {}) {
    super(optimizer, options.lastEpoch);
    this.startFactor = options.startFactor ?? 1 / 3;
    this.endFactor = options.endFactor ?? 1;
    this.totalIters = options.totalIters ?? 5;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) throw new RangeError(`LinearLR: startFactor must be in (0, 1], got ${this.startFactor}`);
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw new RangeError(`LinearLR: endFactor must be in [0, 1], got ${this.endFactor}`);
    if (!Number.isInteger(this.totalIters) || this.totalIters < 1) throw new RangeError(`LinearLR: totalIters must be a positive integer, got ${this.totalIters}`);
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: T } = this;
    if (e === 0) return this.groups.map((g) => g.lr * s);
    if (e > T) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 + (f - s) / (T * s + (e - 1) * (f - s))));
  }

  protected closedFormLr(): number[] {
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: T } = this;
    return this.baseLrs.map((base) => base * (s + ((f - s) * Math.min(T, e)) / T));
  }
}

/**
 * Runs `schedulers` one after another, switching at each milestone (the next scheduler then
 * starts from its step 0). Matches `torch.optim.lr_scheduler.SequentialLR`.
 * @example
 * const sched = new SequentialLR(opt, [new LinearLR(opt, { startFactor: 0.1, totalIters: 5 }), new CosineAnnealingLR(opt, 95)], [5]);
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];

  constructor(optimizer: AnyOptimizer, schedulers: readonly LRScheduler[], milestones: readonly number[], options: SchedulerOptions = {}) {
    super(optimizer, options.lastEpoch);
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new RangeError("SequentialLR: expected at least one scheduler");
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new TypeError(`SequentialLR: schedulers[${i}] is not a scheduler`);
      if (s.optimizer !== optimizer) throw new RangeError(`SequentialLR: schedulers[${i}] belongs to another optimizer than the one passed in`);
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new RangeError(`SequentialLR: expected ${schedulers.length - 1} milestones (one fewer than the ${schedulers.length} schedulers), got ${milestones.length}`);
    }
    this.schedulers = schedulers.slice();
    this.milestones = milestones.slice();
    this.lastEpoch = (options.lastEpoch ?? -1) + 1;
    // Undo the initial steps of the schedulers, then start the first one.
    for (const group of this.groups) group.lr = group.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0]!.initialStep();
    this.lastLr = this.schedulers[0]!.getLastLr();
  }

  /** Steps the scheduler whose interval contains the new step (at a milestone, it restarts at 0). */
  step(): void {
    this.lastEpoch++;
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length; // bisect_right
    const scheduler = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.stepToEpoch(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  /** The state with each scheduler's own state dict. */
  stateDict(): SchedulerStateDict {
    const { schedulers: _own, ...rest } = super.stateDict();
    return { ...rest, schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(stateDict: SchedulerStateDict): void {
    const { schedulers, ...rest } = stateDict;
    if (!Array.isArray(schedulers) || schedulers.length !== this.schedulers.length) {
      throw new RangeError(`SequentialLR.loadStateDict: expected ${this.schedulers.length} scheduler states`);
    }
    super.loadStateDict(rest);
    schedulers.forEach((s, i) => this.schedulers[i]!.loadStateDict(copyValue(s) as SchedulerStateDict));
  }

  protected getLr(): number[] {
    return this.groups.map((g) => g.lr);
  }
}
