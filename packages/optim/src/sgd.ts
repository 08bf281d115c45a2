/**
 * @file SGD with momentum, dampening, Nesterov momentum, weight decay and maximize: PyTorch
 * 1.13's `_single_tensor_sgd`, as one fused loop per parameter over the param, its gradient and
 * its momentum buffer (allocated once, on the first step with momentum). Params are written in
 * place; no graph is built and no per-step array is allocated.
 */
import { bumpVersion, type Tensor } from "@typegrad/autograd";
import { checkNonNegative, floatData, forEachElementRow, Optimizer, zerosLike, type OptimizerOptions, type ParamGroup, type ParamGroupInput } from "./optimizer.js";

/** SGD's options (PyTorch's names in camelCase). */
export interface SGDOptions extends OptimizerOptions {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/** SGD's per-parameter state: the momentum buffer (null while momentum is 0, as PyTorch's None). */
export type SGDState = { momentumBuffer: Tensor | null };

/**
 * Stochastic gradient descent, optionally with (Nesterov) momentum. Matches `torch.optim.SGD`.
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export class SGD extends Optimizer<SGDOptions, SGDState> {
  constructor(params: Iterable<Tensor>, options: Partial<SGDOptions> & { lr: number });
  constructor(params: Iterable<ParamGroupInput<SGDOptions>>, options?: Partial<SGDOptions>);
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<SGDOptions>>, options: Partial<SGDOptions> = {}) {
    super(params, {
      lr: options.lr as number, // required: in the options or in every group (checked per group)
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected checkOptions(o: SGDOptions, where: string): void {
    if (o.lr === undefined && where === "defaults") return;
    if (o.lr === undefined) throw new TypeError(`${this.name}: lr is required: give it in the options or in every param group (${where})`);
    checkNonNegative(this.name, o.lr, "lr", where);
    checkNonNegative(this.name, o.momentum, "momentum", where);
    if (typeof o.dampening !== "number") throw new TypeError(`${this.name}: dampening must be a number, got ${typeof o.dampening} (${where})`);
    checkNonNegative(this.name, o.weightDecay, "weightDecay", where);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError(`${this.name}: nesterov requires momentum > 0 and dampening 0, got momentum ${o.momentum} and dampening ${o.dampening} (${where})`);
    }
  }

  protected updateGroup(group: ParamGroup<SGDOptions>): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    for (const p of group.params) {
      const grad = p.grad;
      if (grad === null) continue;
      let state = this.state.get(p);
      if (state === undefined) this.state.set(p, (state = { momentumBuffer: null }));
      // PyTorch's first momentum step sets buf = d_p (a clone); later ones buf = momentum * buf + (1 - dampening) * d_p.
      const first = momentum !== 0 && state.momentumBuffer === null;
      if (first) state.momentumBuffer = zerosLike(p);
      const buf = momentum !== 0 ? state.momentumBuffer : null;
      sgdUpdate(p, grad, buf, first, { lr, momentum, dampening, weightDecay, nesterov, maximize });
    }
  }
}

/**
 * One SGD step for one parameter, fused over its elements:
 *   d = ±g + wd·p;  buf = μ·buf + (1-τ)·d  (buf = d on the first step);  p += -lr · (nesterov ? d + μ·buf : buf)
 * Branch-free in the loop (V8 does not hoist loop-invariant branches): the first step uses μ = 0,
 * 1-τ = 1 on the zeroed buffer, and the last line is p += -lr · (a·d + c·buf) with (a, c) =
 * (1, μ) for nesterov, (0, 1) otherwise; both are exact for finite values.
 */
function sgdUpdate(p: Tensor, grad: Tensor, buf: Tensor | null, first: boolean, o: SGDOptions): void {
  const c: SGDCoefficients = {
    sign: o.maximize ? -1 : 1,
    negLr: -o.lr,
    weightDecay: o.weightDecay,
    momentum: first ? 0 : o.momentum,
    keep: first ? 1 : 1 - o.dampening,
    a: o.nesterov ? 1 : 0,
    c: o.nesterov ? o.momentum : 1,
  };
  const P = floatData(p.array, "SGD"), G = floatData(grad.array, "SGD");
  if (buf === null) forEachElementRow([p.array, grad.array], (off, n, st) => sgdRow(P, G, off, st, n, c));
  else {
    const B = floatData(buf.array, "SGD");
    forEachElementRow([p.array, grad.array, buf.array], (off, n, st) => sgdMomentumRow(P, G, B, off, st, n, c));
  }
  bumpVersion(p.array, "SGD.step"); // a graph that saved p can no longer backward through it
}

type FloatData = Float32Array | Float64Array;

interface SGDCoefficients {
  sign: number;
  negLr: number;
  weightDecay: number;
  momentum: number;
  keep: number;
  a: number;
  c: number;
}

// Top-level row functions with everything passed in: V8 keeps it all in registers (a closure's captured variables are reloaded every iteration).
function sgdRow(P: FloatData, G: FloatData, off: readonly number[], st: readonly number[], n: number, k: SGDCoefficients): void {
  const { sign, negLr, weightDecay } = k;
  const sp = st[0]!, sg = st[1]!;
  for (let i = 0, ip = off[0]!, ig = off[1]!; i < n; i++, ip += sp, ig += sg) {
    const param = P[ip]!;
    P[ip] = param + negLr * (sign * G[ig]! + weightDecay * param);
  }
}

function sgdMomentumRow(P: FloatData, G: FloatData, B: FloatData, off: readonly number[], st: readonly number[], n: number, k: SGDCoefficients): void {
  const { sign, negLr, weightDecay, momentum, keep, a, c } = k;
  const sp = st[0]!, sg = st[1]!, sb = st[2]!;
  for (let i = 0, ip = off[0]!, ig = off[1]!, ib = off[2]!; i < n; i++, ip += sp, ig += sg, ib += sb) {
    const param = P[ip]!;
    const d = sign * G[ig]! + weightDecay * param;
    B[ib] = B[ib]! * momentum + keep * d;
    P[ip] = param + negLr * (a * d + c * B[ib]!);
  }
}
