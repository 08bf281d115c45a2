/**
 * @file pow against C's pow (special cases of C99 Annex F) on every pair of special values,
 * PyTorch's sqrt/rsqrt specialization of a 0.5/-0.5 scalar exponent, and int32 powers against
 * exact BigInt arithmetic modulo 2^32 with PyTorch's rules for negative exponents.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { array, full } from "../create.js";
import type { DType } from "../dtype.js";
import { expectValues } from "../test-helpers.js";
import { LAYOUTS, ndarrays } from "../testing/arbitraries.js";
import { propertyConfig } from "../testing/config.js";
import { logicalValues } from "../testing/reference.js";
import { cPow, mulInt32Ref, powInt32Ref } from "./map-test-helpers.js";
import { pow } from "./pow.js";

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, 1 / 3, 1e-300, 1e300, -8];
const FLOATS: readonly DType[] = ["float32", "float64"];
const round = (dtype: DType) => (dtype === "float32" ? Math.fround : (x: number) => x);

/** Expects equal numbers, telling -0 from +0 (NaN equals NaN). */
function expectSame(got: readonly number[], want: readonly number[]): void {
  got.forEach((g, i) => expect(Object.is(g, want[i]), `element ${i}: got ${g}, want ${want[i]}`).toBe(true));
}

describe("float pow follows C, not Math.pow", () => {
  it.each(FLOATS)("every pair of special values, array exponents (%s)", (dtype) => {
    const r = round(dtype);
    const bases = SPECIAL.flatMap((x) => SPECIAL.map(() => x));
    const exps = SPECIAL.flatMap(() => SPECIAL);
    const got = pow(array(bases, { dtype }), array(exps, { dtype }));
    expectSame(logicalValues(got), bases.map((x, i) => r(cPow(r(x), r(exps[i]!)))));
  });

  it.each(FLOATS)("the cases where C and JS differ: pow(1, NaN) = pow(±1, ±inf) = 1 (%s)", (dtype) => {
    const bases = [1, 1, 1, -1, -1, 1];
    const exps = [NaN, Infinity, -Infinity, Infinity, -Infinity, -0];
    expect(bases.map((x, i) => Math.pow(x, exps[i]!)).filter(Number.isNaN).length).toBe(5); // JS's NaNs
    expectSame(logicalValues(pow(array(bases, { dtype }), array(exps, { dtype }))), [1, 1, 1, 1, 1, 1]);
    expectSame(logicalValues(pow(1, array([NaN, Infinity], { dtype }))), [1, 1]);
    expectSame(logicalValues(pow(-1, array([Infinity, -Infinity, NaN, 0.5], { dtype }))), [1, 1, NaN, NaN]);
    expectSame(logicalValues(pow(array([NaN, 1], { dtype }), 0)), [1, 1]);
  });

  it.each(FLOATS)("JS-number exponents other than ±0.5 give C's pow (%s)", (dtype) => {
    const r = round(dtype);
    for (const e of SPECIAL.filter((y) => Math.abs(y) !== 0.5)) {
      const got = pow(array(SPECIAL, { dtype }), e);
      expectSame(logicalValues(got), SPECIAL.map((x) => r(cPow(r(x), r(e)))));
    }
  });

  it.each(FLOATS)("exponent 0.5 is sqrt and -0.5 rsqrt, as PyTorch specializes them ((-0) ** 0.5 = -0) (%s)", (dtype) => {
    const r = round(dtype);
    const x = array(SPECIAL, { dtype });
    expectSame(logicalValues(pow(x, 0.5)), SPECIAL.map((v) => r(Math.sqrt(r(v)))));
    expectSame(logicalValues(pow(x, -0.5)), SPECIAL.map((v) => r(1 / Math.sqrt(r(v)))));
    // An array exponent of 0.5 is C's pow: pow(-0, 0.5) = +0, pow(-inf, 0.5) = +inf.
    expectSame(logicalValues(pow(array([-0, -Infinity], { dtype }), full([2], 0.5, { dtype }))), [0, Infinity]);
    // An int32 base with exponent 0.5 computes in float32, also through sqrt.
    expectSame(logicalValues(pow(array([4, 2], { dtype: "int32" }), 0.5)), [2, Math.fround(Math.SQRT2)]);
  });

  it("random finite values on random layouts match C's pow rounded to the dtype", () => {
    fc.assert(
      fc.property(
        ndarrays({ shape: [5], dtype: fc.constantFrom(...FLOATS), domain: { min: -3, max: 3 }, layouts: LAYOUTS }),
        ndarrays({ shape: [5], dtype: fc.constantFrom(...FLOATS), domain: { min: -3, max: 3 }, layouts: LAYOUTS }),
        (a, b) => {
          const dtype: DType = a.dtype === "float64" || b.dtype === "float64" ? "float64" : "float32";
          const got = pow(a, b);
          expect(got.dtype).toBe(dtype);
          const ys = logicalValues(b);
          expectValues(got, [5], logicalValues(a).map((x, i) => round(dtype)(cPow(x, ys[i]!))));
        },
      ),
      propertyConfig(),
    );
  });
});

/** int32 values over the whole range, with the interesting ones (0, ±1, extremes) common. */
const int32Value = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(0, 1, -1, 2, -2, 2 ** 31 - 1, -(2 ** 31)), fc.integer({ min: -50, max: 50 }));
const exponent = fc.oneof(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));

describe("int32 pow wraps like C int32 arithmetic", () => {
  it("matches exact powers modulo 2^32, array exponents may be negative (1, ±1 or 0 as PyTorch)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(int32Value, exponent), { minLength: 1, maxLength: 8 }), (pairs) => {
        const a = array(pairs.map(([x]) => x), { dtype: "int32" });
        const b = array(pairs.map(([, y]) => y), { dtype: "int32" });
        const got = pow(a, b);
        expect(got.dtype).toBe("int32");
        expectValues(got, [pairs.length], pairs.map(([x, y]) => powInt32Ref(x, y)));
      }),
      propertyConfig(),
    );
  });

  it("non-negative JS-number exponents and JS-number bases (which wrap, as in PyTorch)", () => {
    fc.assert(
      fc.property(fc.array(int32Value, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 33), max: 2 ** 33 }), (xs, e, base) => {
        const a = array(xs, { dtype: "int32" });
        expectValues(pow(a, e), [xs.length], xs.map((x) => powInt32Ref(x, e)));
        const ys = xs.map((x) => Math.abs(x) % 40);
        expectValues(pow(base, array(ys, { dtype: "int32" })), [ys.length], ys.map((y) => powInt32Ref(base | 0, y)));
      }),
      propertyConfig(),
    );
  });

  it("gives PyTorch's numbers for torch.tensor([100000007], dtype=torch.int32) ** 2 and friends", () => {
    const x = array([100000007, -7, 3], { dtype: "int32" });
    expectValues(pow(x, 2), [3], [mulInt32Ref(100000007, 100000007), 49, 9]);
    expect(pow(x, 2).get(0)).toBe(-1020047823); // printed by PyTorch 1.13
    expectValues(pow(x, array([5, 31, 40], { dtype: "int32" })), [3], [powInt32Ref(100000007, 5), powInt32Ref(-7, 31), powInt32Ref(3, 40)]);
    // PyTorch: tensor([1,-1,-1,2,0,5,-3]) ** tensor([-1,-1,-2,-1,-1,-2,-3]) = [1, -1, 1, 0, 0, 0, 0]
    const bases = [1, -1, -1, 2, 0, 5, -3];
    const exps = [-1, -1, -2, -1, -1, -2, -3];
    expectValues(pow(array(bases, { dtype: "int32" }), array(exps, { dtype: "int32" })), [7], bases.map((v, i) => powInt32Ref(v, exps[i]!)));
    // A 0-d array exponent is an array too: no error.
    expectValues(pow(array([2, 1], { dtype: "int32" }), array(-1, { dtype: "int32" })), [2], [0, 1]);
  });

  it("a negative JS-number exponent throws, and one beyond int32 overflows, as in PyTorch", () => {
    const a = array([2, 3], { dtype: "int32" });
    expect(() => pow(a, -1)).toThrow(RangeError);
    expect(() => pow(a, -1)).toThrow(/^pow: integers to negative integer powers are not allowed/);
    expect(() => pow(array([true]), -2)).toThrow(/^pow: integers to negative integer powers/);
    expect(() => pow(a, 3e9)).toThrow(/^pow: value 3000000000 cannot be converted to int32 without overflow/);
    // A fractional exponent makes the result float32: allowed.
    expectValues(pow(a, -1.5), [2], [2, 3].map((x) => Math.fround(x ** -1.5)));
  });
});
