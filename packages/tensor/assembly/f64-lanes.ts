/**
 * @file Float32 <-> float64 lane helpers shared by the kernels that compute in float64 on
 * float32 data (softmax.ts, layernorm.ts).
 */

/** The low two float32 lanes as float64. */
// @ts-ignore: decorator
@inline export function lo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

/** The high two float32 lanes as float64. */
// @ts-ignore: decorator
@inline export function hi(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** Two float64 pairs rounded to one float32 vector. */
// @ts-ignore: decorator
@inline export function demote(l: v128, h: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(l), f32x4.demote_f64x2_zero(h), 0, 1, 4, 5);
}

/** The sum of all four float64 lanes of two vectors. */
// @ts-ignore: decorator
@inline export function sum2(a: v128, b: v128): f64 {
  const s = f64x2.add(a, b);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}
