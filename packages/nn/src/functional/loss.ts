/**
 * @file Losses: cross-entropy (log-softmax, stable, then NLL; class-index or probability
 * targets, class weights, ignoreIndex, label smoothing), NLL and MSE, with PyTorch's
 * reductions. Inputs are (N, C) or (N, C, d1, ...) (or unbatched (C)); targets drop the C dim.
 */
import type { Tensor } from "@typegrad/autograd";

/** How a loss reduces over elements. */
export type Reduction = "none" | "mean" | "sum";

/** Options of nllLoss and crossEntropy. */
export interface NllOptions {
  /** A weight per class (shape [C]). */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing (default -100). */
  ignoreIndex?: number;
  reduction?: Reduction;
}

/** Options of crossEntropy. */
export interface CrossEntropyOptions extends NllOptions {
  /** Mixes the target with the uniform distribution: (1 - s) * target + s / C. */
  labelSmoothing?: number;
}

function checkReduction(op: string, reduction: string): Reduction {
  if (reduction !== "none" && reduction !== "mean" && reduction !== "sum") {
    throw new RangeError(`${op}: reduction must be "none", "mean" or "sum", got ${JSON.stringify(reduction)}`);
  }
  return reduction;
}

function reduce(losses: Tensor, reduction: Reduction, meanDenominator: () => Tensor | number): Tensor {
  if (reduction === "none") return losses;
  const total = losses.sum();
  return reduction === "sum" ? total : total.div(meanDenominator());
}

/** Brings unbatched (C) input / () target to a batch of one; returns the undo for "none". */
function batched(input: Tensor, target: Tensor): [Tensor, Tensor, (t: Tensor) => Tensor] {
  if (input.ndim === 1) return [input.unsqueeze(0), target.unsqueeze(0), (t) => (t.ndim > 0 ? t.squeeze(0) : t)];
  return [input, target, (t) => t];
}

/** Checks class-index targets: int32, input's shape without the class dim, classes in range. */
function checkTargets(op: string, input: Tensor, target: Tensor, ignoreIndex: number): void {
  if (target.dtype !== "int32") throw new TypeError(`${op}: class targets must be int32, got ${target.dtype}`);
  const want = input.shape.filter((_, d) => d !== 1);
  if (target.ndim !== want.length || target.shape.some((s, d) => s !== want[d])) {
    throw new RangeError(`${op}: target of shape [${target.shape.join(",")}] does not match input [${input.shape.join(",")}] (expected [${want.join(",")}])`);
  }
  const classes = input.shape[1]!;
  for (const t of target.toArray()) {
    if (t !== ignoreIndex && (t < 0 || t >= classes)) throw new RangeError(`${op}: target ${t} is out of bounds for ${classes} classes`);
  }
}

/** Negative log-likelihood of class targets given log-probabilities. Matches `F.nll_loss`. */
export function nllLoss(input: Tensor, target: Tensor, options: NllOptions = {}): Tensor {
  const op = "nllLoss";
  const reduction = checkReduction(op, options.reduction ?? "mean");
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (input.ndim === 0) throw new RangeError(`${op}: input must have a class dim, got a 0-d tensor`);
  const [x, t, unbatch] = batched(input, target);
  checkTargets(op, x, t, ignoreIndex);
  const weight = options.weight ?? null;
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== x.shape[1])) {
    throw new RangeError(`${op}: weight of shape [${weight.shape.join(",")}] must have one entry per class (${x.shape[1]})`);
  }
  const ignored = t.eq(ignoreIndex);
  const safe = t.maskedFill(ignored, 0);
  const picked = x.gather(1, safe.unsqueeze(1)).squeeze(1);
  const w = (weight ? weight.indexSelect(0, safe.reshape([-1])).reshape(t.shape) : ignored.logicalNot().to(x.dtype)).maskedFill(ignored, 0);
  const losses = picked.neg().mul(w);
  return unbatch(reduce(losses, reduction, () => w.sum()));
}

/**
 * Cross-entropy of logits against class indices (int32) or class probabilities (float, same
 * shape as the input), computed as NLL of a fused, stable log-softmax. Matches `F.cross_entropy`.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = "crossEntropy";
  const reduction = checkReduction(op, options.reduction ?? "mean");
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new RangeError(`${op}: labelSmoothing must be in [0, 1], got ${smoothing}`);
  if (input.ndim === 0) throw new RangeError(`${op}: input must have a class dim, got a 0-d tensor`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const classes = input.shape[classDim]!;
  const logp = input.logSoftmax(classDim);
  const weight = options.weight ?? null;
  const classShape = input.shape.map((s, d) => (d === classDim ? s : 1));
  if (target.dtype !== "int32") return probabilityTargets(logp, target, classDim, classShape, weight, reduction, smoothing);
  const nll = nllLoss(logp, target, { weight, ignoreIndex: options.ignoreIndex ?? -100, reduction });
  if (smoothing === 0) return nll;
  // The uniform part: -sum_c w_c log p_c per position, over the same non-ignored positions.
  const ignored = target.eq(options.ignoreIndex ?? -100);
  const perClass = weight ? logp.mul(weight.reshape(classShape)) : logp;
  const smooth = perClass.sum(classDim).neg().maskedFill(ignored, 0);
  const uniform = reduce(smooth, reduction, () => {
    const keep = ignored.logicalNot();
    if (!weight) return keep.sum().item();
    return weight.indexSelect(0, target.maskedFill(ignored, 0).reshape([-1])).reshape(target.shape).maskedFill(ignored, 0).sum();
  });
  return nll.mul(1 - smoothing).add(uniform.mul(smoothing / classes));
}

function probabilityTargets(
  logp: Tensor, target: Tensor, classDim: number, classShape: number[], weight: Tensor | null, reduction: Reduction, smoothing: number,
): Tensor {
  if (target.shape.length !== logp.ndim || target.shape.some((s, d) => s !== logp.shape[d])) {
    throw new RangeError(`crossEntropy: probability targets of shape [${target.shape.join(",")}] must match the input [${logp.shape.join(",")}]`);
  }
  const classes = logp.shape[classDim]!;
  const p = smoothing > 0 ? target.mul(1 - smoothing).add(smoothing / classes) : target;
  const weighted = weight ? logp.mul(weight.reshape(classShape)) : logp;
  const losses = weighted.mul(p).sum(classDim).neg();
  return reduce(losses, reduction, () => logp.numel() / classes);
}

/** Mean squared error. Matches `F.mse_loss`. */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const reduction = checkReduction("mseLoss", options.reduction ?? "mean");
  const squared = input.sub(target).square();
  return reduce(squared, reduction, () => squared.numel());
}
