/**
 * @file softmax and logSoftmax against a float64 max-subtracted reference along random dims
 * (negative too) of random shapes and layouts; lanes sum to 1, exp(logSoftmax) = softmax,
 * stability at +-1e4 (and +-1e30 in float64), PyTorch's NaN for all -inf lanes, named errors;
 * on each kernel backend (the WebAssembly one takes float32 along the last dim, at any size).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { array, zeros } from "../create.js";
import type { DType } from "../dtype.js";
import type { NDArray } from "../ndarray.js";
import { expectValues, toleranceFor } from "../test-helpers.js";
import { LAYOUTS, ndarrays, relayout, shapes, type Domain } from "../testing/arbitraries.js";
import { propertyConfig } from "../testing/config.js";
import { allIndices, at } from "../testing/reference.js";
import { KERNEL_BACKENDS, useKernelBackend } from "./backend-test-helpers.js";
import { logSoftmax, softmax } from "./softmax.js";

const FLOATS: readonly DType[] = ["float32", "float64"];

/** Valid dims of an `ndim`-d array, negative ones included (a 0-d array takes 0 and -1). */
function dims(ndim: number): fc.Arbitrary<number> {
  const range = Math.max(ndim, 1);
  return fc.integer({ min: -range, max: range - 1 });
}

/** The values along dim `d` through `index` (the single value of a 0-d array). */
function lane(a: NDArray, index: readonly number[], d: number): number[] {
  if (a.ndim === 0) return [at(a, [])];
  return Array.from({ length: a.shape[d]! }, (_, i) => {
    const q = index.slice();
    q[d] = i;
    return at(a, q);
  });
}

/** softmax or logSoftmax of `a` along `dim` in float64, element by element, max subtracted. */
function reference(a: NDArray, dim: number, log: boolean): number[] {
  const d = dim < 0 ? dim + Math.max(a.ndim, 1) : dim;
  return allIndices(a.shape).map((p) => {
    const xs = lane(a, p, d);
    const m = Math.max(...xs);
    let total = 0;
    for (const x of xs) total += Math.exp(x - m);
    const x = at(a, p);
    return log ? x - m - Math.log(total) : Math.exp(x - m) / total;
  });
}

/** Arrays of random (or given) shape, float dtype and layout (expanded too), with a valid dim. */
function inputs(
  domain?: Domain,
  dtype: fc.Arbitrary<DType> = fc.constantFrom(...FLOATS),
  shape: fc.Arbitrary<number[]> = shapes(),
): fc.Arbitrary<[NDArray, number]> {
  return ndarrays({ shape, dtype, domain, layouts: LAYOUTS }).chain((a) => fc.tuple(fc.constant(a), dims(a.ndim)));
}

/** Tolerance for outputs near magnitude `scale`: logSoftmax keeps the inputs' absolute rounding. */
function scaledTolerance(dtype: DType, scale: number): { atol: number; rtol: number } {
  const tol = toleranceFor(dtype);
  const eps = dtype === "float32" ? 2 ** -23 : 2 ** -52;
  return { atol: Math.max(tol.atol, 8 * eps * scale), rtol: tol.rtol };
}

function maxAbs(a: NDArray): number {
  return allIndices(a.shape).reduce((m, p) => Math.max(m, Math.abs(at(a, p))), 0);
}

const OPS = [
  ["softmax", softmax, false],
  ["logSoftmax", logSoftmax, true],
] as const;

describe.each(KERNEL_BACKENDS)("backend %s", (backend) => {
  useKernelBackend(backend);

  describe.each(OPS)("%s", (name, fn, log) => {
    it("matches the float64 reference on random shapes, layouts and dims", () => {
      fc.assert(
        fc.property(inputs(), ([a, dim]) => {
          const got = fn(a, dim);
          expect(got.dtype).toBe(a.dtype);
          expectValues(got, a.shape, reference(a, dim, log));
        }),
        propertyConfig(),
      );
    });

    it("handles empty shapes", () => {
      const cases = ndarrays({ shape: shapes({ minDims: 1, minSize: 0 }), dtype: fc.constantFrom(...FLOATS) }).chain((a) =>
        fc.tuple(fc.constant(a), dims(a.ndim)),
      );
      fc.assert(
        fc.property(cases, ([a, dim]) => {
          expectValues(fn(a, dim), a.shape, reference(a, dim, log));
        }),
        propertyConfig(),
      );
    });

    it("stays finite and correct for inputs of magnitude up to 1e4", () => {
      fc.assert(
        fc.property(inputs({ min: -1e4, max: 1e4 }), ([a, dim]) => {
          const got = fn(a, dim);
          const want = reference(a, dim, log);
          expect(want.every(Number.isFinite)).toBe(true);
          expectValues(got, a.shape, want, scaledTolerance(a.dtype, maxAbs(a)));
        }),
        propertyConfig(),
      );
    });

    /** Large inputs: the result stays finite and matches the float64 reference. */
    const expectFiniteAndCorrect = (cases: fc.Arbitrary<[NDArray, number]>) =>
      fc.assert(
        fc.property(cases, ([a, dim]) => {
          const want = reference(a, dim, log);
          expect(want.every(Number.isFinite)).toBe(true);
          expectValues(fn(a, dim), a.shape, want, scaledTolerance(a.dtype, maxAbs(a)));
        }),
        propertyConfig(),
      );

    it("stays finite and correct near +-1e4 (exp of the raw inputs would overflow)", () => {
      expectFiniteAndCorrect(fc.constantFrom(-1e4, 1e4).chain((c) => inputs({ min: c - 2, max: c + 2 })));
    });

    it("stays finite and correct for float64 inputs of magnitude up to 1e30", () => {
      const domains = fc.constantFrom<Domain>({ min: -1e30, max: 1e30 }, { min: 1e30, max: 1.001e30 }, { min: -1.001e30, max: -1e30 });
      expectFiniteAndCorrect(domains.chain((domain) => inputs(domain, fc.constant<DType>("float64"))));
    });

    it("follows PyTorch on non-finite lanes: all -inf, any +inf or NaN give NaN; some -inf give 0 / -inf", () => {
      const special = fc.constantFrom(-Infinity, -Infinity, Infinity, NaN);
      const cases = fc
        .tuple(shapes({ minDims: 1 }), fc.constantFrom(...FLOATS))
        .chain(([shape, dtype]) => {
          const n = shape.reduce((x, y) => x * y, 1);
          const values = fc.array(fc.oneof(special, fc.double({ min: -2, max: 2, noNaN: true })), { minLength: n, maxLength: n });
          return fc.tuple(values.chain((v) => relayout(array(Float64Array.from(v), { shape, dtype }))), dims(shape.length));
        });
      fc.assert(
        fc.property(cases, ([a, dim]) => {
          expectValues(fn(a, dim), a.shape, reference(a, dim, log));
        }),
        propertyConfig(),
      );
    });

    it("gives NaN for a lane of all -inf and leaves the other lanes finite (PyTorch 1.13)", () => {
      fc.assert(
        fc.property(inputs(undefined, undefined, shapes({ minDims: 1 })), fc.nat(), ([a0, dim], pick) => {
          const d = dim < 0 ? dim + a0.ndim : dim;
          // A contiguous copy with the lane through a random element set to -inf.
          const values = allIndices(a0.shape).map((p) => at(a0, p));
          const base = allIndices(a0.shape)[pick % a0.size]!;
          const inLane = (p: readonly number[]) => p.every((i, k) => k === d || i === base[k]);
          allIndices(a0.shape).forEach((p, i) => {
            if (inLane(p)) values[i] = -Infinity;
          });
          const a = array(Float64Array.from(values), { shape: a0.shape, dtype: a0.dtype });
          const got = fn(a, dim);
          allIndices(a.shape).forEach((p) => {
            const v = at(got, p);
            if (inLane(p)) expect(v).toBeNaN();
            else expect(Number.isFinite(v)).toBe(true);
          });
        }),
        propertyConfig(),
      );
    });

    it("of a 0-d array is softmax 1 / logSoftmax 0, along dim 0 or -1", () => {
      fc.assert(
        fc.property(inputs(undefined, undefined, fc.constant([])), ([a, dim]) => {
          expectValues(fn(a, dim), [], [log ? 0 : 1]);
        }),
        propertyConfig(),
      );
    });

    it("rejects int32 and bool inputs with a TypeError naming the op and dtype", () => {
      for (const dtype of ["int32", "bool"] as const) {
        let error: unknown;
        try {
          fn(zeros([2, 3], { dtype }), 1);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toContain(name);
        expect((error as Error).message).toContain(dtype);
      }
    });

    it("rejects a dim out of range with a RangeError naming the op and dim", () => {
      expect(() => fn(zeros([2, 3]), 2)).toThrow(RangeError);
      expect(() => fn(zeros([2, 3]), -3)).toThrow(new RegExp(`${name}: dim -3`));
    });
  });

  describe("softmax and logSoftmax together", () => {
    it("softmax lanes sum to 1", () => {
      fc.assert(
        fc.property(inputs({ min: -20, max: 20 }), ([a, dim]) => {
          const d = dim < 0 ? dim + Math.max(a.ndim, 1) : dim;
          const got = softmax(a, dim);
          const tol = toleranceFor(a.dtype);
          const n = a.ndim === 0 ? 1 : a.shape[d]!;
          for (const p of allIndices(a.shape).filter((q) => q.length === 0 || q[d] === 0)) {
            const sum = lane(got, p, d).reduce((x, y) => x + y, 0);
            expect(Math.abs(sum - 1)).toBeLessThanOrEqual(n * (tol.atol + tol.rtol));
          }
        }),
        propertyConfig(),
      );
    });

    it("exp(logSoftmax) equals softmax", () => {
      fc.assert(
        fc.property(inputs({ min: -5, max: 5 }), ([a, dim]) => {
          const ls = logSoftmax(a, dim);
          const expLs = allIndices(a.shape).map((p) => Math.exp(at(ls, p)));
          expectValues(softmax(a, dim), a.shape, expLs);
        }),
        propertyConfig(),
      );
    });

    it("leaves the input untouched", () => {
      fc.assert(
        fc.property(inputs(), ([a, dim]) => {
          const before = allIndices(a.shape).map((p) => at(a, p));
          softmax(a, dim);
          logSoftmax(a, dim);
          expect(allIndices(a.shape).map((p) => at(a, p))).toEqual(before);
        }),
        propertyConfig(),
      );
    });
  });
});
