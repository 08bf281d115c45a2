/**
 * @file LRScheduler: the base of the learning-rate schedulers, with PyTorch's step semantics.
 * Constructing a scheduler performs the initial step (lastEpoch becomes 0); each `step()` bumps
 * `lastEpoch` and writes the new lr of every param group, computed by the subclass's `getLr()`
 * in PyTorch's recursive (chainable) form from the groups' current lrs, so several schedulers
 * can act on one optimizer and sequences match PyTorch's to the last bit of the recurrence.
 */
import { Optimizer, type AnyOptimizer, type ParamGroup } from "./optimizer.js";

/** A scheduler's state dict: its fields except the optimizer (functions saved as null). */
export type SchedulerStateDict = Record<string, unknown>;

/** The option every scheduler takes: the index of the last epoch when resuming (default -1: start). */
export interface SchedulerOptions {
  lastEpoch?: number;
}

/**
 * Base class of the learning-rate schedulers. Subclasses set their fields, then call
 * `this.initialStep()` at the end of their constructor. Matches `torch.optim.lr_scheduler.LRScheduler`.
 */
export abstract class LRScheduler {
  /** The optimizer whose param groups' `lr` this scheduler writes. */
  readonly optimizer: AnyOptimizer;
  /** Each group's `initialLr`. */
  baseLrs: number[];
  /** The index of the last step (0 after construction). */
  lastEpoch: number;
  /** The number of `step()` calls, the initial one included (PyTorch's `_step_count`). */
  stepCount = 0;
  /** The lrs written by the last step (PyTorch's `_last_lr`). */
  protected lastLr: number[] = [];

  constructor(optimizer: AnyOptimizer, lastEpoch = -1) {
    checkOptimizer(new.target.name, optimizer);
    this.optimizer = optimizer;
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) throw new RangeError(`${new.target.name}: lastEpoch must be an integer >= -1, got ${lastEpoch}`);
    optimizer.paramGroups.forEach((group, i) => {
      if (lastEpoch === -1) group.initialLr ??= group.lr;
      else if (group.initialLr === undefined) {
        throw new RangeError(`${new.target.name}: param group ${i} has no initialLr, needed to resume with lastEpoch ${lastEpoch}`);
      }
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /** The param groups (for subclasses). */
  protected get groups(): ParamGroup[] {
    return this.optimizer.paramGroups;
  }

  /** The lrs of the groups after the last step. Matches `get_last_lr`. */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  /** Advances one step and writes the new lr of every group. Matches `LRScheduler.step()`. */
  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    this.apply(this.getLr());
  }

  /** @internal Resets the step count and performs the first step (end of every constructor; SequentialLR). */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** @internal Jumps to `epoch` using the closed form where there is one (PyTorch's deprecated `step(epoch)`, used by SequentialLR). */
  stepToEpoch(epoch: number): void {
    this.stepCount++;
    this.lastEpoch = epoch;
    this.apply(this.closedFormLr() ?? this.getLr());
  }

  /** The fields that define the schedule and its progress, copied. Matches `state_dict`. */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    for (const [key, value] of Object.entries(this)) if (key !== "optimizer") out[key] = copyValue(value);
    return out;
  }

  /** Restores the fields saved by `stateDict` (keys of another scheduler type are rejected). Matches `load_state_dict`. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    for (const [key, value] of Object.entries(stateDict)) {
      if (key === "optimizer" || !Object.hasOwn(this, key)) {
        throw new RangeError(`${this.constructor.name}.loadStateDict: unknown key '${key}' (a state dict of another scheduler?)`);
      }
      (this as unknown as Record<string, unknown>)[key] = copyValue(value);
    }
  }

  /** The lrs for the current `lastEpoch`, in the chainable form (from the groups' current lrs). */
  protected abstract getLr(): number[];

  /** The lrs for `lastEpoch` computed from `baseLrs` alone, or null when the schedule has no closed form. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  private apply(lrs: readonly number[]): void {
    this.groups.forEach((group, i) => (group.lr = lrs[i]!));
    this.lastLr = this.groups.map((g) => g.lr);
  }
}

/** Throws a TypeError unless `optimizer` is an Optimizer. */
export function checkOptimizer(owner: string, optimizer: unknown): asserts optimizer is AnyOptimizer {
  if (!(optimizer instanceof Optimizer)) {
    const name = optimizer === null || typeof optimizer !== "object" ? null : optimizer.constructor?.name;
    const got = name === null ? String(optimizer) : name === "Object" || name === undefined ? "a plain object" : `a ${name}`;
    throw new TypeError(`${owner}: expected an Optimizer, got ${got}`);
  }
}

/** A deep copy of plain data (arrays and plain objects); functions become null. */
export function copyValue(value: unknown): unknown {
  if (typeof value === "function") return null;
  if (Array.isArray(value)) return value.map(copyValue);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyValue(v)]));
  }
  return value;
}
