/**
 * @file OneCycleLR: the 1cycle policy (warm up to `maxLr`, anneal to `maxLr / divFactor /
 * finalDivFactor`), cycling momentum the other way: `momentum` for SGD, beta1 for Adam/AdamW.
 * A port of PyTorch 1.13's OneCycleLR: the phase table, the annealing functions and the group
 * keys it adds (`initialLr`, `maxLr`, `minLr`, `maxMomentum`, `baseMomentum`) are the same.
 */
import type { AnyOptimizer, ParamGroup } from "./optimizer.js";
import { checkOptimizer, LRScheduler, type SchedulerOptions } from "./scheduler-base.js";

/** OneCycleLR's options (PyTorch's names in camelCase). Give `totalSteps`, or `epochs` and `stepsPerEpoch`. */
export interface OneCycleLROptions extends SchedulerOptions {
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: "cos" | "linear";
  cycleMomentum?: boolean;
  baseMomentum?: number | readonly number[];
  maxMomentum?: number | readonly number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
}

type GroupKey = "initialLr" | "maxLr" | "minLr" | "maxMomentum" | "baseMomentum";

/** One phase of the cycle: lr and momentum anneal from the start keys' values to the end keys' by `endStep`. */
export interface OneCyclePhase {
  endStep: number;
  startLr: GroupKey;
  endLr: GroupKey;
  startMomentum: GroupKey;
  endMomentum: GroupKey;
}

/**
 * The 1cycle learning-rate policy; step it after every batch. Matches `torch.optim.lr_scheduler.OneCycleLR`.
 * @example const sched = new OneCycleLR(opt, 0.01, { epochs: 10, stepsPerEpoch: batches.length });
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly schedulePhases: OneCyclePhase[];
  readonly annealStrategy: "cos" | "linear";
  readonly cycleMomentum: boolean;
  /** True when momentum is cycled through beta1 (Adam, AdamW), false through `momentum` (SGD). */
  readonly useBeta1: boolean;

  constructor(optimizer: AnyOptimizer, maxLr: number | readonly number[], options: OneCycleLROptions = {}) {
    const config = configure(optimizer, maxLr, options);
    super(optimizer, options.lastEpoch);
    this.totalSteps = config.totalSteps;
    this.schedulePhases = config.phases;
    this.annealStrategy = config.annealStrategy;
    this.cycleMomentum = config.cycleMomentum;
    this.useBeta1 = config.useBeta1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new RangeError(`OneCycleLR: tried to step ${stepNum + 1} times; the specified number of total steps is ${this.totalSteps}`);
    }
    const anneal = this.annealStrategy === "cos" ? annealCos : annealLinear;
    const last = this.schedulePhases.length - 1;
    return this.groups.map((group) => {
      const values = group as unknown as Record<GroupKey, number>;
      let startStep = 0;
      let lr = 0, momentum = 0;
      for (const [i, phase] of this.schedulePhases.entries()) {
        if (stepNum <= phase.endStep || i === last) {
          const pct = (stepNum - startStep) / (phase.endStep - startStep);
          lr = anneal(values[phase.startLr], values[phase.endLr], pct);
          if (this.cycleMomentum) momentum = anneal(values[phase.startMomentum], values[phase.endMomentum], pct);
          break;
        }
        startStep = phase.endStep;
      }
      if (this.cycleMomentum) setMomentum(group, this.useBeta1, momentum);
      return lr;
    });
  }
}

/** Cosine anneal from `start` to `end` as pct goes from 0 to 1. */
function annealCos(start: number, end: number, pct: number): number {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + ((start - end) / 2) * cosOut;
}

/** Linear anneal from `start` to `end` as pct goes from 0 to 1. */
function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

function setMomentum(group: ParamGroup, useBeta1: boolean, momentum: number): void {
  const g = group as unknown as { betas: number[]; momentum: number };
  if (useBeta1) g.betas = [momentum, ...g.betas.slice(1)];
  else g.momentum = momentum;
}

/** Validates the options and, when starting (lastEpoch -1), writes the group keys the schedule reads. */
function configure(optimizer: AnyOptimizer, maxLr: number | readonly number[], o: OneCycleLROptions) {
  checkOptimizer("OneCycleLR", optimizer);
  const positiveInt = (v: number | undefined, name: string): number => {
    if (v === undefined || !Number.isInteger(v) || v <= 0) throw new RangeError(`OneCycleLR: expected a positive integer ${name}, got ${v}`);
    return v;
  };
  let totalSteps: number;
  if (o.totalSteps !== undefined) totalSteps = positiveInt(o.totalSteps, "totalSteps");
  else if (o.epochs === undefined && o.stepsPerEpoch === undefined) throw new RangeError("OneCycleLR: give either totalSteps, or epochs and stepsPerEpoch");
  else totalSteps = positiveInt(o.epochs, "epochs") * positiveInt(o.stepsPerEpoch, "stepsPerEpoch");
  const pctStart = o.pctStart ?? 0.3;
  if (!(pctStart >= 0 && pctStart <= 1)) throw new RangeError(`OneCycleLR: expected pctStart between 0 and 1, got ${pctStart}`);
  const annealStrategy = o.annealStrategy ?? "cos";
  if (annealStrategy !== "cos" && annealStrategy !== "linear") throw new RangeError(`OneCycleLR: annealStrategy must be "cos" or "linear", got ${String(annealStrategy)}`);
  const phases: OneCyclePhase[] = o.threePhase
    ? [
        { endStep: pctStart * totalSteps - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
        { endStep: 2 * pctStart * totalSteps - 2, startLr: "maxLr", endLr: "initialLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
        { endStep: totalSteps - 1, startLr: "initialLr", endLr: "minLr", startMomentum: "maxMomentum", endMomentum: "maxMomentum" },
      ]
    : [
        { endStep: pctStart * totalSteps - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
        { endStep: totalSteps - 1, startLr: "maxLr", endLr: "minLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
      ];
  const groups = optimizer.paramGroups;
  const starting = (o.lastEpoch ?? -1) === -1;
  const divFactor = o.divFactor ?? 25, finalDivFactor = o.finalDivFactor ?? 1e4;
  const maxLrs = perGroup(maxLr, "maxLr", groups.length);
  if (starting) {
    groups.forEach((group, i) => {
      group.initialLr = maxLrs[i]! / divFactor;
      group.maxLr = maxLrs[i]!;
      group.minLr = group.initialLr / finalDivFactor;
    });
  }
  const cycleMomentum = o.cycleMomentum ?? true;
  const defaults = optimizer.defaults as object;
  const useBeta1 = "betas" in defaults;
  if (cycleMomentum) {
    if (!("momentum" in defaults) && !useBeta1) throw new RangeError("OneCycleLR: cycleMomentum needs an optimizer with momentum or betas; pass cycleMomentum: false");
    const maxMomenta = perGroup(o.maxMomentum ?? 0.95, "maxMomentum", groups.length);
    const baseMomenta = perGroup(o.baseMomentum ?? 0.85, "baseMomentum", groups.length);
    if (starting) {
      groups.forEach((group, i) => {
        setMomentum(group, useBeta1, maxMomenta[i]!);
        group.maxMomentum = maxMomenta[i]!;
        group.baseMomentum = baseMomenta[i]!;
      });
    }
  }
  return { totalSteps, phases, annealStrategy, cycleMomentum, useBeta1 };
}

function perGroup(value: number | readonly number[], name: string, n: number): readonly number[] {
  if (typeof value === "number") return new Array<number>(n).fill(value);
  if (!Array.isArray(value) || value.length !== n) throw new RangeError(`OneCycleLR: expected ${n} values for ${name} (one per param group), got ${JSON.stringify(value)}`);
  return value;
}
