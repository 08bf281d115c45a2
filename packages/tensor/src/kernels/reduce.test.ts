/** @file Reductions over random dim sets, shapes and layouts against naive references; dtype rules and errors. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DType } from "../dtype.js";
import { array, zeros } from "../create.js";
import type { NDArray } from "../ndarray.js";
import { dtypes, LAYOUTS, ndarrays, shapes } from "../testing/arbitraries.js";
import { propertyConfig } from "../testing/config.js";
import { allIndices, at } from "../testing/reference.js";
import { expectValues } from "../test-helpers.js";
import * as R from "./reduce.js";

/** An array of random shape, dtype and layout, with a random subset of its dims (sometimes undefined = all). */
const arrayAndDims = (dtypeChoices: DType[]) =>
  ndarrays({ shape: shapes({ minSize: 1 }), dtype: dtypes(dtypeChoices), domain: { min: -3, max: 3 }, layouts: LAYOUTS }).chain((a) =>
    fc.tuple(
      fc.constant(a),
      fc.oneof(
        fc.constant(undefined),
        fc.subarray(a.shape.map((_, d) => d)).chain((dims) => fc.tuple(...dims.map((d) => fc.constantFrom(d, d - a.ndim)))),
      ),
      fc.boolean(),
    ),
  );

/** Groups the elements of `a` by kept position: the lanes a reduction over `dims` combines, in order. */
function naiveLanes(a: NDArray, dims: readonly number[] | undefined, keepdim: boolean): { shape: number[]; lanes: number[][] } {
  const reduced = new Set((dims ?? a.shape.map((_, d) => d)).map((d) => (d < 0 ? d + a.ndim : d)));
  const keptShape = a.shape.filter((_, d) => !reduced.has(d));
  const shape = keepdim ? a.shape.map((s, d) => (reduced.has(d) ? 1 : s)) : keptShape;
  const lanes = allIndices(keptShape).map(() => [] as number[]);
  const keptStrides = keptShape.map((_, k) => keptShape.slice(k + 1).reduce((x, y) => x * y, 1));
  for (const index of allIndices(a.shape)) {
    const kept = index.filter((_, d) => !reduced.has(d));
    lanes[kept.reduce((o, i, k) => o + i * keptStrides[k]!, 0)]!.push(at(a, index));
  }
  return { shape, lanes };
}

const total = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
const largest = (xs: number[]) => (xs.some(Number.isNaN) ? NaN : Math.max(...xs));
const smallest = (xs: number[]) => (xs.some(Number.isNaN) ? NaN : Math.min(...xs));
const sumType = (d: DType): DType => (d === "float32" || d === "float64" ? d : "int32");

const CASES: Record<string, { fn: (a: NDArray, dims: number[] | undefined, keepdim: boolean) => NDArray; ref: (xs: number[]) => number; dtypes: DType[]; out: (d: DType) => DType }> = {
  sum: { fn: R.sum, ref: total, dtypes: ["bool", "int32", "float32", "float64"], out: sumType },
  mean: { fn: R.mean, ref: (xs) => total(xs) / xs.length, dtypes: ["float32", "float64"], out: (d) => d },
  prod: { fn: R.prod, ref: (xs) => xs.reduce((p, x) => p * x, 1), dtypes: ["bool", "int32", "float32", "float64"], out: sumType },
  amax: { fn: R.amax, ref: largest, dtypes: ["bool", "int32", "float32", "float64"], out: (d) => d },
  amin: { fn: R.amin, ref: smallest, dtypes: ["bool", "int32", "float32", "float64"], out: (d) => d },
  logsumexp: {
    fn: R.logsumexp,
    ref: (xs) => Math.log(total(xs.map(Math.exp))),
    dtypes: ["int32", "float32", "float64"],
    out: (d) => (d === "int32" ? "float32" : d),
  },
  var: {
    fn: (a, dims, keepdim) => R.variance(a, dims, { keepdim }),
    ref: (xs) => total(xs.map((x) => (x - total(xs) / xs.length) ** 2)) / (xs.length - 1),
    dtypes: ["float32", "float64"],
    out: (d) => d,
  },
  std: {
    fn: (a, dims, keepdim) => R.std(a, dims, { keepdim, correction: 0 }),
    ref: (xs) => Math.sqrt(total(xs.map((x) => (x - total(xs) / xs.length) ** 2)) / xs.length),
    dtypes: ["float32", "float64"],
    out: (d) => d,
  },
};

describe.each(Object.entries(CASES))("%s", (name, c) => {
  it("over random dim sets matches the naive lane reference", () => {
    fc.assert(
      fc.property(arrayAndDims(c.dtypes), ([a, dims, keepdim]) => {
        const got = c.fn(a, dims, keepdim);
        const { shape, lanes } = naiveLanes(a, dims, keepdim);
        expect(got.dtype).toBe(c.out(a.dtype));
        const tol = got.dtype === "float32" ? { atol: 1e-5, rtol: 1e-5 } : got.dtype === "float64" ? { atol: 1e-12, rtol: 1e-12 } : undefined;
        // int32 results wrap like the typed array stores them (products of many ints overflow).
        const want = lanes.map((xs) => (got.dtype === "int32" ? c.ref(xs) | 0 : c.ref(xs)));
        expectValues(got, shape, want, tol);
      }),
      propertyConfig(),
    );
  });
});

describe("max/min with a dim and argmax/argmin", () => {
  it("give the values and the index of the first extremum", () => {
    fc.assert(
      fc.property(
        ndarrays({ shape: shapes({ minDims: 1 }), dtype: dtypes(["int32", "float64"]), domain: { min: -2, max: 2 }, layouts: LAYOUTS }).chain((a) =>
          fc.tuple(fc.constant(a), fc.integer({ min: -a.ndim, max: a.ndim - 1 }), fc.boolean()),
        ),
        ([a, dim, keepdim]) => {
          const { shape, lanes } = naiveLanes(a, [dim], keepdim);
          const first = (pick: (xs: number[]) => number) => (xs: number[]) => xs.indexOf(pick(xs));
          const max = R.maxDim(a, dim, keepdim);
          const min = R.minDim(a, dim, keepdim);
          expectValues(max.values, shape, lanes.map(largest));
          expectValues(max.indices, shape, lanes.map(first(largest)));
          expectValues(min.values, shape, lanes.map(smallest));
          expectValues(min.indices, shape, lanes.map(first(smallest)));
          expectValues(R.argmax(a, dim, keepdim), shape, lanes.map(first(largest)));
          expectValues(R.argmin(a, dim, keepdim), shape, lanes.map(first(smallest)));
          const flat = naiveLanes(a, undefined, false).lanes[0]!;
          expectValues(R.argmax(a), [], [first(largest)(flat)]);
          expectValues(R.argmin(a), [], [first(smallest)(flat)]);
          // Without a dim, keepdim keeps every dim as size 1 (PyTorch 1.13).
          const ones = a.shape.map(() => 1);
          expectValues(R.argmax(a, undefined, true), ones, [first(largest)(flat)]);
          expectValues(R.argmin(a, undefined, true), ones, [first(smallest)(flat)]);
        },
      ),
      propertyConfig(),
    );
  });

  it("on a 0-d array accept dim 0 and -1 only, keepdim or not (argmax keeps shape [])", () => {
    fc.assert(
      fc.property(ndarrays({ shape: [], dtype: dtypes() }), fc.integer({ min: -5, max: 5 }), fc.boolean(), (a, dim, keepdim) => {
        for (const fn of [R.maxDim, R.minDim]) {
          if (dim === 0 || dim === -1) {
            const { values, indices } = fn(a, dim, keepdim);
            expectValues(values, [], [at(a, [])]);
            expectValues(indices, [], [0]);
          } else {
            expect(() => fn(a, dim, keepdim)).toThrow(RangeError);
            expect(() => fn(a, dim, keepdim)).toThrow(new RegExp(`^(max|min): dim ${dim} is out of range for a tensor with 0 dims`));
          }
        }
        expectValues(R.argmax(a, undefined, keepdim), [], [0]);
        expectValues(R.argmin(a, undefined, keepdim), [], [0]);
      }),
      propertyConfig(),
    );
  });

  it("propagate NaN as PyTorch does (the first NaN wins)", () => {
    const a = array([1, NaN, 3, NaN], { dtype: "float64" });
    const { values, indices } = R.maxDim(a, 0);
    expect(values.item()).toBeNaN();
    expect(indices.item()).toBe(1);
    expect(R.amin(a).item()).toBeNaN();
    expect(R.logsumexp(a, 0).item()).toBeNaN();
  });
});

describe("int32 sums and products wrap like C int32 arithmetic", () => {
  const wrap32 = (v: bigint) => Number(BigInt.asIntN(32, v));
  it("at any magnitude, against exact BigInt sums and products modulo 2^32", () => {
    fc.assert(
      fc.property(
        ndarrays({ shape: shapes({ minDims: 1 }), dtype: "int32", domain: { min: -(2 ** 31), max: 2 ** 31 - 1 }, layouts: LAYOUTS }).chain((a) =>
          fc.tuple(fc.constant(a), fc.integer({ min: -a.ndim, max: a.ndim - 1 })),
        ),
        ([a, dim]) => {
          const { shape, lanes } = naiveLanes(a, [dim], false);
          expectValues(R.sum(a, dim), shape, lanes.map((xs) => wrap32(xs.reduce((s, x) => s + BigInt(x), 0n))));
          expectValues(R.prod(a, dim), shape, lanes.map((xs) => wrap32(xs.reduce((p, x) => p * BigInt(x), 1n))));
        },
      ),
      propertyConfig(),
    );
    // PyTorch: torch.prod(torch.tensor([100000007, 100000007, 3], dtype=torch.int32), dtype=torch.int32)
    expect(R.prod(array([100000007, 100000007, 3], { dtype: "int32" })).item()).toBe(1234823827);
  });

  it("a sum of 2^23 elements of 2^31 - 1 keeps its low bits (a float64 sum would not)", () => {
    const n = 2 ** 23;
    const a = zeros([n], { dtype: "int32" });
    a.data.fill(2 ** 31 - 1);
    expect(R.sum(a).item()).toBe(wrap32(BigInt(n) * (2n ** 31n - 1n)));
  });
});

describe("numerics and edge cases", () => {
  it("logsumexp is stable for large inputs and exact for -inf lanes", () => {
    const a = array([[1e4, 1e4], [-Infinity, -Infinity]], { dtype: "float64" });
    expectValues(R.logsumexp(a, 1), [2], [1e4 + Math.log(2), -Infinity]);
  });

  it("reductions of 0-d arrays and empty lanes follow PyTorch", () => {
    const s = array(2.5, { dtype: "float64" });
    expect(R.sum(s, 0).item()).toBe(2.5);
    expect(R.sum(zeros([0, 3]), 0).tolist()).toEqual([0, 0, 0]);
    expect(R.prod(zeros([0])).item()).toBe(1);
    expect(R.mean(zeros([0])).item()).toBeNaN();
    expect(R.variance(array([1, 2, 3]), 0, { correction: 3 }).item()).toBe(Infinity);
    expect(R.sum(zeros([2, 3]), []).shape).toEqual([2, 3]);
  });

  it("errors name the op, the dtype or the shape", () => {
    expect(() => R.mean(zeros([2], { dtype: "int32" }))).toThrow(/mean: expected a float32 or float64 tensor, got int32/);
    expect(() => R.std(zeros([2], { dtype: "bool" }))).toThrow(/std: expected a float32 or float64 tensor, got bool/);
    expect(() => R.amax(zeros([2, 0]), 1)).toThrow(/amax: cannot reduce over an empty dim of shape \[2,0\]/);
    expect(() => R.maxDim(zeros([0]), 0)).toThrow(/max: cannot reduce over an empty dim/);
    expect(() => R.sum(zeros([2, 3]), 2)).toThrow(/sum: dim 2 is out of range/);
    expect(() => R.sum(zeros([2, 3]), [0, -2])).toThrow(/sum: dim 0 appears multiple times/);
    expect(() => R.variance(zeros([2]), 0, { correction: -1 })).toThrow(/var: correction must be a non-negative number/);
  });
});
