/**
 * @file Which gradients of one backward pass only the engine can see, so that their memory can
 * be reused at once (PyTorch frees a gradient when its refcount drops; JS cannot see that).
 * A gradient is the engine's alone when a trusted (built-in) rule made it during this pass and
 * it never left the engine: not to a hook, a leaf's `.grad`, or `grad()`'s results. The ledger
 * counts the engine's references to each such storage; the last one dropped hands the buffer
 * to the tensor package's cache, and the next allocation of that size takes it.
 */
import { add as addInto, openAllocationScope, releaseStorage, type AllocationScope, type Storage } from "@typegrad/tensor";
import type { Tensor } from "./tensor.js";

// Rules known to keep no reference to the gradients they get or return (the op table's).
const trustedRules = new WeakSet<object>();

/** Marks built-in rules as keeping no gradient (a custom rule's gradients are never reused). */
export function trustRules(specs: Iterable<object>): void {
  for (const spec of specs) trustedRules.add(spec);
}

/** Whether `spec`'s rule keeps no reference to its gradients. */
export function isTrustedRule(spec: object): boolean {
  return trustedRules.has(spec);
}

/** The engine's references to gradient storage during one backward pass (without createGraph). */
export class GradLedger {
  private readonly scope: AllocationScope = openAllocationScope();
  private readonly held = new Map<Storage, number>();
  // Weak: an escaped gradient that dies during the pass must not be kept alive here.
  private readonly escaped = new WeakSet<Storage>();

  /** The engine keeps `grad` (a pending gradient). */
  hold(grad: Tensor): void {
    const s = grad.array.data;
    this.held.set(s, (this.held.get(s) ?? 0) + 1);
  }

  /** `grad` left the engine (or may have): its storage is never reused in this pass. */
  escape(grad: Tensor): void {
    this.escaped.add(grad.array.data);
  }

  /** The engine no longer keeps `grad`: its buffer is reused once no engine reference is left. */
  drop(grad: Tensor): void {
    const s = grad.array.data;
    const left = (this.held.get(s) ?? 0) - 1;
    if (left > 0) {
      this.held.set(s, left);
      return;
    }
    this.held.delete(s);
    if (this.isPrivate(s)) releaseStorage(s);
  }

  /**
   * True when `grad` (held once) is a whole private buffer: a leaf may take it as its `.grad`
   * without a copy (the caller then lets it escape).
   */
  canAdopt(grad: Tensor): boolean {
    const a = grad.array;
    return this.held.get(a.data) === 1 && this.isPrivate(a.data) && a.offset === 0 && a.data.length === a.size && a.isContiguous();
  }

  /**
   * The sum of two held gradients of one node (same shape and dtype), held in their place. It is
   * written into `prev` when nothing else of the engine's refers to prev's storage.
   */
  accumulate(prev: Tensor, grad: Tensor): Tensor {
    const s = prev.array.data;
    if (this.held.get(s) === 1 && this.isPrivate(s) && prev.array.isContiguous()) {
      addInto(prev.array, grad.array, prev.array);
      this.drop(grad);
      return prev;
    }
    const sum = prev.add(grad);
    this.hold(sum);
    this.drop(prev);
    this.drop(grad);
    return sum;
  }

  /** Ends the pass: later allocations are no longer recorded. */
  close(): void {
    this.scope.close();
  }

  private isPrivate(s: Storage): boolean {
    return !this.escaped.has(s) && this.scope.allocated(s);
  }
}
