/**
 * @file Tensor: an NDArray plus autograd state (requiresGrad, grad, gradFn, hooks). Every op
 * method is a one-liner into the op table (./ops) or a composite (./composite.ts); in-place
 * methods write through the kernels' `out` and bump the storage's version counter so that a
 * backward needing the old values fails loudly instead of silently using the new ones.
 */
import * as K from "@typegrad/tensor";
import { flattenShape, isFloating, normalizeDim, normalizeDims, resolveSlice, type DType, type Dims, type NDArray, type NestedList } from "@typegrad/tensor";
import * as C from "./composite.js";
import { backward, type BackwardOptions } from "./engine.js";
import { isGradEnabled } from "./grad-mode.js";
import { bumpVersion, type GradHook, type Node } from "./node.js";
import * as B from "./ops/binary.js";
import * as F from "./ops/fused.js";
import * as I from "./ops/indexing.js";
import * as MM from "./ops/matmul.js";
import * as M from "./ops/movement.js";
import * as N from "./ops/nondiff.js";
import * as R from "./ops/reduce.js";
import * as S from "./ops/selection.js";
import * as U from "./ops/unary.js";

/** A tensor or a JS number (a weak scalar that keeps the tensor's dtype category). */
export type Operand = Tensor | number;

/** Removes a registered hook. */
export interface HookHandle {
  remove(): void;
}

const reduceParams = (x: Tensor, dim: Dims, keepdim: boolean, op: string) => ({ dims: normalizeDims(dim, x.ndim, op), keepdim });

/** A multi-dimensional array that can record the operations applied to it for backward. */
export class Tensor {
  private gradValue: Tensor | null = null;
  private gradFnValue: Node | null = null;
  private requiresGradValue: boolean;
  private hooks: GradHook[] | null = null;
  private retains = false;
  private arrayValue: NDArray;

  /** Wraps an NDArray (shared, not copied). Only float tensors can require grad. */
  constructor(array: NDArray, requiresGrad = false) {
    if (requiresGrad && !isFloating(array.dtype)) {
      throw new TypeError(`tensor: only float tensors can require grad, got ${array.dtype}`);
    }
    this.arrayValue = array;
    this.requiresGradValue = requiresGrad;
  }

  /** The underlying strided array (shared storage). */
  get array(): NDArray { return this.arrayValue; }

  /** @internal Swaps the data of a leaf (Module.to converting parameters in place, as PyTorch's `param.data = ...`). */
  replaceArray(array: NDArray): void {
    if (!this.isLeaf) throw new Error("replaceArray: only a leaf tensor's data can be replaced");
    if (this.requiresGrad && !isFloating(array.dtype)) throw new TypeError(`replaceArray: a tensor that requires grad must stay float, got ${array.dtype}`);
    this.arrayValue = array;
    if (this.gradValue && this.gradValue.dtype !== array.dtype) this.gradValue = this.gradValue.to(array.dtype);
  }

  /** Ones shaped like `t` (the implicit gradient of a scalar output). */
  static onesLike(t: Tensor): Tensor {
    return new Tensor(K.onesLike(t.array));
  }

  /** The sizes of each dim. */
  get shape(): readonly number[] { return this.array.shape; }
  /** The element type. */
  get dtype(): DType { return this.array.dtype; }
  /** Number of dims. */
  get ndim(): number { return this.array.ndim; }
  /** Number of elements. Matches `torch.numel`. */
  numel(): number { return this.array.size; }
  /** The shape, or the size of one dim. Matches `torch.Tensor.size`. */
  size(): readonly number[];
  size(dim: number): number;
  size(dim?: number): readonly number[] | number {
    return dim === undefined ? this.shape : this.shape[normalizeDim(dim, this.ndim, "size")]!;
  }
  /** Whether ops on this tensor are recorded for backward. */
  get requiresGrad(): boolean { return this.requiresGradValue; }
  set requiresGrad(flag: boolean) { this.requiresGrad_(flag); }
  /** The node that created this tensor (null for leaves). */
  get gradFn(): Node | null { return this.gradFnValue; }
  /** True for tensors not produced by a recorded op. */
  get isLeaf(): boolean { return this.gradFnValue === null; }
  /** The accumulated gradient (leaves, and non-leaves after retainGrad()). */
  get grad(): Tensor | null { return this.gradValue; }
  set grad(g: Tensor | null) {
    if (g && (g.dtype !== this.dtype || g.shape.length !== this.ndim || g.shape.some((s, d) => s !== this.shape[d]))) {
      throw new RangeError(`grad: assigned gradient of shape [${g.shape.join(",")}] ${g.dtype} to a tensor of shape [${this.shape.join(",")}] ${this.dtype}`);
    }
    this.gradValue = g;
  }

  /** The single element as a number (bool gives 0/1). Matches `torch.Tensor.item`. */
  item(): number { return Number(this.array.item()); }
  /** The elements as nested JS arrays. */
  tolist(): NestedList { return this.array.tolist(); }
  /** A row-major typed-array copy of the elements. */
  toArray(): K.Storage { return this.array.toArray(); }
  /** PyTorch-style text, with the grad function or requiresGrad when set. */
  toString(): string {
    const text = this.array.toString();
    if (!this.requiresGrad) return text;
    const tag = this.gradFnValue ? `gradFn=<${this.gradFnValue.name}>` : "requiresGrad=true";
    return `${text.slice(0, -1)}, ${tag})`;
  }

  /** Same storage, no graph. Matches `torch.Tensor.detach`. */
  detach(): Tensor { return new Tensor(this.array); }
  /** Sets requiresGrad on a leaf. Matches `torch.Tensor.requires_grad_`. */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf && !flag) throw new Error("requiresGrad_: cannot turn off requiresGrad of a non-leaf tensor; use detach()");
    if (flag && !isFloating(this.dtype)) throw new TypeError(`requiresGrad_: only float tensors can require grad, got ${this.dtype}`);
    this.requiresGradValue = flag;
    return this;
  }
  /** Keeps the gradient of a non-leaf tensor in `.grad` during backward. Matches `torch.Tensor.retain_grad`. */
  retainGrad(): void {
    if (!this.requiresGrad) throw new Error("retainGrad: the tensor does not require grad");
    if (this.isLeaf || this.retains) return;
    this.retains = true;
    this.registerHook((g) => {
      this.gradValue = this.gradValue ? new Tensor(K.add(this.gradValue.array, g.array)) : new Tensor(g.array.clone());
    });
  }
  /** Calls `hook(grad)` when this tensor's gradient is computed; it may return a replacement. Matches `torch.Tensor.register_hook`. */
  registerHook(hook: GradHook): HookHandle {
    if (!this.requiresGrad) throw new Error("registerHook: cannot register a hook on a tensor that does not require grad");
    const list = this.gradFnValue ? (this.gradFnValue.hooks ??= []) : (this.hooks ??= []);
    list.push(hook);
    return { remove: () => void list.splice(list.indexOf(hook) >>> 0, list.includes(hook) ? 1 : 0) };
  }
  /** Computes gradients of this tensor with respect to the leaves. Matches `torch.Tensor.backward`. */
  backward(gradient?: Tensor | null, options: BackwardOptions = {}): void { backward(this, gradient, options); }

  /** @internal Hooks of a leaf, applied by the engine before accumulation. */
  leafHooks(): readonly GradHook[] { return this.hooks ?? []; }
  /** @internal Marks this tensor as the output of `node`. */
  setGradFn(node: Node): void {
    this.gradFnValue = node;
    this.requiresGradValue = true;
  }
  /** @internal Adds a gradient into `.grad` (in place unless a graph must be kept). */
  accumulateGrad(g: Tensor, createGraph: boolean, adopt = false): void {
    const current = this.gradValue;
    if (current === null) this.gradValue = createGraph ? g : new Tensor(adopt ? g.array : g.array.clone());
    else if (createGraph || current.requiresGrad) this.gradValue = current.add(g);
    else {
      K.add(current.array, g.array, current.array);
      bumpVersion(current.array, "accumulateGrad");
    }
  }

  /** A copy converted to `dtype` (this tensor when it already has it). Matches `torch.Tensor.to(dtype)`. */
  to(dtype: DType): Tensor { return dtype === this.dtype ? this : U.cast.apply([this], { dtype }); }
  /** A copy with its own storage. Matches `torch.clone`. */
  clone(): Tensor { return M.clone.apply([this]); }
  /** This tensor if contiguous, else a contiguous copy. Matches `torch.Tensor.contiguous`. */
  contiguous(): Tensor { return this.array.isContiguous() ? this : M.contiguous.apply([this]); }

  neg(): Tensor { return U.neg.apply([this]); }
  abs(): Tensor { return U.abs.apply([this]); }
  exp(): Tensor { return U.exp.apply([this]); }
  log(): Tensor { return U.log.apply([this]); }
  log1p(): Tensor { return U.log1p.apply([this]); }
  sqrt(): Tensor { return U.sqrt.apply([this]); }
  rsqrt(): Tensor { return U.rsqrt.apply([this]); }
  sin(): Tensor { return U.sin.apply([this]); }
  cos(): Tensor { return U.cos.apply([this]); }
  tanh(): Tensor { return U.tanh.apply([this]); }
  sigmoid(): Tensor { return U.sigmoid.apply([this]); }
  relu(): Tensor { return U.relu.apply([this]); }
  erf(): Tensor { return U.erf.apply([this]); }
  reciprocal(): Tensor { return U.reciprocal.apply([this]); }
  square(): Tensor { return C.square(this); }
  /** GELU, exact or with `approximate: "tanh"`. Matches `torch.nn.functional.gelu`. */
  gelu(options: { approximate?: "none" | "tanh" } = {}): Tensor {
    return options.approximate === "tanh" ? U.geluTanh.apply([this]) : U.gelu.apply([this]);
  }
  sign(): Tensor { return N.sign(this); }

  /** this + alpha * other. Matches `torch.add`. */
  add(other: Operand, options: { alpha?: number } = {}): Tensor {
    return B.add.apply([this, options.alpha === undefined ? other : scaled(other, options.alpha)]);
  }
  /** this - alpha * other. Matches `torch.sub`. */
  sub(other: Operand, options: { alpha?: number } = {}): Tensor {
    return C.sub(this, options.alpha === undefined ? other : scaled(other, options.alpha));
  }
  mul(other: Operand): Tensor { return B.mul.apply([this, other]); }
  div(other: Operand): Tensor { return B.div.apply([this, other]); }
  pow(exponent: Operand): Tensor { return B.pow.apply([this, exponent]); }
  maximum(other: Operand): Tensor { return B.maximum.apply([this, other]); }
  minimum(other: Operand): Tensor { return B.minimum.apply([this, other]); }
  eq(other: Operand): Tensor { return N.eq(this, other); }
  ne(other: Operand): Tensor { return N.ne(this, other); }
  lt(other: Operand): Tensor { return N.lt(this, other); }
  le(other: Operand): Tensor { return N.le(this, other); }
  gt(other: Operand): Tensor { return N.gt(this, other); }
  ge(other: Operand): Tensor { return N.ge(this, other); }
  logicalAnd(other: Operand): Tensor { return N.logicalAnd(this, other); }
  logicalOr(other: Operand): Tensor { return N.logicalOr(this, other); }
  logicalXor(other: Operand): Tensor { return N.logicalXor(this, other); }
  logicalNot(): Tensor { return N.logicalNot(this); }
  /** This tensor where `condition`, else `other`. Matches `torch.Tensor.where`. */
  where(condition: Tensor, other: Operand): Tensor { return S.where.apply([condition, this, other]); }
  /** Limits to [min, max] (either may be null). Matches `torch.clamp`. */
  clamp(min?: Operand | null, max?: Operand | null): Tensor {
    const hasMin = min !== undefined && min !== null;
    const hasMax = max !== undefined && max !== null;
    if (!hasMin && !hasMax) throw new TypeError("clamp: at least one of min and max must be given");
    return S.clamp.apply([this, hasMin ? min : 0, hasMax ? max : 0], { hasMin, hasMax });
  }
  /** `value` where `mask` is true. Matches `torch.Tensor.masked_fill`. */
  maskedFill(mask: Tensor, value: number): Tensor { return S.maskedFill.apply([this, mask], { value }); }

  sum(dim?: Dims, keepdim = false): Tensor { return R.sum.apply([this], reduceParams(this, dim, keepdim, "sum")); }
  mean(dim?: Dims, keepdim = false): Tensor { return C.mean(this, dim, keepdim); }
  prod(dim?: Dims, keepdim = false): Tensor { return C.prod(this, dim, keepdim); }
  /** The largest element, or `{ values, indices }` along `dim`. Matches `torch.max`. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): C.ValuesIndices;
  max(dim?: number, keepdim = false): Tensor | C.ValuesIndices { return dim === undefined ? this.amax() : C.maxDim(this, dim, keepdim); }
  /** The smallest element, or `{ values, indices }` along `dim`. Matches `torch.min`. */
  min(): Tensor;
  min(dim: number, keepdim?: boolean): C.ValuesIndices;
  min(dim?: number, keepdim = false): Tensor | C.ValuesIndices { return dim === undefined ? this.amin() : C.minDim(this, dim, keepdim); }
  amax(dim?: Dims, keepdim = false): Tensor { return R.amax.apply([this], reduceParams(this, dim, keepdim, "amax")); }
  amin(dim?: Dims, keepdim = false): Tensor { return R.amin.apply([this], reduceParams(this, dim, keepdim, "amin")); }
  argmax(dim?: number, keepdim = false): Tensor { return N.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return N.argmin(this, dim, keepdim); }
  var(dim?: Dims, options: C.VarOptions = {}): Tensor { return C.variance(this, dim, options); }
  std(dim?: Dims, options: C.VarOptions = {}): Tensor { return C.std(this, dim, options); }
  logsumexp(dim?: Dims, keepdim = false): Tensor {
    const x = isFloating(this.dtype) ? this : this.to("float32");
    return R.logsumexp.apply([x], reduceParams(this, dim, keepdim, "logsumexp"));
  }
  softmax(dim: number): Tensor { return F.softmax.apply([this], { dim: normalizeDim(dim, this.ndim, "softmax") }); }
  logSoftmax(dim: number): Tensor { return F.logSoftmax.apply([this], { dim: normalizeDim(dim, this.ndim, "logSoftmax") }); }

  reshape(shape: readonly number[]): Tensor { return M.reshape.apply([this], { shape }); }
  view(shape: readonly number[]): Tensor { return M.view.apply([this], { shape }); }
  permute(dims: readonly number[]): Tensor { return M.permute.apply([this], { dims }); }
  transpose(dim0: number, dim1: number): Tensor { return C.transpose(this, dim0, dim1); }
  /** Transpose of a matrix (<= 2 dims). Matches `torch.t`. */
  t(): Tensor {
    if (this.ndim > 2) throw new RangeError(`t: expects a tensor with <= 2 dims, got shape [${this.shape.join(",")}]`);
    return this.transpose(0, -1);
  }
  expand(shape: readonly number[]): Tensor { return M.expand.apply([this], { shape }); }
  expandAs(other: Tensor): Tensor { return this.expand(other.shape); }
  slice(dim: number, start = 0, end = Number.MAX_SAFE_INTEGER, step = 1): Tensor {
    return M.slice.apply([this], resolveSlice(this.shape, dim, start, end, step, "slice"));
  }
  narrow(dim: number, start: number, length: number): Tensor { return C.narrow(this, dim, start, length); }
  select(dim: number, index: number): Tensor { return C.select(this, dim, index); }
  squeeze(dim?: number | readonly number[]): Tensor { return this.reshape(this.array.squeeze(dim).shape); }
  unsqueeze(dim: number): Tensor { return this.reshape(this.array.unsqueeze(dim).shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return this.reshape(flattenShape(this.shape, startDim, endDim, "flatten")); }
  asStrided(shape: readonly number[], strides: readonly number[], offset?: number): Tensor {
    const v = this.array.asStrided(shape, strides, offset);
    return M.asStrided.apply([this], { view: { shape: v.shape, strides: v.strides, offset: v.offset } });
  }
  split(sizeOrSections: number | readonly number[], dim = 0): Tensor[] { return C.split(this, sizeOrSections, dim); }
  chunk(chunks: number, dim = 0): Tensor[] { return C.chunk(this, chunks, dim); }

  matmul(other: Tensor): Tensor { return MM.matmul.apply([this, other]); }
  gather(dim: number, index: Tensor): Tensor { return I.gather.apply([this, index], { dim: normalizeDim(dim, this.ndim, "gather") }); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return I.scatterAdd.apply([this, index, src], { dim: normalizeDim(dim, this.ndim, "scatterAdd") });
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return I.indexSelect.apply([this, index], { dim: normalizeDim(dim, this.ndim, "indexSelect") });
  }
  tril(diagonal = 0): Tensor { return I.tril.apply([this], { diagonal }); }
  triu(diagonal = 0): Tensor { return I.triu.apply([this], { diagonal }); }

  /** Fills with zeros in place. Matches `torch.Tensor.zero_`. */
  zero_(): this { return this.inPlace("zero_", null, (out) => K.fill(out, 0)); }
  /** Fills with `value` in place. Matches `torch.Tensor.fill_`. */
  fill_(value: number | boolean): this { return this.inPlace("fill_", null, (out) => K.fill(out, value)); }
  /** this += alpha * other, in place. Matches `torch.Tensor.add_`. */
  add_(other: Operand, options: { alpha?: number } = {}): this {
    const addend = options.alpha === undefined ? raw(other) : typeof other === "number" ? other * options.alpha : K.mul(other.array, options.alpha);
    return this.inPlace("add_", other, (out) => K.add(out, addend, out));
  }
  /** this *= other, in place. Matches `torch.Tensor.mul_`. */
  mul_(other: Operand): this { return this.inPlace("mul_", other, (out) => K.mul(out, raw(other), out)); }
  /** Copies `src` (broadcast, converted) into this tensor. Matches `torch.Tensor.copy_`. */
  copy_(src: Tensor): this { return this.inPlace("copy_", src, (out) => K.copy(out, src.array)); }

  private inPlace(op: string, other: Operand | null, write: (out: NDArray) => unknown): this {
    if (isGradEnabled() && (this.requiresGrad || (other instanceof Tensor && other.requiresGrad))) {
      throw new Error(
        this.isLeaf && this.requiresGrad
          ? `${op}: a leaf tensor that requires grad cannot be modified in place while grad mode is on; wrap the update in noGrad(() => ...)`
          : `${op}: in-place ops on tensors that require grad are not recorded by autograd; use the out-of-place op, or run it under noGrad`,
      );
    }
    write(this.array);
    bumpVersion(this.array, op);
    return this;
  }
}

function raw(x: Operand): NDArray | number {
  return typeof x === "number" ? x : x.array;
}

function scaled(x: Operand, alpha: number): Operand {
  return typeof x === "number" ? x * alpha : x.mul(alpha);
}
