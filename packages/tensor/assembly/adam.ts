/**
 * @file One Adam/AdamW step over float32 parameters and state, in place, computed in float64
 * exactly as @typegrad/optim's TypeScript loop computes it: the same operations in the same order
 * (WebAssembly never fuses a multiply-add, and its float64 sqrt and division round as JS's do),
 * m and v rounded to float32 when stored, p rounded once at the end. So the bits are the loop's.
 */

/**
 * For i < n: param = p*decay; g' = sign*g + l2*param; m = f32(m*beta1 + omb1*g');
 * v = f32(v*beta2 + (omb2*g')*g'); p = param + (negStep*m) / (sqrt(v)*invBc2Sqrt + eps).
 * (omb1 = 1 - beta1 and omb2 = 1 - beta2 as the host computed them.)
 */
export function adamStep(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  decay: f64, l2: f64, sign: f64, beta1: f64, omb1: f64, beta2: f64, omb2: f64, negStep: f64, invBc2Sqrt: f64, eps: f64,
): void {
  const n2 = n & ~1;
  const vDecay = f64x2.splat(decay);
  const vL2 = f64x2.splat(l2);
  const vSign = f64x2.splat(sign);
  const vB1 = f64x2.splat(beta1);
  const vO1 = f64x2.splat(omb1);
  const vB2 = f64x2.splat(beta2);
  const vO2 = f64x2.splat(omb2);
  const vStep = f64x2.splat(negStep);
  const vInv = f64x2.splat(invBc2Sqrt);
  const vEps = f64x2.splat(eps);
  for (let i = 0; i < n2; i += 2) {
    const o = <usize>i << 2;
    const param = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(p + o)), vDecay);
    const gr = f64x2.add(f64x2.mul(vSign, f64x2.promote_low_f32x4(v128.load64_zero(g + o))), f64x2.mul(vL2, param));
    const mRaw = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(m + o)), vB1), f64x2.mul(vO1, gr));
    const vRaw = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(v + o)), vB2), f64x2.mul(f64x2.mul(vO2, gr), gr));
    const m32 = f32x4.demote_f64x2_zero(mRaw);
    const v32 = f32x4.demote_f64x2_zero(vRaw);
    v128.store64_lane(m + o, m32, 0);
    v128.store64_lane(v + o, v32, 0);
    const mm = f64x2.promote_low_f32x4(m32);
    const vv = f64x2.promote_low_f32x4(v32);
    const out = f64x2.add(param, f64x2.div(f64x2.mul(vStep, mm), f64x2.add(f64x2.mul(f64x2.sqrt(vv), vInv), vEps)));
    v128.store64_lane(p + o, f32x4.demote_f64x2_zero(out), 0);
  }
  for (let i = n2; i < n; i++) {
    const o = <usize>i << 2;
    const param = <f64>load<f32>(p + o) * decay;
    const gr = sign * <f64>load<f32>(g + o) + l2 * param;
    const mm = <f64><f32>(<f64>load<f32>(m + o) * beta1 + omb1 * gr);
    const vv = <f64><f32>(<f64>load<f32>(v + o) * beta2 + omb2 * gr * gr);
    store<f32>(m + o, <f32>mm);
    store<f32>(v + o, <f32>vv);
    store<f32>(p + o, <f32>(param + (negStep * mm) / (Math.sqrt(vv) * invBc2Sqrt + eps)));
  }
}
