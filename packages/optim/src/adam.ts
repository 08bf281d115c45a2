/**
 * @file Adam and AdamW: PyTorch 1.13's `_single_tensor_adam` (L2 weight decay added to the
 * gradient) and `_single_tensor_adamw` (decoupled decay of the param), sharing one fused loop per
 * parameter over the param, its gradient and the moment buffers (allocated once, on the
 * parameter's first step). The step count is per parameter; params without a gradient are skipped.
 */
import { bumpVersion, type Tensor } from "@typegrad/autograd";
import * as K from "@typegrad/tensor";
import { checkNonNegative, floatData, forEachElementRow, Optimizer, zerosLike, type OptimizerOptions, type ParamGroup, type ParamGroupInput } from "./optimizer.js";

/** Adam's and AdamW's options (PyTorch's names in camelCase). */
export interface AdamOptions extends OptimizerOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/** Adam's per-parameter state (PyTorch's `step`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`). */
export type AdamState = { step: number; expAvg: Tensor; expAvgSq: Tensor; maxExpAvgSq?: Tensor };

/**
 * Adam, with optional L2 weight decay and AMSGrad. Matches `torch.optim.Adam`.
 * @example
 * const opt = new Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.98] });
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export class Adam extends Optimizer<AdamOptions, AdamState> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>, options: Partial<AdamOptions> = {}) {
    super(params, resolveAdam(options, 0));
  }

  protected checkOptions(o: AdamOptions, where: string): void {
    checkAdam(this.name, o, where);
  }

  protected updateGroup(group: ParamGroup<AdamOptions>): void {
    for (const p of group.params) if (p.grad !== null) adamUpdate(p, p.grad, adamState(this.state, p, group), group, false);
  }
}

/**
 * AdamW: Adam with decoupled weight decay (the param is multiplied by 1 - lr·weightDecay).
 * Matches `torch.optim.AdamW`.
 * @example
 * const opt = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.01 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export class AdamW extends Optimizer<AdamOptions, AdamState> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>, options: Partial<AdamOptions> = {}) {
    super(params, resolveAdam(options, 1e-2));
  }

  protected checkOptions(o: AdamOptions, where: string): void {
    checkAdam(this.name, o, where);
  }

  protected updateGroup(group: ParamGroup<AdamOptions>): void {
    for (const p of group.params) if (p.grad !== null) adamUpdate(p, p.grad, adamState(this.state, p, group), group, true);
  }
}

function resolveAdam(options: Partial<AdamOptions>, weightDecay: number): AdamOptions {
  return {
    lr: options.lr ?? 1e-3,
    betas: options.betas ?? [0.9, 0.999],
    eps: options.eps ?? 1e-8,
    weightDecay: options.weightDecay ?? weightDecay,
    amsgrad: options.amsgrad ?? false,
    maximize: options.maximize ?? false,
  };
}

// A function, not a shared base class: Adam and AdamW are siblings, as in PyTorch.
function checkAdam(name: string, o: AdamOptions, where: string): void {
  const check = (value: unknown, option: string) => checkNonNegative(name, value, option, where);
  check(o.lr, "lr");
  check(o.eps, "eps");
  const betas: unknown = o.betas;
  if (!Array.isArray(betas) || betas.length !== 2 || betas.some((b) => typeof b !== "number")) {
    throw new TypeError(`${name}: betas must be a pair of numbers, got ${JSON.stringify(betas)} (${where})`);
  }
  (betas as number[]).forEach((b, i) => {
    if (!(b >= 0 && b < 1)) throw new RangeError(`${name}: invalid betas[${i}] ${b} (expected 0 <= beta < 1) (${where})`);
  });
  check(o.weightDecay, "weightDecay");
}

function adamState(states: Map<Tensor, AdamState>, p: Tensor, group: AdamOptions): AdamState {
  let s = states.get(p);
  if (s === undefined) {
    s = { step: 0, expAvg: zerosLike(p), expAvgSq: zerosLike(p) };
    if (group.amsgrad) s.maxExpAvgSq = zerosLike(p);
    states.set(p, s);
  } else if (group.amsgrad && s.maxExpAvgSq === undefined) s.maxExpAvgSq = zerosLike(p);
  return s;
}

/**
 * One Adam/AdamW step for one parameter, fused over its elements:
 *   p = p·(1 - lr·wd) (AdamW);  g = ±grad + wd·p (Adam);  m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²
 *   v̂ = amsgrad ? max(v̂, v) : v;  p += -(lr / (1-β1^t)) · m / (√v̂ / √(1-β2^t) + eps)
 * Branch-free in the loop (V8 does not hoist loop-invariant branches): the decay factor is 1 for
 * Adam, the L2 coefficient 0 for AdamW, and without amsgrad v̂ aliases v (max(v, v) = v); all
 * exact for finite values. State values are read back after they are stored, so float32
 * buffers round where PyTorch's do.
 */
function adamUpdate(p: Tensor, grad: Tensor, s: AdamState, o: AdamOptions, decoupled: boolean): void {
  const what = decoupled ? "AdamW" : "Adam";
  s.step += 1;
  const [beta1, beta2] = o.betas;
  const c: AdamCoefficients = {
    decay: decoupled ? 1 - o.lr * o.weightDecay : 1,
    l2: decoupled ? 0 : o.weightDecay,
    sign: o.maximize ? -1 : 1,
    beta1,
    beta2,
    negStepSize: -(o.lr / (1 - beta1 ** s.step)),
    bc2Sqrt: Math.sqrt(1 - beta2 ** s.step),
    eps: o.eps,
  };
  const max = o.amsgrad ? s.maxExpAvgSq! : s.expAvgSq;
  const arrays = [p.array, grad.array, s.expAvg.array, s.expAvgSq.array, max.array];
  const [P, G, M, V, X] = arrays.map((a) => floatData(a, what)) as [FloatData, FloatData, FloatData, FloatData, FloatData];
  if (!o.amsgrad && arrays.every((a) => a.isContiguous())) {
    // float32 on the wasm backend: the same computation, with the same bits, in one SIMD pass.
    const fused = K.adamStep(arrays[0]!, arrays[1]!, arrays[2]!, arrays[3]!, { ...c, invBc2Sqrt: 1 / c.bc2Sqrt });
    if (!fused) adamContiguous(P, G, M, V, arrays.map((a) => a.offset), p.array.size, c);
  } else forEachElementRow(arrays, (off, n, st) => adamRow(P, G, M, V, X, off, st, n, c));
  bumpVersion(p.array, `${what}.step`); // a graph that saved p can no longer backward through it
}

type FloatData = Float32Array | Float64Array;

interface AdamCoefficients {
  decay: number;
  l2: number;
  sign: number;
  beta1: number;
  beta2: number;
  negStepSize: number;
  bc2Sqrt: number;
  eps: number;
}

/**
 * The common case (contiguous buffers, no amsgrad) in one tight loop: about 2.5x faster than the
 * general row. m and v are used as stored, so float32 state rounds as PyTorch's.
 */
function adamContiguous(P: FloatData, G: FloatData, M: FloatData, V: FloatData, off: readonly number[], n: number, c: AdamCoefficients): void {
  const { decay, l2, sign, beta1, beta2, negStepSize, eps } = c;
  const oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2, invBc2Sqrt = 1 / c.bc2Sqrt;
  const op = off[0]!, og = off[1]!, om = off[2]!, ov = off[3]!;
  // The moments as stored: float32 state rounds (Math.fround gives the value a store and a
  // load would, without reading it back, which halves the loop's time); float64 is exact.
  const f32 = M instanceof Float32Array;
  for (let i = 0; i < n; i++) {
    const param = P[op + i]! * decay;
    const g = sign * G[og + i]! + l2 * param;
    const mRaw = M[om + i]! * beta1 + oneMinusB1 * g;
    const vRaw = V[ov + i]! * beta2 + oneMinusB2 * g * g;
    const m = f32 ? Math.fround(mRaw) : mRaw;
    const v = f32 ? Math.fround(vRaw) : vRaw;
    M[om + i] = m;
    V[ov + i] = v;
    P[op + i] = param + (negStepSize * m) / (Math.sqrt(v) * invBc2Sqrt + eps);
  }
}

// A top-level function with everything passed in: V8 keeps it all in registers (a closure's captured variables are reloaded every iteration).
function adamRow(P: FloatData, G: FloatData, M: FloatData, V: FloatData, X: FloatData, off: readonly number[], st: readonly number[], n: number, c: AdamCoefficients): void {
  const { decay, l2, sign, beta1, beta2, negStepSize, bc2Sqrt, eps } = c;
  const oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2;
  const sp = st[0]!, sg = st[1]!, sm = st[2]!, sv = st[3]!, sx = st[4]!;
  let ip = off[0]!, ig = off[1]!, im = off[2]!, iv = off[3]!, ix = off[4]!;
  for (let i = 0; i < n; i++, ip += sp, ig += sg, im += sm, iv += sv, ix += sx) {
    const param = P[ip]! * decay;
    const g = sign * G[ig]! + l2 * param;
    M[im] = M[im]! * beta1 + oneMinusB1 * g;
    V[iv] = V[iv]! * beta2 + oneMinusB2 * g * g;
    X[ix] = Math.max(X[ix]!, V[iv]!);
    P[ip] = param + (negStepSize * M[im]!) / (Math.sqrt(X[ix]!) / bc2Sqrt + eps);
  }
}
