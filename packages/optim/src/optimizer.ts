/**
 * @file Optimizer: the base class of every optimizer. It owns the param groups (each a list of
 * tensors plus its resolved options, mutable so schedulers can write `lr`), the per-parameter
 * state, `zeroGrad`, and state dicts in PyTorch's layout (params by index). Subclasses add
 * option checks and `updateGroup`, which `step()` calls under `noGrad` for every group.
 * `forEachElementRow` is the one layout walk the fused update loops use.
 */
import { enableGrad, noGrad, Tensor } from "@typegrad/autograd";
import { forEachRow, isFloating, zerosLike as zerosLikeArray, type NDArray } from "@typegrad/tensor";

/** Options every optimizer has. */
export interface OptimizerOptions {
  /** Learning rate (schedulers write it). */
  lr: number;
}

/** Keys the learning-rate schedulers add to a param group (PyTorch's `initial_lr`, `max_lr`, ...). */
export interface SchedulerGroupFields {
  initialLr?: number;
  maxLr?: number;
  minLr?: number;
  maxMomentum?: number;
  baseMomentum?: number;
}

/** A param group as given by the user: its tensors, and options overriding the defaults. */
export type ParamGroupInput<O extends object = OptimizerOptions> = { params: Iterable<Tensor> } & Partial<O>;

/** A param group as stored: its tensors and every option resolved. Matches an entry of `torch.optim.Optimizer.param_groups`. */
export type ParamGroup<O extends object = OptimizerOptions> = O & SchedulerGroupFields & { params: Tensor[] };

/** A value of per-parameter state: a tensor, a count, or nothing yet. */
export type StateValue = Tensor | number | null;

/** Per-parameter state saved in a state dict (tensors copied). */
export type ParamStateDict = Record<string, StateValue>;

/** An optimizer's state dict in PyTorch's layout: state and groups refer to params by index. */
export interface OptimizerStateDict {
  state: Record<number, ParamStateDict>;
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

/** Any optimizer, as schedulers and utilities see it. */
export type AnyOptimizer = Optimizer<OptimizerOptions, object>;

/**
 * Base class of the optimizers. Matches `torch.optim.Optimizer`.
 * @example
 * class MySGD extends Optimizer<{ lr: number }, Record<string, never>> {
 *   protected updateGroup(group: ParamGroup<{ lr: number }>): void { ... }
 * }
 */
export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions, S extends object = Record<string, StateValue>> {
  /** The constructor options, every option resolved (groups fall back to these). */
  readonly defaults: O;
  /** The param groups, options resolved; `group.lr` and the other options may be changed between steps. */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (created lazily by the first step that sees a gradient). */
  readonly state = new Map<Tensor, S>();
  /** The class name used in error messages. */
  protected readonly name: string;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<O>>, defaults: O) {
    this.name = new.target.name;
    this.defaults = defaults;
    if (params instanceof Tensor) {
      throw new TypeError(`${this.name}: params must be an iterable of Tensors or of param groups, got a single Tensor; wrap it in an array`);
    }
    if (params === null || typeof params !== "object" || typeof (params as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new TypeError(`${this.name}: params must be an iterable of Tensors or of param groups, got ${describe(params)}`);
    }
    this.checkOptions(defaults, "defaults");
    const items: unknown[] = Array.from(params as Iterable<unknown>);
    if (items.length === 0) throw new RangeError(`${this.name}: got an empty parameter list`);
    const groups = isGroupObject(items[0]) ? items : [{ params: items }];
    groups.forEach((g) => this.addParamGroup(g as ParamGroupInput<O>));
  }

  /**
   * Adds a param group (options missing from it come from `defaults`); its params must not be
   * in another group. Matches `torch.optim.Optimizer.add_param_group`.
   */
  addParamGroup(group: ParamGroupInput<O>): void {
    const where = `param group ${this.paramGroups.length}`;
    if (!isGroupObject(group)) throw new TypeError(`${this.name}: ${where} must be an object with a 'params' iterable, got ${describe(group)}`);
    const raw: unknown = group.params;
    if (raw instanceof Tensor) throw new TypeError(`${this.name}: ${where}: 'params' must be an iterable of Tensors, got a single Tensor`);
    if (raw === null || typeof raw !== "object" || typeof (raw as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new TypeError(`${this.name}: ${where}: 'params' must be an iterable of Tensors, got ${describe(raw)}`);
    }
    if (raw instanceof Set) throw new TypeError(`${this.name}: ${where}: 'params' must be an ordered collection (an array), not a Set`);
    const params: unknown[] = Array.from(raw as Iterable<unknown>);
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${this.name}: ${where}: params[${i}] is ${describe(p)}, but only Tensors can be optimized`);
      if (!p.isLeaf) throw new RangeError(`${this.name}: ${where}: params[${i}] is not a leaf tensor (it has gradFn ${p.gradFn?.name}); only leaves can be optimized`);
      if (seen.has(p)) throw new RangeError(`${this.name}: ${where}: params[${i}] appears twice in the group`);
      seen.add(p);
    });
    this.paramGroups.forEach((other, j) => {
      const k = other.params.findIndex((p) => seen.has(p));
      if (k >= 0) throw new RangeError(`${this.name}: ${where}: a parameter (params[${params.indexOf(other.params[k])}]) is already in param group ${j}; a parameter may be in only one group`);
    });
    const resolved = { ...cloneOptions(this.defaults), ...cloneOptions(group), params: params as Tensor[] } as ParamGroup<O>;
    this.checkOptions(resolved, where);
    this.paramGroups.push(resolved);
  }

  /**
   * Clears the gradients of all params: to null (default), or to zeros with `setToNone: false`.
   * Matches `torch.optim.Optimizer.zero_grad` (PyTorch 2's default).
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const g = p.grad;
        if (g === null) continue;
        if (setToNone) p.grad = null;
        else {
          const plain = g.requiresGrad ? g.detach() : g;
          if (plain !== g) p.grad = plain;
          noGrad(() => plain.zero_());
        }
      }
    }
  }

  /**
   * Updates every param that has a gradient, without recording a graph; with a closure,
   * first re-evaluates the loss (with grad enabled) and returns it. Matches `torch.optim.Optimizer.step`.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() => {
      for (const group of this.paramGroups) this.updateGroup(group);
    });
    return loss;
  }

  /**
   * A snapshot of the optimizer: state (tensors copied) and groups (options, params as indices).
   * Matches `torch.optim.Optimizer.state_dict`.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((group) => {
      const { params, ...options } = group;
      return { ...cloneOptions(options), params: params.map((p) => indexOf(index, p)) };
    });
    const state: Record<number, ParamStateDict> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = copyState(s as ParamStateDict, p);
    }
    return { state, paramGroups };
  }

  /**
   * Restores state and group options from `stateDict` (copied; float tensors converted to each
   * param's dtype), keeping this optimizer's params. Matches `torch.optim.Optimizer.load_state_dict`.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const saved = stateDict.paramGroups;
    if (!Array.isArray(saved) || saved.length !== this.paramGroups.length) {
      throw new RangeError(`${this.name}.loadStateDict: the state dict has ${Array.isArray(saved) ? saved.length : "no"} param groups, the optimizer ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    saved.forEach((sg, j) => {
      const group = this.paramGroups[j]!;
      if (sg.params.length !== group.params.length) {
        throw new RangeError(`${this.name}.loadStateDict: param group ${j} has ${sg.params.length} params in the state dict, ${group.params.length} in the optimizer`);
      }
      sg.params.forEach((id, k) => byIndex.set(id, group.params[k]!));
    });
    const state = new Map<Tensor, S>();
    for (const [key, entry] of Object.entries(stateDict.state)) {
      const p = byIndex.get(Number(key));
      if (p === undefined) throw new RangeError(`${this.name}.loadStateDict: state for param ${key}, which is in no param group`);
      for (const [name, v] of Object.entries(entry)) {
        if (v instanceof Tensor && !sameShape(v.shape, p.shape)) {
          throw new RangeError(`${this.name}.loadStateDict: state '${name}' of param ${key} has shape [${v.shape.join(",")}], the param [${p.shape.join(",")}]`);
        }
      }
      state.set(p, copyState(entry, p) as S);
    }
    const groups = saved.map((sg, j) => {
      const { params: _ids, ...options } = sg;
      const group = { ...cloneOptions(options), params: this.paramGroups[j]!.params } as unknown as ParamGroup<O>;
      this.checkOptions(group, `param group ${j}`);
      return group;
    });
    this.state.clear();
    for (const [p, s] of state) this.state.set(p, s);
    this.paramGroups.splice(0, this.paramGroups.length, ...groups);
  }

  /** Throws a RangeError/TypeError naming the class and the option when `options` are invalid. */
  protected abstract checkOptions(options: O, where: string): void;

  /** Applies one update to every param of `group` that has a gradient (runs under noGrad). */
  protected abstract updateGroup(group: ParamGroup<O>): void;

}

/** Throws unless `value` is a number >= 0; the message names the owner (a class), the option and the value. */
export function checkNonNegative(owner: string, value: unknown, option: string, where: string): void {
  if (typeof value !== "number") throw new TypeError(`${owner}: ${option} must be a number, got ${describe(value)} (${where})`);
  if (!(value >= 0)) throw new RangeError(`${owner}: invalid ${option} ${value} (expected >= 0) (${where})`);
}

/**
 * Calls `visit(offsets, n, strides)` over rows of same-shaped arrays (one call when all are
 * contiguous): the element at position i of a row sits at `offsets[k] + i * strides[k]` in array k.
 */
export function forEachElementRow(
  arrays: readonly NDArray[],
  visit: (offsets: readonly number[], n: number, strides: readonly number[]) => void,
): void {
  const first = arrays[0]!;
  if (arrays.every((a) => a.isContiguous())) {
    if (first.size > 0) visit(arrays.map((a) => a.offset), first.size, arrays.map(() => 1));
  } else forEachRow(first.shape, arrays, visit);
}

/** The float storage of an array (optimizers only touch float tensors). */
export function floatData(a: NDArray, what: string): Float32Array | Float64Array {
  if (a.data instanceof Float32Array || a.data instanceof Float64Array) return a.data;
  throw new TypeError(`${what}: expected a float tensor, got ${a.dtype}`);
}

/** A zero-filled contiguous float tensor shaped like `p` (a state buffer, allocated once). */
export function zerosLike(p: Tensor): Tensor {
  return new Tensor(zerosLikeArray(p.array));
}

function isGroupObject(x: unknown): x is { params: unknown } {
  return typeof x === "object" && x !== null && !(x instanceof Tensor) && "params" in x;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (typeof x === "object") return `a ${x.constructor?.name ?? "object"}`;
  return `${typeof x} ${String(x)}`;
}

function indexOf(index: Map<Tensor, number>, p: Tensor): number {
  let i = index.get(p);
  if (i === undefined) index.set(p, (i = index.size));
  return i;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, d) => s === b[d]);
}

/** A shallow copy of group options with arrays (betas, milestones) copied too. */
function cloneOptions<T extends object>(options: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (k !== "params") out[k] = Array.isArray(v) ? v.slice() : v;
  return out as T;
}

/** Copies per-parameter state; tensors become fresh contiguous copies in the param's dtype. */
function copyState(state: ParamStateDict, p: Tensor): ParamStateDict {
  const out: ParamStateDict = {};
  for (const [k, v] of Object.entries(state)) {
    if (v instanceof Tensor) {
      out[k] = new Tensor(v.array.astype(isFloating(v.dtype) && isFloating(p.dtype) ? p.dtype : v.dtype, true));
    } else out[k] = v;
  }
  return out;
}
