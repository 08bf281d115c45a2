/**
 * @file The elementwise driver: operand validation (every kernel names itself and the bad
 * argument), results computed in the result dtype and then stored into a wider `out` (as
 * PyTorch), and overlap detection in buffer coordinates across typed arrays of one buffer.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { array, zeros } from "../create.js";
import { castScalar, type DType } from "../dtype.js";
import { NDArray } from "../ndarray.js";
import { expectValues } from "../test-helpers.js";
import { broadcastableShapes, dtypes, LAYOUTS, ndarrays, shapes } from "../testing/arbitraries.js";
import { propertyConfig } from "../testing/config.js";
import { allIndices, at, broadcastIndex, logicalValues } from "../testing/reference.js";
import * as K from "./map.js";

const BINARY = {
  add: K.add, sub: K.sub, mul: K.mul, div: K.div, pow: K.pow, maximum: K.maximum, minimum: K.minimum,
  eq: K.eq, ne: K.ne, lt: K.lt, le: K.le, gt: K.gt, ge: K.ge,
  logicalAnd: K.logicalAnd, logicalOr: K.logicalOr, logicalXor: K.logicalXor,
} as const;

/** Values that are not an array, a number or a boolean, with how the message describes them. */
const BAD: readonly [unknown, string][] = [
  [undefined, "undefined"],
  [null, "null"],
  ["2", 'the string "2"'],
  [[1, 2], "an array"],
  [{ shape: [2] }, "an object \\(Object\\)"],
  [2n, "bigint"],
  [new Float32Array(2), "an object \\(Float32Array\\)"],
];

const never = (x: unknown) => x as never;

describe("operand validation", () => {
  it.each(Object.entries(BINARY))("%s rejects an operand that is not an array, a number or a boolean", (name, fn) => {
    const a = zeros([2]);
    for (const [bad, described] of BAD) {
      expect(() => fn(a, never(bad))).toThrow(TypeError);
      expect(() => fn(a, never(bad))).toThrow(new RegExp(`^${name}: operand 1 must be an array, a number or a boolean, got ${described}$`));
      expect(() => fn(never(bad), a)).toThrow(new RegExp(`^${name}: operand 0 must be an array, a number or a boolean, got ${described}$`));
    }
  });

  it("where, fill, clamp and maskedFill reject bad values naming the op and the argument", () => {
    const a = zeros([2]);
    const mask = array([true, false]);
    for (const [bad, described] of BAD) {
      const tail = `must be an array, a number or a boolean, got ${described}$`;
      expect(() => K.where(mask, never(bad), 1)).toThrow(new RegExp(`^where: operand 1 ${tail}`));
      expect(() => K.where(mask, a, never(bad))).toThrow(new RegExp(`^where: operand 2 ${tail}`));
      expect(() => K.fill(a, never(bad))).toThrow(new RegExp(`^fill: value ${tail}`));
      expect(() => K.maskedFill(a, mask, never(bad))).toThrow(new RegExp(`^maskedFill: value ${tail}`));
      if (bad !== undefined && bad !== null) {
        // undefined and null mean "no bound".
        expect(() => K.clamp(a, never(bad))).toThrow(new RegExp(`^clamp: min ${tail}`));
        expect(() => K.clamp(a, 0, never(bad))).toThrow(new RegExp(`^clamp: max ${tail}`));
      }
      for (const call of [() => K.where(mask, never(bad), 1), () => K.fill(a, never(bad)), () => K.clamp(a, 0, never(bad))]) {
        if (bad !== undefined && bad !== null) expect(call).toThrow(TypeError);
      }
    }
    expect(() => K.where(never([true]), 1, 0)).toThrow(/^where: condition must be an array, got an array$/);
    expect(() => K.maskedFill(never(undefined), mask, 0)).toThrow(/^maskedFill: input must be an array, got undefined$/);
    expect(() => K.clamp(never(2), 0, 1)).toThrow(/^clamp: input must be an array, got number$/);
    expect(() => K.exp(never(undefined))).toThrow(/^exp: input must be an array, got undefined$/);
  });

  it("fill and maskedFill take a 0-d array value (PyTorch) and reject one with dims", () => {
    const a = zeros([2], { dtype: "int32" });
    expectValues(K.fill(a, array(2.7, { dtype: "float64" })), [2], [2, 2]);
    expectValues(K.maskedFill(a, array([true, false]), array(-3.5)), [2], [-3, 2]);
    expect(() => K.fill(a, array([1]))).toThrow(/^fill: a value array must be 0-d, got 1 dim\(s\)/);
    expect(() => K.maskedFill(a, array([true, false]), array([1, 2]))).toThrow(/^maskedFill: a value array must be 0-d/);
  });
});

/** A dtype at least as wide (same or higher category) as `dtype`, as `out` may be. */
function widerOrSame(dtype: DType): fc.Arbitrary<DType> {
  const order: DType[] = ["bool", "int32", "float32", "float64"];
  const category = (d: DType) => (d === "float64" ? 2 : order.indexOf(d));
  return dtypes(order.filter((d) => category(d) >= category(dtype)));
}

describe("an `out` wider than the result dtype", () => {
  it("receives the result computed in the result dtype, then converted (add(f32, f32, out=f64))", () => {
    const arb = broadcastableShapes(2).chain(([sa, sb]) =>
      fc.tuple(
        ndarrays({ shape: sa!, dtype: dtypes(["int32", "float32"]), domain: { min: -3e9, max: 3e9 }, layouts: LAYOUTS }),
        ndarrays({ shape: sb!, dtype: dtypes(["int32", "float32"]), domain: { min: -3e9, max: 3e9 }, layouts: LAYOUTS }),
        fc.constantFrom("add", "mul", "sub", "eq", "lt", "div"),
      ).chain(([a, b, name]) => {
        const probe = BINARY[name as keyof typeof BINARY](a, b);
        return fc.tuple(fc.constant(a), fc.constant(b), fc.constant(name), widerOrSame(probe.dtype), fc.constant(probe));
      }),
    );
    fc.assert(
      fc.property(arb, ([a, b, name, outType, probe]) => {
        const out = zeros(probe.shape, { dtype: outType });
        const got = BINARY[name as keyof typeof BINARY](a, b, out);
        expect(got).toBe(out);
        // The reference: the result in its own dtype (float32/int32 arithmetic: each element
        // rounded or wrapped there), converted to the out dtype.
        const compute: DType = name === "div" || a.dtype === "float32" || b.dtype === "float32" ? "float32" : "int32";
        const want = allIndices(probe.shape).map((i) => {
          const x = castScalar(at(a, broadcastIndex(i, a.shape)), compute);
          const y = castScalar(at(b, broadcastIndex(i, b.shape)), compute);
          const ops: Record<string, (p: number, q: number) => number> = {
            add: (p, q) => p + q, sub: (p, q) => p - q, mul: (p, q) => p * q, div: (p, q) => p / q,
            eq: (p, q) => Number(p === q), lt: (p, q) => Number(p < q),
          };
          const exact = probe.dtype === "int32" && name === "mul" ? Number(BigInt.asIntN(32, BigInt(x) * BigInt(y))) : ops[name]!(x, y);
          return castScalar(castScalar(exact, probe.dtype), outType);
        });
        expectValues(out, probe.shape, want, { atol: 0, rtol: 0 });
      }),
      propertyConfig(),
    );
  });

  it("rounds float32 sums before widening, wraps int32 sums, like PyTorch", () => {
    const a = array([1.0000001, 16777216]);
    const b = array([1e-8, 1]);
    const out = zeros([2], { dtype: "float64" });
    K.add(a, b, out);
    expect(logicalValues(out)).toEqual([Math.fround(Math.fround(1.0000001) + Math.fround(1e-8)), 16777216]);
    K.add(array([2 ** 31 - 1], { dtype: "int32" }), array([1], { dtype: "int32" }), out.narrow(0, 0, 1));
    expect(out.get(0)).toBe(-(2 ** 31)); // PyTorch: tensor([-2.1475e+09], dtype=torch.float64)
    K.neg(array([-(2 ** 31)], { dtype: "int32" }), out.narrow(0, 1, 1));
    expect(out.get(1)).toBe(-(2 ** 31));
    const f = zeros([2]);
    K.eq(array([1, 2]), 1, f);
    expect(logicalValues(f)).toEqual([1, 0]);
  });
});

describe("overlap detection in buffer coordinates", () => {
  it("sees overlap between arrays over different subarrays of one buffer", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 14 }), (n, shift) => {
        const buffer = new Float64Array(32);
        const out = NDArray.fromStorage(buffer.subarray(4, 4 + n), [n]);
        // Offset 0 in its own subarray, `shift` elements after the output in the buffer.
        const input = NDArray.fromStorage(buffer.subarray(4 + shift, 4 + shift + n), [n]);
        input.data.fill(5);
        const call = () => K.add(input, 1, out);
        if (shift > 0 && shift < n) {
          expect(call).toThrow(/^add: an input partially overlaps the output in memory/);
          return;
        }
        call(); // the same elements (in-place, as PyTorch allows) or disjoint bytes
        expect(logicalValues(out)).toEqual(new Array(n).fill(6));
      }),
      propertyConfig(),
    );
  });

  it("compares byte ranges across element sizes and byte offsets", () => {
    const buffer = new ArrayBuffer(64);
    const out = NDArray.fromStorage(new Float64Array(buffer, 16, 4), [4]); // bytes 16..47
    const int32Over = NDArray.fromStorage(new Int32Array(buffer, 16, 4), [4]); // bytes 16..31
    const int32Far = NDArray.fromStorage(Int32Array.of(0, 0, 0, 0), [4]);
    const int32After = NDArray.fromStorage(new Int32Array(buffer, 48, 4), [4]); // bytes 48..63
    int32After.set([2], 7);
    // Element offsets are 0 in all three, yet only the last pair shares no byte.
    expect(() => K.add(int32Over, 1, out)).toThrow(/^add: an input partially overlaps the output in memory/);
    K.add(int32After, 1, out);
    expect(logicalValues(out)).toEqual([1, 1, 8, 1]);
    K.add(int32Far, 1, out);
    const same = NDArray.fromStorage(new Float64Array(buffer, 16, 4), [4]); // another typed array, same bytes
    K.add(same, 1, out);
    expect(logicalValues(out)).toEqual([2, 2, 2, 2]);
    const shifted = NDArray.fromStorage(new Float64Array(buffer, 8, 4), [4]); // bytes 8..39
    expect(() => K.add(shifted, 1, out)).toThrow(/^add: an input partially overlaps/);
    expect(() => K.copy(out, shifted)).toThrow(/^copy: an input partially overlaps/);
  });

  it("sharesStorage is true exactly when the storages' byte ranges intersect", () => {
    fc.assert(
      fc.property(shapes({ minDims: 1, maxDims: 1, maxSize: 8 }), fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 8 }), ([n], i, j, m) => {
        const buffer = new ArrayBuffer(128);
        const x = new Float32Array(buffer, i * 4, n);
        const y = new Int32Array(buffer, j * 4, m);
        const a = NDArray.fromStorage(x, [n!]);
        const b = NDArray.fromStorage(y, [m]);
        const intersect = i < j + m && j < i + n!;
        expect(a.sharesStorage(b)).toBe(intersect);
        expect(b.sharesStorage(a)).toBe(intersect);
        expect(a.sharesStorage(a.slice(0, 1))).toBe(true);
        expect(a.sharesStorage(NDArray.fromStorage(new Float32Array(n!), [n!]))).toBe(false);
      }),
      propertyConfig(),
    );
  });
});

it("copy writes logical values through any layout (a smoke test of the driver's strided path)", () => {
  fc.assert(
    fc.property(ndarrays({ dtype: dtypes(), layouts: LAYOUTS }), (src) => {
      const out = zeros(src.shape, { dtype: "float64" });
      K.copy(out, src);
      expectValues(out, src.shape, logicalValues(src));
    }),
    propertyConfig(),
  );
});
