/**
 * @file Graph nodes and saved values. A Node is the backward half of one op application: the
 * op, an edge per input (the input's own node, the leaf tensor to accumulate into, or null),
 * the input shapes/dtypes the engine checks against, and the values the rule saved. Saved
 * tensors carry the version of their storage at save time; unpacking one that was modified in
 * place since, or after the graph was freed, throws an error that says what happened.
 */
import { ownsBuffer, releaseStorage, type DType, type NDArray, type Storage } from "@typegrad/tensor";
import { isAnomalyEnabled } from "./grad-mode.js";
import type { OpSpec } from "./ops/define.js";
import type { Tensor } from "./tensor.js";

/** Counts in-place writes to one storage array; shared by every tensor viewing it. */
export class VersionCounter {
  value = 0;
  /** The in-place op that last bumped the counter (for error messages). */
  lastOp = "";
}

// Counters exist only for storage that was ever written in place; the rest is at version 0.
// Keyed by the typed array that views share, not its ArrayBuffer: small storages share buffers.
const counters = new WeakMap<object, VersionCounter>();

/** The in-place write count of the storage behind `array` (0 if never written in place). */
export function versionOf(array: NDArray): number {
  return counters.get(array.data)?.value ?? 0;
}

/** Records that `op` wrote to the storage behind `array` in place. */
export function bumpVersion(array: NDArray, op: string): void {
  const key = array.data;
  let counter = counters.get(key);
  if (!counter) {
    counter = new VersionCounter();
    counters.set(key, counter);
  }
  counter.value++;
  counter.lastOp = op;
}

function lastInPlaceOp(array: NDArray): string {
  return counters.get(array.data)?.lastOp ?? "";
}

/** A storage that library code made and keeps to itself (see `markPrivate`). */
interface PrivateStorage {
  /** Saved values of live nodes that view it. */
  saves: number;
  /** Whether the code that made it is done with it (`releasePrivate`). */
  done: boolean;
}

const privates = new WeakMap<Storage, PrivateStorage>();
// Set by the first `markPrivate`: until then saving and freeing skip the lookups.
let anyPrivate = false;

/**
 * Marks `t`'s storage as private to the calling library code: it made `t` just now (no op has
 * used it yet) and will never hand `t`, or any view of it, to anyone but built-in ops. Once the
 * code calls `releasePrivate(t)` and no node that saved it is left (backward frees them), the
 * buffer goes back to the storage cache, where the next tensor of its size takes it at once
 * instead of a fresh buffer (JS cannot tell when a tensor dies; fresh buffers cost full garbage
 * collections). A save by a custom op's node pins it: only a built-in node's free counts.
 * Storage too small for the cache is not tracked. When the op that made it saves its output
 * (softmax, exp), pass that op's own result, not a view of it: the save is found through
 * `t.gradFn`.
 */
export function markPrivate(t: Tensor): void {
  const data = t.array.data;
  if (!ownsBuffer(data) || privates.has(data)) return;
  anyPrivate = true;
  // The op that made t may have saved it already (softmax saves its output).
  const made = t.gradFn?.savedOutput;
  privates.set(data, { saves: made !== undefined && made !== null && made.tensor.array.data === data ? 1 : 0, done: false });
}

/** The calling code is done with `t` (see `markPrivate`); a no-op for an unmarked tensor. */
export function releasePrivate(t: Tensor): void {
  if (!anyPrivate) return;
  const data = t.array.data;
  const entry = privates.get(data);
  if (entry === undefined || entry.done) return;
  entry.done = true;
  if (entry.saves === 0) release(data);
}

function release(data: Storage): void {
  privates.delete(data);
  releaseStorage(data);
}

/** One more (or one fewer, `by` -1) saved value of a live node views `data`. */
function countSave(data: Storage, by: 1 | -1): void {
  const entry = privates.get(data);
  if (entry === undefined) return;
  entry.saves += by;
  if (entry.saves === 0 && entry.done) release(data);
}

/** A tensor saved for backward, with its storage version at save time. */
export class SavedTensor {
  readonly version: number;
  constructor(readonly tensor: Tensor) {
    this.version = versionOf(tensor.array);
    if (anyPrivate) countSave(tensor.array.data, 1);
  }
}

/** Where a gradient goes: the input's node, a leaf tensor (accumulate into `.grad`), or nowhere. */
export type Edge = Node | Tensor | null;

/** A gradient hook: may return a replacement gradient. */
export type GradHook = (grad: Tensor) => Tensor | void;

/** Shape and dtype of a tensor input, for the engine's checks. */
export interface InputMeta {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The input's strides (its memory order, for rules that materialize a gradient like it). */
  readonly strides: readonly number[];
}

/** The backward half of one op application. */
export class Node {
  /** Saved inputs (tensors with versions, or JS numbers as given); null once freed or if none. */
  savedInputs: (SavedTensor | number | null)[] | null = null;
  /** The saved output, if the op saves it. */
  savedOutput: SavedTensor | null = null;
  /** What the forward kept for its rule (`keep`), or null. */
  kept: NDArray | null = null;
  /** True after backward released the saved values (retainGraph false). */
  freed = false;
  /** Hooks on the gradient of this node's output (registerHook / retainGrad of a non-leaf). */
  hooks: GradHook[] | null = null;
  /** Where the op was created, recorded in anomaly mode. */
  readonly stack: string | null;

  constructor(
    readonly spec: OpSpec<unknown>,
    readonly params: unknown,
    readonly next: readonly Edge[],
    readonly inputMeta: readonly (InputMeta | null)[],
    readonly outputMeta: InputMeta,
  ) {
    this.stack = isAnomalyEnabled() ? (new Error().stack ?? null) : null;
  }

  /** The op's name. */
  get name(): string {
    return this.spec.name;
  }

  /**
   * Releases saved values so their memory can go (called by backward unless retainGraph). For a
   * built-in rule (`trusted`: it holds nothing it was given, and its forward kept only arrays it
   * made) the kept array's storage goes back to the storage cache at once instead of waiting for
   * the garbage collector, and so does a private storage (`markPrivate`) this was the last save of.
   */
  free(trusted = false): void {
    if (this.savedInputs !== null || this.savedOutput !== null || this.kept !== null) this.freed = true;
    if (trusted && this.kept !== null) releaseStorage(this.kept.data);
    if (trusted && anyPrivate) {
      for (const s of this.savedInputs ?? []) if (s instanceof SavedTensor) countSave(s.tensor.array.data, -1);
      if (this.savedOutput !== null) countSave(this.savedOutput.tensor.array.data, -1);
    }
    this.savedInputs = null;
    this.savedOutput = null;
    this.kept = null;
  }

  /** A saved tensor, checked against in-place modification since it was saved. */
  unpack(saved: SavedTensor): Tensor {
    const version = versionOf(saved.tensor.array);
    if (version !== saved.version) {
      const shape = `[${saved.tensor.shape.join(",")}]`;
      throw new Error(
        `autograd: a tensor of shape ${shape} that '${this.name}' saved for backward was modified in place by '${lastInPlaceOp(saved.tensor.array)}' ` +
          `after it was saved (version ${saved.version} -> ${version}). Clone it before the in-place op, ` +
          `or do the in-place op after backward().`,
      );
    }
    return saved.tensor;
  }

  /** Throws PyTorch's kind of error when the saved values were already freed. */
  checkNotFreed(): void {
    if (this.freed) {
      throw new Error(
        `autograd: trying to backward through the graph a second time (the values '${this.name}' saved for backward ` +
          `were freed by the first backward). Pass { retainGraph: true } to the first backward() if you need to ` +
          `backward through the graph again.`,
      );
    }
  }
}
