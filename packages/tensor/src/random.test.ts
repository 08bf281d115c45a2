/**
 * @file Distributions of rand, randn, randint, bernoulli and randperm on 1e5 samples (bounds at
 * 6 standard errors, derived from the formulas), and the errors of the random functions.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { array } from "./create.js";
import type { DType } from "./dtype.js";
import { numel } from "./layout.js";
import { erf } from "./kernels/scalar.js";
import type { NDArray } from "./ndarray.js";
import {
  bernoulli,
  fillNormal,
  manualSeed,
  nextBelow,
  nextDouble,
  rand,
  randint,
  randLike,
  randn,
  randnLike,
  randperm,
} from "./random.js";
import { expectValues } from "./test-helpers.js";
import { propertyConfig } from "./testing/config.js";
import { relayout, shapes } from "./testing/arbitraries.js";
import { logicalValues } from "./testing/reference.js";

/** The elements of a freshly drawn (contiguous) array. */
function values(a: NDArray): number[] {
  return Array.from(a.toArray());
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function variance(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) * (x - m), 0) / (xs.length - 1);
}

/** Pearson's statistic of observed counts against equal expected counts. */
function chiSquare(counts: readonly number[], total: number): number {
  const expected = total / counts.length;
  return counts.reduce((s, c) => s + ((c - expected) * (c - expected)) / expected, 0);
}

/** A 6-sigma upper bound for a chi-square statistic with `df` degrees of freedom (mean df, variance 2 df). */
function chiSquareBound(df: number): number {
  return df + 6 * Math.sqrt(2 * df);
}

const N = 100_000;
const FLOATS: readonly DType[] = ["float32", "float64"];

describe("distributions (1e5 samples, bounds at 6 standard errors)", () => {
  for (const dtype of FLOATS) {
    it(`rand (${dtype}): in [0, 1), mean 1/2, variance 1/12, on the 2^-24 or 2^-53 grid`, () => {
      manualSeed(11);
      const a = rand([N], { dtype });
      expect(a.dtype).toBe(dtype);
      const xs = values(a);
      expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
      const grid = dtype === "float32" ? 2 ** 24 : 2 ** 53;
      expect(xs.every((x) => Number.isInteger(x * grid))).toBe(true);
      // Uniform: sd 1/sqrt(12); the sample variance has sd sqrt((mu4 - sigma^4) / n), mu4 = 1/80.
      expect(Math.abs(mean(xs) - 0.5)).toBeLessThan(6 * Math.sqrt(1 / 12 / N));
      expect(Math.abs(variance(xs) - 1 / 12)).toBeLessThan(6 * Math.sqrt((1 / 80 - 1 / 144) / N));
    });

    it(`randn (${dtype}): mean 0, variance 1, normal CDF, uncorrelated neighbours`, () => {
      manualSeed(12);
      const a = randn([N], { dtype });
      expect(a.dtype).toBe(dtype);
      const xs = values(a);
      expect(xs.every(Number.isFinite)).toBe(true);
      expect(Math.abs(mean(xs))).toBeLessThan(6 / Math.sqrt(N));
      // Normal: the sample variance has sd sqrt(2 / n).
      expect(Math.abs(variance(xs) - 1)).toBeLessThan(6 * Math.sqrt(2 / N));
      for (const q of [-2, -1, -0.5, 0, 0.5, 1, 2]) {
        const p = 0.5 * (1 + erf(q / Math.SQRT2));
        const frac = xs.filter((x) => x <= q).length / N;
        expect(Math.abs(frac - p), `P(x <= ${q})`).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / N));
      }
      // Both values of each Box-Muller pair are used; they must be uncorrelated.
      let cov = 0;
      for (let i = 0; i + 1 < N; i += 2) cov += xs[i]! * xs[i + 1]!;
      expect(Math.abs(cov / (N / 2))).toBeLessThan(6 / Math.sqrt(N / 2));
    });
  }

  it("randn fills odd lengths and 0-d shapes", () => {
    manualSeed(13);
    expect(randn([]).shape).toEqual([]);
    expect(values(randn([5])).every(Number.isFinite)).toBe(true);
    const d = new Float64Array(3);
    fillNormal(d, 10, 0.001);
    expect(Array.from(d).every((x) => Math.abs(x - 10) < 0.1)).toBe(true);
  });

  it("randint(low, high) stays in [low, high) and hits every value equally often", () => {
    manualSeed(14);
    const [low, high] = [-3, 8];
    const a = randint(low, high, [N]);
    expect(a.dtype).toBe("int32");
    const xs = values(a);
    expect(xs.every((x) => Number.isInteger(x) && x >= low && x < high)).toBe(true);
    const counts = new Array<number>(high - low).fill(0);
    for (const x of xs) counts[x - low]!++;
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(chiSquare(counts, N)).toBeLessThan(chiSquareBound(counts.length - 1));
  });

  it("randint has no modulo bias for a range of 3 * 2^30", () => {
    manualSeed(15);
    // With plain `draw % range`, the lowest third would get half of the mass instead of a third.
    const low = -(2 ** 31);
    const xs = values(randint(low, low + 3 * 2 ** 30, [N]));
    const thirds = [0, 0, 0];
    for (const x of xs) thirds[Math.floor((x - low) / 2 ** 30)]!++;
    expect(chiSquare(thirds, N)).toBeLessThan(chiSquareBound(2));
  });

  it("randint covers the whole int32 range and a range of one value", () => {
    manualSeed(16);
    const xs = values(randint(-(2 ** 31), 2 ** 31, [1000]));
    expect(xs.some((x) => x < 0) && xs.some((x) => x >= 0)).toBe(true);
    expect(xs.every((x) => Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31)).toBe(true);
    expectValues(randint(5, 6, [4]), [4], [5, 5, 5, 5]);
    expect(randint(0, 10, [3], { dtype: "float64" }).dtype).toBe("float64");
  });

  it("nextBelow and nextDouble stay in range", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 2 ** 32 }), (seed, range) => {
        manualSeed(seed);
        for (let i = 0; i < 20; i++) {
          const k = nextBelow(range);
          expect(Number.isInteger(k) && k >= 0 && k < range).toBe(true);
          const u = nextDouble();
          expect(u >= 0 && u < 1).toBe(true);
        }
      }),
      propertyConfig(),
    );
  });

  it.each([0.05, 0.3, 0.5, 0.9])("bernoulli(%s) is 1 with frequency p", (p) => {
    manualSeed(17);
    const xs = values(bernoulli(p, [N]));
    expect(xs.every((x) => x === 0 || x === 1)).toBe(true);
    const freq = mean(xs);
    expect(Math.abs(freq - p)).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / N));
  });

  it("bernoulli(0) is all zeros and bernoulli(1) all ones", () => {
    manualSeed(18);
    expect(values(bernoulli(0, [1000])).every((x) => x === 0)).toBe(true);
    expect(values(bernoulli(1, [1000])).every((x) => x === 1)).toBe(true);
  });

  it("bernoulli(probs) respects each element's probability, 0 and 1 exactly", () => {
    manualSeed(19);
    const pattern = [0, 1, 0.25, 0.75];
    const probs = array(Float64Array.from({ length: N }, (_, i) => pattern[i % 4]!));
    const out = bernoulli(probs);
    expect(out.dtype).toBe("float64");
    const xs = values(out);
    const ones = [0, 0, 0, 0];
    xs.forEach((x, i) => (ones[i % 4]! += x));
    expect(ones[0]).toBe(0);
    expect(ones[1]).toBe(N / 4);
    for (const k of [2, 3]) {
      const p = pattern[k]!;
      expect(Math.abs(ones[k]! / (N / 4) - p)).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / (N / 4)));
    }
  });

  it("bernoulli(probs) reads probabilities through any layout", () => {
    fc.assert(
      fc.property(
        shapes()
          .chain((shape) => fc.array(fc.constantFrom(0, 1), { minLength: numel(shape), maxLength: numel(shape) }).map((flat) => array(Float64Array.from(flat), { shape })))
          .chain((probs) => relayout(probs)),
        (probs) => {
          const out = bernoulli(probs);
          expectValues(out, probs.shape, logicalValues(probs), { atol: 0, rtol: 0 });
        },
      ),
      propertyConfig(),
    );
  });

  it("bernoulli(probs) gives float32 for integer or bool probabilities and honours dtype", () => {
    manualSeed(20);
    expect(bernoulli(array([0, 1, 1], { dtype: "int32" })).dtype).toBe("float32");
    expectValues(bernoulli(array([true, false])), [2], [1, 0]);
    expect(bernoulli(array([0.5]), undefined, { dtype: "float64" }).dtype).toBe("float64");
  });

  it("randperm(n) is a permutation of 0..n-1", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 64 }), fc.integer(), (n, seed) => {
        manualSeed(seed);
        const p = randperm(n);
        expect(p.dtype).toBe("int32");
        expect(p.shape).toEqual([n]);
        expect(values(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
      propertyConfig(),
    );
    expectValues(randperm(0), [0], []);
    expectValues(randperm(1), [1], [0]);
  });

  it("randperm(3) gives each of the 6 orders equally often", () => {
    manualSeed(21);
    const total = 30_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < total; i++) {
      const key = values(randperm(3)).join(",");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    expect(chiSquare([...counts.values()], total)).toBeLessThan(chiSquareBound(5));
  });

  it("randLike and randnLike take the shape, and a float dtype, of their argument", () => {
    const f64 = array([[1, 2, 3]], { dtype: "float64" });
    const i32 = array([1, 2], { dtype: "int32" });
    expect([randLike(f64).shape, randLike(f64).dtype]).toEqual([[1, 3], "float64"]);
    expect([randnLike(i32).shape, randnLike(i32).dtype]).toEqual([[2], "float32"]);
    expect(randLike(i32, { dtype: "float64" }).dtype).toBe("float64");
  });
});

describe("errors", () => {
  it.each([
    ["rand", () => rand([2, -1])],
    ["randn", () => randn([1.5])],
    ["randint", () => randint(0, 2, [-3])],
    ["bernoulli", () => bernoulli(0.5, [NaN])],
  ])("%s rejects a bad shape, naming the op and the shape", (name, f) => {
    expect(f).toThrow(new RegExp(`${name}: invalid shape \\[`));
  });

  it("rand rejects a shape that is not an array", () => {
    expect(() => rand(3 as unknown as number[])).toThrow(/rand: shape must be an array.*3/);
  });

  it("randint rejects low >= high", () => {
    expect(() => randint(5, 5, [2])).toThrow(/randint.*low 5.*high 5/);
    expect(() => randint(5, 2, [2])).toThrow(/randint.*low 5.*high 2/);
  });

  it("randint rejects non-integer and out-of-int32 bounds", () => {
    expect(() => randint(0.5, 3, [2])).toThrow(/randint.*low 0\.5/);
    expect(() => randint(0, 2 ** 31 + 1, [2])).toThrow(/randint.*high 2147483649/);
    expect(() => randint(-(2 ** 31) - 1, 0, [2])).toThrow(/randint.*low -2147483649/);
  });

  it.each([-0.1, 1.5, NaN])("bernoulli rejects p = %s", (p) => {
    expect(() => bernoulli(p, [2])).toThrow(new RegExp(`bernoulli: p must be in \\[0, 1\\], got ${p}`));
  });

  it("bernoulli rejects probabilities outside [0, 1] and a missing shape", () => {
    expect(() => bernoulli(array([0.5, 2]))).toThrow(/bernoulli.*probabilities.*found 2/);
    expect(() => bernoulli(array([0.5, -1]))).toThrow(/bernoulli.*probabilities.*found -1/);
    expect(() => bernoulli(0.5)).toThrow(/bernoulli.*shape is required/);
  });

  it.each(["int32", "bool"] as const)("rand, randn and bernoulli reject dtype %s", (dtype) => {
    expect(() => rand([2], { dtype })).toThrow(new RegExp(`rand: dtype must be float32 or float64, got ${dtype}`));
    expect(() => randn([2], { dtype })).toThrow(new RegExp(`randn: dtype must be float32 or float64, got ${dtype}`));
    expect(() => bernoulli(0.5, [2], { dtype })).toThrow(new RegExp(`bernoulli: dtype must be float32 or float64, got ${dtype}`));
  });

  it("unknown dtypes are rejected with the op name", () => {
    expect(() => rand([2], { dtype: "float16" as DType })).toThrow(/rand: unknown dtype "float16"/);
    expect(() => randint(0, 2, [2], { dtype: "int8" as DType })).toThrow(/randint: unknown dtype "int8"/);
    expect(() => randperm(2, { dtype: "uint8" as DType })).toThrow(/randperm: unknown dtype "uint8"/);
  });

  it("bool results hold only 0/1: randint needs 0 <= low < high <= 2 and randperm rejects bool, as PyTorch", () => {
    fc.assert(
      fc.property(fc.integer({ min: -4, max: 4 }), fc.integer({ min: 1, max: 5 }), (low, width) => {
        const high = low + width;
        const call = () => randint(low, high, [64], { dtype: "bool" });
        if (low < 0 || high > 2) {
          expect(call).toThrow(RangeError);
          expect(call).toThrow(new RegExp(`^randint: \\[${low}, ${high}\\) is out of bounds for bool`));
          return;
        }
        const got = call();
        expect(got.dtype).toBe("bool");
        expect(Array.from(got.toArray()).every((v) => v >= low && v < high)).toBe(true);
      }),
      propertyConfig(),
    );
    expect(() => randperm(2, { dtype: "bool" })).toThrow(TypeError);
    expect(() => randperm(0, { dtype: "bool" })).toThrow(/^randperm: not implemented for bool/);
  });

  it.each([-1, 2.5, NaN])("randperm rejects n = %s", (n) => {
    expect(() => randperm(n)).toThrow(new RegExp(`randperm: n must be a non-negative integer, got ${n}`));
  });

  it.each([1.5, NaN, Infinity, 2 ** 53])("manualSeed rejects %s", (seed) => {
    expect(() => manualSeed(seed)).toThrow(new RegExp(`manualSeed: seed must be a safe integer, got ${seed}`));
  });
});
