/**
 * @file Op infos of the reductions (sum, mean, prod, amax/amin, max/min with a dim, var/std,
 * logsumexp) and the fused softmax/logSoftmax. Dims are undefined, one dim or a list, negative
 * half the time, with and without keepdim. Extremum and var/std inputs are a shuffled grid of
 * distinct values, so maxima never tie and the variance is never 0; var/std reduce over more
 * elements than the correction.
 */
import fc from "fast-check";
import type { Tensor } from "@typegrad/autograd";
import { DOMAINS, tensor } from "../arbitraries.js";
import {
  arrayOf,
  buildRef,
  count,
  dimArb,
  dimsArb,
  distinctTensor,
  domainText,
  makeSample,
  normDim,
  normDims,
  read,
  real,
  reduceRef,
  shapes,
  valued,
  type OpInfo,
  type OpSample,
  type Ref,
} from "./common.js";

type Dims = number | number[] | undefined;
type Lane = (lane: number[]) => number;

const sumOf: Lane = (l) => l.reduce((a, b) => a + b, 0);
const meanOf: Lane = (l) => sumOf(l) / l.length;
const maxOf: Lane = (l) => Math.max(...l);
const minOf: Lane = (l) => Math.min(...l);
const lseOf: Lane = (l) => {
  const m = maxOf(l);
  return m + Math.log(l.reduce((a, v) => a + Math.exp(v - m), 0));
};

/** A reduction over (dims, keepdim) of tensors from `input`. */
function reduction(
  op: string,
  input: (shape: number[]) => fc.Arbitrary<Tensor>,
  call: (x: Tensor, dims: Dims, keepdim: boolean) => Tensor,
  lane: Lane,
): fc.Arbitrary<OpSample> {
  return shapes()
    .chain((s) => fc.tuple(input(s), dimsArb(s.length), fc.boolean()))
    .map(([x, dims, keepdim]) =>
      makeSample({
        op,
        inputs: [x],
        args: { dims, keepdim },
        call: (a) => call(a, dims, keepdim),
        reference: (a) => reduceRef(a, normDims(dims, a.ndim), keepdim, lane),
      }),
    );
}

const any = (shape: number[]) => tensor({ shape });
const distinct = (shape: number[]) => distinctTensor(shape);
/** prod inputs: magnitudes in [0.5, 1.5] of either sign, and sometimes an exact 0. */
const prodInput = (shape: number[]) =>
  valued(shape, arrayOf(fc.oneof({ arbitrary: real(0.5, 1.5), weight: 4 }, { arbitrary: real(-1.5, -0.5), weight: 4 }, fc.constant(0)), count(shape)));

const DISTINCT = "a shuffled grid of distinct values in about [-1.5, 1.5]: no ties";

/** max/min along a dim: the values (differentiated) and the int32 index of the first extremum. */
function extremumDim(op: "max" | "min"): OpInfo {
  const better = op === "max" ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  const laneRef = (x: Tensor, d: number, keepdim: boolean): Ref[] => {
    const nd = normDim(d, x.ndim);
    const outShape = x.shape.map((s, k) => (k === nd ? 1 : s));
    const best = (index: number[]) => {
      let arg = 0;
      for (let i = 1; i < (x.shape[nd] ?? 1); i++) {
        const here = index.map((v, k) => (k === nd ? i : v));
        const there = index.map((v, k) => (k === nd ? arg : v));
        if (better(read(x, here), read(x, there))) arg = i;
      }
      return arg;
    };
    const shape = keepdim || x.ndim === 0 ? outShape : x.shape.filter((_, k) => k !== nd);
    const values = buildRef(outShape, (i) => read(x, x.ndim === 0 ? [] : i.map((v, k) => (k === nd ? best(i) : v)))).values;
    const indices = buildRef(outShape, (i) => (x.ndim === 0 ? 0 : best(i))).values;
    return [{ shape, values }, { shape, values: indices, dtype: "int32" }];
  };
  return {
    domain: DISTINCT,
    gradgrad: true,
    sample: shapes()
      .chain((s) => fc.tuple(distinctTensor(s), dimArb(s.length), fc.boolean()))
      .map(([x, dim, keepdim]) =>
        makeSample({
          op,
          inputs: [x],
          args: { dim, keepdim },
          call: (a) => a[op](dim, keepdim).values,
          forward: (a) => {
            const r = a[op](dim, keepdim);
            return [r.values, r.indices];
          },
          reference: (a) => laneRef(a, dim, keepdim),
        }),
      ),
  };
}

/** var/std over dims with a correction below the number of reduced elements. */
function moment(op: "var" | "std"): OpInfo {
  const sample = shapes()
    .chain((s) => fc.tuple(fc.constant(s), dimsArb(s.length), fc.boolean(), fc.nat(2), fc.boolean()))
    .chain(([s0, dims, keepdim, corr, useDefault]) => {
      // At least two reduced elements: give the first reduced dim size 2 if needed (a 0-d input becomes [2]).
      const s = s0.length === 0 ? [2] : s0.slice();
      const d = s0.length === 0 ? undefined : dims;
      const nd = normDims(d, s.length);
      if (count(nd.map((k) => s[k]!)) < 2) s[nd[0]!] = 2;
      const n = count(nd.map((k) => s[k]!));
      const correction = useDefault ? undefined : Math.min(corr, n - 1);
      return distinctTensor(s).map((x) => ({ x, d, keepdim, correction }));
    })
    .map(({ x, d, keepdim, correction }) => {
      const options = correction === undefined ? { keepdim } : { keepdim, correction };
      const c = correction ?? 1;
      const varOf: Lane = (l) => {
        const m = meanOf(l);
        return l.reduce((a, v) => a + (v - m) * (v - m), 0) / Math.max(0, l.length - c);
      };
      return makeSample({
        op,
        inputs: [x],
        args: { dims: d, ...options },
        call: (a) => a[op](d, options),
        reference: (a) => reduceRef(a, normDims(d, a.ndim), keepdim, op === "var" ? varOf : (l) => Math.sqrt(varOf(l))),
      });
    });
  return { domain: DISTINCT, gradgrad: true, sample };
}

/** softmax/logSoftmax along one dim. */
function softmaxLike(op: "softmax" | "logSoftmax"): OpInfo {
  return {
    domain: domainText(DOMAINS.any),
    gradgrad: true,
    sample: shapes()
      .chain((s) => fc.tuple(tensor({ shape: s }), dimArb(s.length)))
      .map(([x, dim]) =>
        makeSample({
          op,
          inputs: [x],
          args: { dim },
          call: (a) => a[op](dim),
          reference: (a) => {
            const nd = a.ndim === 0 ? -1 : normDim(dim, a.ndim);
            const lane = (i: number[]) => (nd < 0 ? [read(a, i)] : Array.from({ length: a.shape[nd]! }, (_, k) => read(a, i.map((v, j) => (j === nd ? k : v)))));
            return buildRef(a.shape, (i) => {
              const l = lane(i);
              const lse = lseOf(l);
              return op === "softmax" ? Math.exp(read(a, i) - lse) : read(a, i) - lse;
            });
          },
        }),
      ),
  };
}

/** Reduction op infos. */
export const REDUCE_INFOS = {
  sum: { domain: domainText(DOMAINS.any), gradgrad: true, sample: reduction("sum", any, (x, d, k) => x.sum(d, k), sumOf) },
  mean: { domain: domainText(DOMAINS.any), gradgrad: true, sample: reduction("mean", any, (x, d, k) => x.mean(d, k), meanOf) },
  prod: {
    domain: "magnitudes in [0.5, 1.5] of either sign, sometimes exactly 0",
    gradgrad: true,
    sample: reduction("prod", prodInput, (x, d, k) => x.prod(d, k), (l) => l.reduce((a, b) => a * b, 1)),
  },
  amax: { domain: DISTINCT, gradgrad: true, sample: reduction("amax", distinct, (x, d, k) => x.amax(d, k), maxOf) },
  amin: { domain: DISTINCT, gradgrad: true, sample: reduction("amin", distinct, (x, d, k) => x.amin(d, k), minOf) },
  logsumexp: { domain: domainText(DOMAINS.any), gradgrad: true, sample: reduction("logsumexp", any, (x, d, k) => x.logsumexp(d, k), lseOf) },
  max: extremumDim("max"),
  min: extremumDim("min"),
  var: moment("var"),
  std: moment("std"),
  softmax: softmaxLike("softmax"),
  logSoftmax: softmaxLike("logSoftmax"),
} satisfies Record<string, OpInfo>;
