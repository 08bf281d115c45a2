/**
 * @file Op infos of the binary elementwise ops: two tensors of broadcastable shapes (the
 * broadcast variant), or a tensor and a JS number on either side. Divisors stay away from 0,
 * pow bases are positive when the exponent is a tensor or not an integer, and maximum/minimum
 * draw their operands from disjoint grids so that they never tie.
 */
import fc from "fast-check";
import { compositeOps, primitiveOps, type Tensor } from "@typegrad/autograd";
import { DOMAINS, tensor, type GradDomain } from "../arbitraries.js";
import {
  arrayOf,
  broadcastShapes,
  count,
  domainText,
  gridTensor,
  gridValue,
  makeSample,
  real,
  scalar,
  shapes,
  valued,
  zipRef,
  type OpInfo,
  type OpSample,
} from "./common.js";

type Operand = Tensor | number;
type TensorArb = (shape: number[]) => fc.Arbitrary<Tensor>;
type Fn = (a: Operand, b: Operand) => Tensor;

const inDomain = (domain: GradDomain): TensorArb => (shape) => tensor({ shape, domain });

/** Two tensors of broadcastable shapes. */
function both(op: string, call: Fn, f: (a: number, b: number) => number, left: TensorArb, right: TensorArb): fc.Arbitrary<OpSample> {
  return broadcastShapes(2)
    .chain(([sa, sb]) => fc.tuple(left(sa!), right(sb!)))
    .map(([a, b]) => makeSample({ op, inputs: [a, b], call: (x, y) => call(x, y), reference: (x, y) => zipRef([x, y], f) }));
}

/** A tensor and a JS number on the right. */
function tensorScalar(op: string, call: Fn, f: (a: number, b: number) => number, left: TensorArb, right: fc.Arbitrary<number>): fc.Arbitrary<OpSample> {
  return fc
    .tuple(shapes().chain(left), right)
    .map(([a, c]) => makeSample({ op, inputs: [a], args: { other: c }, call: (x) => call(x, c), reference: (x) => zipRef([x, c], f) }));
}

/** A JS number on the left and a tensor. */
function scalarTensor(op: string, call: Fn, f: (a: number, b: number) => number, left: fc.Arbitrary<number>, right: TensorArb): fc.Arbitrary<OpSample> {
  return fc
    .tuple(left, shapes().chain(right))
    .map(([c, b]) => makeSample({ op, inputs: [b], args: { self: c }, call: (y) => call(c, y), reference: (y) => zipRef([c, y], f) }));
}

/** add/sub with `alpha` (a ± alpha * b), both operands tensors of broadcastable shapes. */
function withAlpha(op: "add" | "sub"): fc.Arbitrary<OpSample> {
  const sign = op === "add" ? 1 : -1;
  return fc
    .tuple(broadcastShapes(2).chain(([sa, sb]) => fc.tuple(tensor({ shape: sa! }), tensor({ shape: sb! }))), fc.constantFrom(0.5, -2, 3))
    .map(([[a, b], alpha]) =>
      makeSample({
        op,
        inputs: [a, b],
        args: { alpha },
        call: (x, y) => x[op](y, { alpha }),
        reference: (x, y) => zipRef([x, y], (u, v) => u + sign * alpha * v),
      }),
    );
}

/**
 * An op sampled with the same domains for every variant (tensor-tensor, tensor-number,
 * number-tensor; add/sub also with alpha).
 */
function binary(op: string, call: Fn, f: (a: number, b: number) => number, da: GradDomain, db: GradDomain): OpInfo {
  return {
    domain: `a ${domainText(da)}, b ${domainText(db)}`,
    gradgrad: true,
    sample: fc.oneof(
      { arbitrary: both(op, call, f, inDomain(da), inDomain(db)), weight: 2 },
      tensorScalar(op, call, f, inDomain(da), scalar(db)),
      scalarTensor(op, call, f, scalar(da), inDomain(db)),
      ...(op === "add" || op === "sub" ? [withAlpha(op)] : []),
    ),
  };
}

const DIVISOR: GradDomain = { min: -2, max: 2, avoid: [0], gap: 0.25 };
const BASE: GradDomain = { min: 0.3, max: 3 };

/** Calls the method on a tensor left operand, the primitive (or composite) on a number. */
const add: Fn = (a, b) => (typeof a === "number" ? primitiveOps.add.apply([a, b]) : a.add(b));
const sub: Fn = (a, b) => (typeof a === "number" ? compositeOps.sub(a, b) : a.sub(b));
const mul: Fn = (a, b) => (typeof a === "number" ? primitiveOps.mul.apply([a, b]) : a.mul(b));
const div: Fn = (a, b) => (typeof a === "number" ? primitiveOps.div.apply([a, b]) : a.div(b));
const pow: Fn = (a, b) => (typeof a === "number" ? primitiveOps.pow.apply([a, b]) : a.pow(b));
const maximum: Fn = (a, b) => (typeof a === "number" ? primitiveOps.maximum.apply([a, b]) : a.maximum(b));
const minimum: Fn = (a, b) => (typeof a === "number" ? primitiveOps.minimum.apply([a, b]) : a.minimum(b));

/** Tensor exponents in [-2, 2], about one in eight exactly 0 (where d/da a^b = 0 but d/db d/da a^b = 1/a). */
const exponents: TensorArb = (shape) =>
  valued(shape, arrayOf(fc.oneof({ arbitrary: real(-2, 2), weight: 7 }, fc.constant(0)), count(shape)));

/**
 * pow: tensor ** tensor with positive bases; tensor ** integer (bases of either sign, away from
 * 0; exponent 0 included, whose gradient is exactly 0); tensor ** real (positive bases);
 * number ** tensor (positive number).
 */
const powInfo: OpInfo = {
  domain: `bases ${domainText(BASE)} (or ${domainText(DOMAINS.nonzero)} for integer exponents), exponents ${domainText(DOMAINS.any)}`,
  gradgrad: true,
  sample: fc.oneof(
    { arbitrary: both("pow", pow, Math.pow, inDomain(BASE), exponents), weight: 2 },
    tensorScalar("pow", pow, Math.pow, inDomain(DOMAINS.nonzero), fc.integer({ min: -2, max: 3 })),
    tensorScalar("pow", pow, Math.pow, inDomain(BASE), fc.oneof(fc.constantFrom(0.5, -0.5, 1.5, 2.5), scalar(DOMAINS.any))),
    scalarTensor("pow", pow, Math.pow, scalar(BASE), inDomain(DOMAINS.any)),
  ),
};

/** maximum/minimum: operands from grids of different phases, never closer than 0.06. */
function extremum(op: string, call: Fn, f: (a: number, b: number) => number): OpInfo {
  const left: TensorArb = (s) => gridTensor(s, 0.05);
  const right: TensorArb = (s) => gridTensor(s, 0.2);
  return {
    domain: "grid values 0.3k + 0.05 vs 0.3k + 0.2 (+ jitter < 0.04): no ties",
    gradgrad: true,
    sample: fc.oneof(
      { arbitrary: both(op, call, f, left, right), weight: 2 },
      tensorScalar(op, call, f, left, gridValue(0.2)),
      scalarTensor(op, call, f, gridValue(0.05), right),
    ),
  };
}

/** Binary op infos. */
export const BINARY_INFOS = {
  add: binary("add", add, (a, b) => a + b, DOMAINS.any, DOMAINS.any),
  sub: binary("sub", sub, (a, b) => a - b, DOMAINS.any, DOMAINS.any),
  mul: binary("mul", mul, (a, b) => a * b, DOMAINS.any, DOMAINS.any),
  div: binary("div", div, (a, b) => a / b, DOMAINS.any, DIVISOR),
  pow: powInfo,
  maximum: extremum("maximum", maximum, Math.max),
  minimum: extremum("minimum", minimum, Math.min),
} satisfies Record<string, OpInfo>;
