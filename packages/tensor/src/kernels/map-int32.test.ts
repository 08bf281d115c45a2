/**
 * @file int32 semantics of the elementwise kernels: products wrap like C int32 arithmetic
 * (against exact BigInt products modulo 2^32); a user scalar stored into int32 (a fill value,
 * a clamp/maximum bound, a `where` scalar, an element written with `set`) must fit, as PyTorch
 * checks, while arithmetic and comparisons with a scalar operand wrap it, as PyTorch does.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { array, zeros } from "../create.js";
import { castScalar } from "../dtype.js";
import { broadcastShapes } from "../layout.js";
import type { NDArray } from "../ndarray.js";
import { expectValues } from "../test-helpers.js";
import { broadcastableShapes, LAYOUTS, ndarrays } from "../testing/arbitraries.js";
import { propertyConfig } from "../testing/config.js";
import { allIndices, at, broadcastIndex, logicalValues } from "../testing/reference.js";
import * as K from "./map.js";
import { mulInt32Ref } from "./map-test-helpers.js";

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const int32Arrays = (shape: number[]) => ndarrays({ shape, dtype: "int32", domain: INT32, layouts: LAYOUTS });

/** Numbers around and beyond int32's range, non-finite and fractional ones included. */
const edgeNumber = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), -(2 ** 31) - 1, 2 ** 31 - 0.5, -(2 ** 31) - 0.5, 3e9, -3e9, 2 ** 53, 2.7, -2.7),
  fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
  fc.double({ min: -(2 ** 32), max: 2 ** 32, noNaN: true }),
);

const fits = (v: number) => v >= -(2 ** 31) && v <= 2 ** 31 - 1;

function overflow(op: string, v: number): RegExp {
  return new RegExp(`^${op}: value ${String(v).replace(/[.+]/g, "\\$&")} cannot be converted to int32 without overflow$`);
}

describe("int32 products wrap like C", () => {
  it("mul of broadcast int32 arrays equals the exact product modulo 2^32", () => {
    fc.assert(
      fc.property(broadcastableShapes(2).chain(([sa, sb]) => fc.tuple(int32Arrays(sa!), int32Arrays(sb!))), ([a, b]) => {
        const shape = broadcastShapes([a.shape, b.shape], "t");
        const got = K.mul(a, b);
        expect(got.dtype).toBe("int32");
        const want = allIndices(shape).map((i) => mulInt32Ref(at(a, broadcastIndex(i, a.shape)), at(b, broadcastIndex(i, b.shape))));
        expectValues(got, shape, want);
      }),
      propertyConfig(),
    );
  });

  it("square of int32 (and bool, which gives int32) equals x * x modulo 2^32", () => {
    fc.assert(
      fc.property(ndarrays({ dtype: fc.constantFrom("int32" as const, "bool" as const), domain: INT32, layouts: LAYOUTS }), (a) => {
        const got = K.square(a);
        expect(got.dtype).toBe("int32");
        expectValues(got, a.shape, logicalValues(a).map((x) => mulInt32Ref(x, x)));
      }),
      propertyConfig(),
    );
    // PyTorch: torch.square(torch.tensor([100000007, 46341, -46341], dtype=torch.int32))
    expect(logicalValues(K.square(array([100000007, 46341, -46341], { dtype: "int32" })))).toEqual([-1020047823, -2147479015, -2147479015]);
  });

  it("a JS-number operand of add, sub, mul and the comparisons wraps to int32, as PyTorch's scalar arithmetic", () => {
    fc.assert(
      fc.property(int32Arrays([3]), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (a, s) => {
        const w = Number(BigInt.asIntN(32, BigInt(s)));
        const xs = logicalValues(a);
        expectValues(K.add(a, s), [3], xs.map((x) => castScalar(x + w, "int32")));
        expectValues(K.sub(a, s), [3], xs.map((x) => castScalar(x - w, "int32")));
        expectValues(K.mul(a, s), [3], xs.map((x) => mulInt32Ref(x, w)));
        expectValues(K.eq(a, s), [3], xs.map((x) => Number(x === w)));
        expectValues(K.lt(a, s), [3], xs.map((x) => Number(x < w)));
      }),
      propertyConfig(),
    );
    // PyTorch: torch.tensor([1, 2, 3], dtype=torch.int32) * 3000000000
    expect(logicalValues(K.mul(array([1, 2, 3], { dtype: "int32" }), 3e9))).toEqual([-1294967296, 1705032704, 410065408]);
  });
});

describe("scalars stored into int32 must fit", () => {
  const a = array([1, -2, 3], { dtype: "int32" });
  const mask = array([true, false, true]);

  it("fill, maskedFill and set store any value that fits (truncated) and reject the rest", () => {
    fc.assert(
      fc.property(edgeNumber, (v) => {
        const out = zeros([3], { dtype: "int32" });
        if (!fits(v)) {
          expect(() => K.fill(out, v)).toThrow(RangeError);
          expect(() => K.fill(out, v)).toThrow(overflow("fill", v));
          expect(() => K.maskedFill(a, mask, v)).toThrow(overflow("maskedFill", v));
          expect(() => K.fill(out, array(v, { dtype: "float64" }))).toThrow(overflow("fill", v));
          expect(() => out.set([1], v)).toThrow(overflow("set", v));
          expect(logicalValues(out)).toEqual([0, 0, 0]); // nothing written
          return;
        }
        const t = Math.trunc(v);
        expectValues(K.fill(out, v), [3], [t, t, t]);
        expectValues(K.maskedFill(a, mask, v), [3], [t, -2, t]);
        out.set([1], v / 2);
        expect(out.get(1)).toBe(Math.trunc(v / 2) + 0);
      }),
      propertyConfig(),
    );
  });

  it("clamp, maximum, minimum and where reject an integral JS number beyond int32 (a fraction makes the result float)", () => {
    fc.assert(
      fc.property(edgeNumber, (v) => {
        const calls: [string, () => NDArray][] = [
          ["clamp", () => K.clamp(a, v)],
          ["clamp", () => K.clamp(a, null, v)],
          ["clamp", () => K.clamp(a, v, v)],
          ["clamp", () => K.clamp(a, 0, v)],
          ["maximum", () => K.maximum(a, v)],
          ["minimum", () => K.minimum(v, a)],
          ["where", () => K.where(mask, a, v)],
          ["where", () => K.where(mask, v, a)],
        ];
        for (const [op, call] of calls) {
          if (Number.isInteger(v) && !fits(v)) {
            expect(call, op).toThrow(overflow(op, v));
            continue;
          }
          const got = call();
          expect(got.dtype).toBe(Number.isInteger(v) ? "int32" : "float32");
        }
        if (Number.isInteger(v) && fits(v)) {
          expectValues(K.clamp(a, v), [3], logicalValues(a).map((x) => Math.max(x, v)));
          expectValues(K.where(mask, a, v), [3], [1, v, 3]);
        }
      }),
      propertyConfig(),
    );
    // PyTorch: torch.clamp(torch.tensor([1, 2, 3], dtype=torch.int32), min=float("inf")) is float.
    expectValues(K.clamp(a, Infinity), [3], [Infinity, Infinity, Infinity]);
    expect(K.clamp(a, NaN).dtype).toBe("float32");
  });

  it("bounds given as arrays are cast (they wrap), as PyTorch casts tensor bounds", () => {
    const bound = array(3e9, { dtype: "float64" }).astype("int32");
    expectValues(K.clamp(a, bound), [3], logicalValues(a).map((x) => Math.max(x, castScalar(3e9, "int32"))));
  });
});
