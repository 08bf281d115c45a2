/**
 * @file gradcheck: compares analytic gradients (the backward rules, through autograd.grad)
 * with float64 central differences, over the full Jacobian (every element) or, in fast mode,
 * along random projections as PyTorch's fast_mode does. It also checks that backward is
 * linear in the incoming gradient and gives the same result twice, which catches rules that
 * ignore, square or cache the gradient. Returns true or throws a GradcheckError.
 */
import { autograd, enableGrad, noGrad, Tensor } from "@typegrad/autograd";
import {
  elementIndices,
  localRandom,
  numericJacobian,
  oneHot,
  outputsOf,
  randomLike,
  valuesOf,
  vjp,
  type Checked,
} from "./jacobian.js";
import { GradcheckError, mismatchMessage, type Mismatch } from "./report.js";

/** Settings of gradcheck, PyTorch's defaults. */
export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  /** Absolute tolerance. */
  atol?: number;
  /** Relative tolerance (times |numeric|). */
  rtol?: number;
  /** Check random projections v^T J u instead of the full Jacobian (faster for large inputs). */
  fastMode?: boolean;
  /** Check linearity and repeatability of backward (default true). */
  checkBackward?: boolean;
  /** Seed of the random vectors (default 0); the global generator is never touched. */
  seed?: number;
  /** Where the float64 warning goes (default console.warn). */
  warn?: (message: string) => void;
}

const close = (a: number, n: number, atol: number, rtol: number) => Math.abs(a - n) <= atol + rtol * Math.abs(n);

function settings(options: GradcheckOptions) {
  return {
    eps: options.eps ?? 1e-6,
    atol: options.atol ?? 1e-5,
    rtol: options.rtol ?? 1e-3,
    random: localRandom(options.seed ?? 0),
  };
}

/** Validates inputs: some require grad, none overlaps itself; warns about non-float64 ones. */
function checkInputs(inputs: readonly Tensor[], options: GradcheckOptions): number[] {
  const diff = inputs.flatMap((x, i) => (x.requiresGrad ? [i] : []));
  if (diff.length === 0) throw new GradcheckError("gradcheck: no input requires grad, so there is nothing to check");
  for (const i of diff) {
    const x = inputs[i]!;
    if (x.shape.some((s, d) => s > 1 && x.array.strides[d] === 0)) {
      throw new GradcheckError(`gradcheck: input ${i} has overlapping memory (an expanded view); pass a contiguous copy`);
    }
    if (x.dtype !== "float64") {
      (options.warn ?? console.warn)(`gradcheck: input ${i} is ${x.dtype}; gradients are only checked reliably in float64`);
    }
  }
  return diff;
}

/**
 * Checks the gradients of `fn` at `inputs` against finite differences.
 * @example gradcheck((a, b) => a.mul(b).sum(), [a, b]); // true, or throws a GradcheckError
 * Matches `torch.autograd.gradcheck`.
 */
export function gradcheck(fn: Checked, inputs: readonly Tensor[], options: GradcheckOptions = {}): true {
  const diff = checkInputs(inputs, options);
  const s = settings(options);
  const outputs = outputsOf(fn, inputs);
  const differentiable = outputs.flatMap((o, k) => (o.requiresGrad ? [k] : []));
  if (differentiable.length === 0) {
    checkConstant(fn, inputs, diff, outputs, s);
    return true;
  }
  if (options.fastMode) checkProjections(fn, inputs, diff, outputs, differentiable, s);
  else checkJacobians(fn, inputs, diff, outputs, differentiable, s);
  if (options.checkBackward ?? true) checkBackwardLinearity(inputs, outputs, differentiable, s);
  return true;
}

type Settings = ReturnType<typeof settings>;

function checkJacobians(fn: Checked, inputs: readonly Tensor[], diff: number[], outputs: Tensor[], outs: number[], s: Settings): void {
  const analytic = outs.map((o) => {
    const out = outputs[o]!;
    return Array.from({ length: out.numel() }, (_, k) => vjp(out, inputs, oneHot(out, k)));
  });
  diff.forEach((i, slot) => {
    const numeric = numericJacobian(fn, inputs, i, s.eps, outs);
    const inputIndex = elementIndices(inputs[i]!);
    outs.forEach((o, oi) => {
      const outputIndex = elementIndices(outputs[o]!);
      numeric[oi]!.forEach((row, k) => {
        row.forEach((n, j) => {
          const a = analytic[oi]![k]![slot]![j]!;
          if (!close(a, n, s.atol, s.rtol)) {
            const m: Mismatch = { output: o, input: i, outputIndex: outputIndex[k]!, inputIndex: inputIndex[j]!, analytic: a, numeric: n };
            throw new GradcheckError(mismatchMessage(m, s.atol, s.rtol), m);
          }
        });
      });
    });
  });
}

/** Fast mode: for each input and output, v^T J u analytically vs by one directional difference. */
function checkProjections(fn: Checked, inputs: readonly Tensor[], diff: number[], outputs: Tensor[], outs: number[], s: Settings): void {
  diff.forEach((i, slot) => {
    const x = inputs[i]!;
    const u = valuesOf(randomLike(x, s.random));
    const original = valuesOf(x.detach().contiguous());
    const indices = elementIndices(x);
    const shift = (sign: number) => indices.forEach((index, j) => x.array.set(index, original[j]! + sign * s.eps * u[j]!));
    const directional = noGrad(() => {
      shift(1);
      const plus = outputsOf(fn, inputs).map(valuesOf);
      shift(-1);
      const minus = outputsOf(fn, inputs).map(valuesOf);
      shift(0);
      return plus.map((p, o) => p.map((v, k) => (v - minus[o]![k]!) / (2 * s.eps)));
    });
    for (const o of outs) {
      const v = randomLike(outputs[o]!, s.random);
      const vValues = valuesOf(v);
      const analytic = dot(vjp(outputs[o]!, inputs, v)[slot]!, u);
      const numeric = dot(directional[o]!, vValues);
      if (!close(analytic, numeric, s.atol, s.rtol)) {
        const m: Mismatch = { output: o, input: i, outputIndex: [], inputIndex: [], analytic, numeric };
        throw new GradcheckError(mismatchMessage(m, s.atol, s.rtol, "random projection v^T J u"), m);
      }
    }
  });
}

/** Outputs that do not require grad must not depend on the inputs (their Jacobian is zero). */
function checkConstant(fn: Checked, inputs: readonly Tensor[], diff: number[], outputs: Tensor[], s: Settings): void {
  const all = outputs.map((_, o) => o);
  for (const i of diff) {
    numericJacobian(fn, inputs, i, s.eps, all).forEach((jac, o) =>
      jac.forEach((row) =>
        row.forEach((n) => {
          if (Math.abs(n) > s.atol) {
            throw new GradcheckError(`gradcheck: output ${o} does not require grad, but changes with input ${i} (numeric gradient ${n})`);
          }
        }),
      ),
    );
  }
}

/** Backward must be linear in the incoming gradient and repeatable. */
function checkBackwardLinearity(inputs: readonly Tensor[], outputs: Tensor[], outs: number[], s: Settings): void {
  for (const o of outs) {
    const out = outputs[o]!;
    const v1 = randomLike(out, s.random);
    const v2 = randomLike(out, s.random);
    const c = 0.5 + s.random();
    const g1 = vjp(out, inputs, v1);
    const again = vjp(out, inputs, v1);
    const g2 = vjp(out, inputs, v2);
    const gSum = vjp(out, inputs, noGrad(() => v1.add(v2)));
    const gScaled = vjp(out, inputs, noGrad(() => v1.mul(c)));
    g1.forEach((a, slot) => {
      a.forEach((x, j) => {
        const tol = (want: number, got: number) => close(got, want, s.atol, s.rtol);
        if (again[slot]![j] !== x) {
          throw new GradcheckError(`gradcheck: backward for output ${o} is not repeatable (two runs gave ${x} and ${again[slot]![j]})`);
        }
        if (!tol(x + g2[slot]![j]!, gSum[slot]![j]!) || !tol(c * x, gScaled[slot]![j]!)) {
          throw new GradcheckError(
            `gradcheck: backward for output ${o} is not linear in the incoming gradient (input slot ${slot}, element ${j}): ` +
              `vjp(v1 + v2) = ${gSum[slot]![j]} vs vjp(v1) + vjp(v2) = ${x + g2[slot]![j]!}; vjp(c v1) = ${gScaled[slot]![j]} vs c vjp(v1) = ${c * x}`,
          );
        }
      });
    });
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let acc = 0;
  for (let k = 0; k < a.length; k++) acc += a[k]! * b[k]!;
  return acc;
}

/**
 * Checks second derivatives: gradcheck of the function (inputs, v) -> autograd.grad(fn(inputs),
 * inputs, v, createGraph) with random gradients v that require grad.
 * Matches `torch.autograd.gradgradcheck`.
 */
export function gradgradcheck(fn: Checked, inputs: readonly Tensor[], options: GradcheckOptions = {}): true {
  checkInputs(inputs, options);
  const random = localRandom((options.seed ?? 0) + 1);
  const outputs = outputsOf(fn, inputs).filter((o) => o.requiresGrad);
  const vs = outputs.map((o) => randomLike(o, random, true));
  const n = inputs.length;
  // The first derivative needs a graph even when gradcheck evaluates it under noGrad.
  const firstOrder: Checked = (...all) =>
    enableGrad(() => {
      const outs = outputsOf(fn, all.slice(0, n)).filter((o) => o.requiresGrad);
      const xs = all.slice(0, n).filter((x) => x.requiresGrad);
      const grads = autograd.grad(outs, xs, { gradOutputs: all.slice(n), createGraph: true, allowUnused: true });
      return grads.filter((g): g is Tensor => g !== null);
    });
  return gradcheck(firstOrder, [...inputs, ...vs], options);
}
