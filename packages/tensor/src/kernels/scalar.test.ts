/**
 * @file Tests of kernels/scalar.ts: erf against an independent always-positive series (no
 * cancellation) over [-6, 6] and at fdlibm's region boundaries, exact and tanh GELU against
 * their formulas, and sigmoid's range, overflow safety and symmetry.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { propertyConfig } from "../testing/config.js";
import { erf, gelu, geluTanh, sigmoid } from "./scalar.js";

const EPS = Number.EPSILON;

/** x * x as an unevaluated sum hi + lo, exactly (Dekker's product with Veltkamp's split). */
function exactSquare(x: number): [number, number] {
  const c = 134217729 * x; // 2^27 + 1
  const xh = c - (c - x);
  const xl = x - xh;
  const hi = x * x;
  const lo = xh * xh - hi + 2 * xh * xl + xl * xl;
  return [hi, lo];
}

/**
 * erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)). Every term has the
 * sign of x, so the sum has no cancellation; it runs until a term no longer changes it. x^2 is
 * split exactly so that exp(-x^2) keeps full precision near |x| = 6.
 */
function seriesErf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return Math.sign(x);
  const twoX2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; ; n++) {
    term *= twoX2 / (2 * n + 1);
    const next = sum + term;
    if (next === sum) break;
    sum = next;
  }
  const [hi, lo] = exactSquare(x);
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-hi) * (1 - lo) * sum;
}

function expectClose(got: number, want: number, tol: number, what: string): void {
  if (!(Math.abs(got - want) <= tol)) expect.fail(`${what}: got ${got}, want ${want} (|diff| ${Math.abs(got - want)}, tol ${tol})`);
}

const REL = 1e-14;

/**
 * Doubles in [min, max]: fc.double (dense near 0 and at the ends, where special cases live)
 * mixed with an evenly spread grid of 2^30 points (the bulk of the interval).
 */
function doubles(min: number, max: number): fc.Arbitrary<number> {
  const spread = fc.integer({ min: 0, max: 2 ** 30 }).map((k) => min + (max - min) * (k / 2 ** 30));
  return fc.oneof(fc.double({ min, max, noNaN: true }), spread);
}

describe("erf", () => {
  it("matches the series to ~1e-14 relative on [-6, 6]", () => {
    fc.assert(
      fc.property(doubles(-6, 6), (x) => {
        const want = seriesErf(x);
        expectClose(erf(x), want, REL * Math.abs(want), `erf(${x})`);
      }),
      propertyConfig(),
    );
  });

  it("matches the series on a dense grid through every region", () => {
    for (let i = 0; i <= 12_000; i++) {
      const x = -6 + i / 1000;
      const want = seriesErf(x);
      expectClose(erf(x), want, REL * Math.abs(want), `erf(${x})`);
    }
  });

  const boundaries = [0.84375, 1.25, 1 / 0.35, 6, 3.7252902984e-9];
  const special = [1e-10, -1e-10, 1e-300, 5e-324, 0.5, 1, 2, 3, 4, 5, 5.9, 5.999999];
  const around = boundaries.flatMap((b) => [b, b * (1 - EPS), b * (1 + EPS), b * (1 - 1e-9), b * (1 + 1e-9)]);

  it.each([...around, ...special].flatMap((x) => [x, -x]))("erf(%s) matches the series", (x) => {
    const want = seriesErf(x);
    expectClose(erf(x), want, REL * Math.abs(want), `erf(${x})`);
  });

  it("is 2x/sqrt(pi) to double precision for tiny x", () => {
    for (const x of [1e-10, 1e-20, 1e-300]) expectClose(erf(x), (2 / Math.sqrt(Math.PI)) * x, 2 * EPS * x, `erf(${x})`);
  });

  it("keeps the sign of zero, saturates at ±1 and passes NaN", () => {
    expect(Object.is(erf(0), 0)).toBe(true);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(6)).toBe(1);
    expect(erf(1e300)).toBe(1);
    expect(erf(-1e300)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
  });

  it("is odd and bounded by 1 in magnitude", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (x) => {
        expect(Object.is(erf(-x), -erf(x))).toBe(true);
        expect(Math.abs(erf(x))).toBeLessThanOrEqual(1);
      }),
      propertyConfig(),
    );
  });

  it("is non-decreasing", () => {
    fc.assert(
      fc.property(doubles(-7, 7), doubles(-7, 7), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(erf(lo)).toBeLessThanOrEqual(erf(hi));
      }),
      propertyConfig(),
    );
  });
});

describe("gelu", () => {
  /** 0.5 * x * (1 + erf(x / sqrt 2)) with the series erf. */
  const refGelu = (x: number) => 0.5 * x * (1 + seriesErf(x / Math.SQRT2));

  it("is x * Phi(x), against the series erf", () => {
    fc.assert(
      fc.property(doubles(-8, 8), (x) => {
        // 1 + erf cancels for negative x in both: bound the error by the size of the terms.
        const tol = REL * 0.5 * Math.abs(x) * (1 + Math.abs(seriesErf(x / Math.SQRT2)));
        expectClose(gelu(x), refGelu(x), tol, `gelu(${x})`);
      }),
      propertyConfig(),
    );
  });

  it("is the identity for large x and 0 for very negative x, finite everywhere", () => {
    expect(gelu(0)).toBe(0);
    expect(gelu(20)).toBe(20);
    expect(gelu(-20)).toBe(-0);
    expect(gelu(1e300)).toBe(1e300);
    expect(gelu(-1e300)).toBe(-0);
    expect(gelu(NaN)).toBeNaN();
    fc.assert(
      fc.property(doubles(-1e300, 1e300), (x) => {
        expect(Number.isFinite(gelu(x))).toBe(true);
      }),
      propertyConfig(),
    );
  });
});

describe("geluTanh", () => {
  /** x/2 (1 + tanh(u)) rewritten as x * sigmoid(2u) = x / (1 + exp(-2u)): another code path. */
  const refGeluTanh = (x: number) => x / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

  it("matches its formula", () => {
    fc.assert(
      fc.property(doubles(-10, 10), (x) => {
        // 1 + tanh(u) cancels for negative x: allow a few ulps of |x| besides the relative error.
        expectClose(geluTanh(x), refGeluTanh(x), 1e-14 * Math.abs(refGeluTanh(x)) + 4 * EPS * Math.abs(x), `geluTanh(${x})`);
      }),
      propertyConfig(),
    );
  });

  it("stays within 1e-3 of the exact gelu", () => {
    for (let i = 0; i <= 2000; i++) {
      const x = -10 + i / 100;
      expectClose(geluTanh(x), gelu(x), 1e-3, `geluTanh(${x}) vs gelu`);
    }
  });

  it("is finite for large inputs", () => {
    expect(geluTanh(0)).toBe(0);
    expect(geluTanh(1e100)).toBe(1e100);
    expect(geluTanh(-1e100)).toBe(-0);
  });
});

describe("sigmoid", () => {
  const big = doubles(-1e4, 1e4);

  it("is finite and in [0, 1] for |x| up to 1e4", () => {
    fc.assert(
      fc.property(big, (x) => {
        const y = sigmoid(x);
        expect(Number.isFinite(y)).toBe(true);
        expect(y >= 0 && y <= 1).toBe(true);
      }),
      propertyConfig(),
    );
    for (const x of [-1e4, -746, -745, -710, 0, 710, 1e4]) {
      const y = sigmoid(x);
      expect(Number.isFinite(y) && y >= 0 && y <= 1, `sigmoid(${x}) = ${y}`).toBe(true);
    }
  });

  it("equals 1 / (1 + exp(-x)) where exp(-x) does not overflow", () => {
    fc.assert(
      fc.property(doubles(-700, 1e4), (x) => {
        const want = 1 / (1 + Math.exp(-x));
        expectClose(sigmoid(x), want, 4 * EPS * want, `sigmoid(${x})`);
      }),
      propertyConfig(),
    );
  });

  it("equals exp(x) exactly for x < -40 (1 + exp(x) rounds to 1), subnormal results included", () => {
    fc.assert(
      fc.property(doubles(-745, -40), (x) => {
        expect(sigmoid(x)).toBe(Math.exp(x));
      }),
      propertyConfig(),
    );
    expect(sigmoid(-740)).toBe(Math.exp(-740));
    expect(sigmoid(-740)).toBeGreaterThan(0);
  });

  it("satisfies sigmoid(-x) = 1 - sigmoid(x)", () => {
    fc.assert(
      fc.property(big, (x) => {
        expectClose(sigmoid(-x), 1 - sigmoid(x), 2 * EPS, `sigmoid(${-x})`);
      }),
      propertyConfig(),
    );
  });

  it("has the limits 0, 1/2 and 1, and passes NaN", () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(Infinity)).toBe(1);
    expect(sigmoid(-Infinity)).toBe(0);
    expect(sigmoid(-800)).toBeGreaterThanOrEqual(0);
    expect(sigmoid(NaN)).toBeNaN();
  });
});
