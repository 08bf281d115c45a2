/**
 * @file Tests of create.ts: `array` from nested lists and typed arrays (shape and dtype
 * inference, copies, named errors, int32 range checks), constant fills and their `*Like`
 * variants, `empty`, and dtype support of every creation function (ranges: create-range.test.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  arange,
  array,
  empty,
  eye,
  fromFlat,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  zeros,
  zerosLike,
} from "./create.js";
import { DTYPES, castScalar, type DType } from "./dtype.js";
import { contiguousStrides, numel } from "./layout.js";
import type { NDArray, NestedList } from "./ndarray.js";
import { expectValues } from "./test-helpers.js";
import { dtypes, LAYOUTS, ndarrays, shapes } from "./testing/arbitraries.js";
import { propertyConfig } from "./testing/config.js";
import { logicalValues } from "./testing/reference.js";

const EXACT = { atol: 0, rtol: 0 };

/** Nests row-major `flat` values into lists of `shape` (a bare value for a 0-d shape). */
function nest<T>(flat: readonly T[], shape: readonly number[]): T | T[] | unknown[] {
  if (shape.length === 0) return flat[0]!;
  const [size, ...rest] = shape as [number, ...number[]];
  const step = numel(rest);
  return Array.from({ length: size }, (_, i) => nest(flat.slice(i * step, (i + 1) * step), rest));
}

function expectContiguous(a: NDArray): void {
  expect(a.offset).toBe(0);
  expect(a.strides).toEqual(contiguousStrides(a.shape));
  expect(a.data.length).toBe(numel(a.shape));
}

const finiteDouble = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });

/** Values around and beyond int32's range, non-finite ones included. */
const edgeNumber = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), -(2 ** 31) - 1, 2 ** 31 - 0.5, -(2 ** 31) - 0.5, 3e9, -3e9, 2 ** 53),
  fc.double({ min: -(2 ** 32), max: 2 ** 32, noNaN: true }),
);

/** The first number int32 cannot hold before truncation (PyTorch's checked conversion), if any. */
function firstOverflow(values: readonly (number | boolean)[]): number | undefined {
  return values.find((v): v is number => typeof v === "number" && !(v >= -2147483648 && v <= 2147483647));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The message of PyTorch's overflow check, with typegrad's op name. */
function overflowMessage(op: string, value: number): RegExp {
  return new RegExp(`^${op}: value ${escapeRegExp(String(value))} cannot be converted to int32 without overflow$`);
}

describe("array from nested lists", () => {
  it("infers the shape; numbers give float32 rounded like Math.fround", () => {
    fc.assert(
      fc.property(
        shapes().chain((shape) => fc.tuple(fc.constant(shape), fc.array(finiteDouble, { minLength: numel(shape), maxLength: numel(shape) }))),
        ([shape, flat]) => {
          const a = array(nest(flat, shape) as NestedList);
          expect(a.dtype).toBe("float32");
          expectContiguous(a);
          expectValues(a, shape, flat.map(Math.fround), EXACT);
        },
      ),
      propertyConfig(),
    );
  });

  it("round-trips through tolist in float64", () => {
    fc.assert(
      fc.property(
        shapes({ minDims: 1 }).chain((shape) => fc.array(finiteDouble, { minLength: numel(shape), maxLength: numel(shape) }).map((flat) => nest(flat, shape))),
        (nested) => {
          expect(array(nested as NestedList[], { dtype: "float64" }).tolist()).toEqual(nested);
        },
      ),
      propertyConfig(),
    );
  });

  it("booleans give bool; a mix of booleans and numbers gives float32", () => {
    const b = array([[true, false], [false, true]]);
    expect(b.dtype).toBe("bool");
    expectValues(b, [2, 2], [1, 0, 0, 1]);
    expect(b.tolist()).toEqual([[true, false], [false, true]]);
    const m = array([true, 2.5]);
    expect(m.dtype).toBe("float32");
    expectValues(m, [2], [1, 2.5]);
  });

  it("the dtype option converts every element with castScalar; int32 rejects values it cannot hold", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(finiteDouble, fc.boolean(), fc.constant(NaN), edgeNumber), { minLength: 1, maxLength: 12 }), dtypes(), (flat, dtype) => {
        const bad = dtype === "int32" ? firstOverflow(flat) : undefined;
        if (bad !== undefined) {
          expect(() => array(flat, { dtype })).toThrow(overflowMessage("array", bad));
          return;
        }
        const a = array(flat, { dtype });
        expect(a.dtype).toBe(dtype);
        expectValues(a, [flat.length], flat.map((v) => castScalar(v, dtype)), EXACT);
      }),
      propertyConfig(),
    );
    // torch.tensor([3000000000], dtype=torch.int32) and tensor([nan], dtype=int32) raise.
    expect(() => array([1, 3e9], { dtype: "int32" })).toThrow(/^array: value 3000000000 cannot be converted to int32 without overflow$/);
    expect(() => array([[NaN]], { dtype: "int32" })).toThrow(/^array: value NaN cannot be converted to int32/);
    expect(() => array([2 ** 31 - 0.5], { dtype: "int32" })).toThrow(RangeError);
    expectValues(array([1.7, -1.7, 0.5], { dtype: "int32" }), [3], [1, -1, 0]);
    expectValues(array([0, -0, 2, NaN], { dtype: "bool" }), [4], [0, 0, 1, 1]);
  });

  it("a number or boolean gives a 0-d array", () => {
    const a = array(3.5);
    expect([a.shape, a.dtype, a.item()]).toEqual([[], "float32", 3.5]);
    const b = array(true);
    expect([b.shape, b.dtype, b.item()]).toEqual([[], "bool", true]);
    expect(array(7, { dtype: "int32" }).item()).toBe(7);
  });

  it("empty lists give float32 arrays with a zero size", () => {
    const a = array([]);
    expect([a.shape, a.dtype, a.size]).toEqual([[0], "float32", 0]);
    const b = array([[], []]);
    expect([b.shape, b.dtype]).toEqual([[2, 0], "float32"]);
    expect(array([], { dtype: "int32" }).dtype).toBe("int32");
  });

  it("the shape option reshapes data with the same element count", () => {
    expectValues(array([1, 2, 3, 4, 5, 6], { shape: [2, 3] }), [2, 3], [1, 2, 3, 4, 5, 6]);
    expectValues(array([[1, 2], [3, 4]], { shape: [4] }), [4], [1, 2, 3, 4]);
    expectValues(array(5, { shape: [1, 1] }), [1, 1], [5]);
  });

  it("does not alias the input lists", () => {
    const data = [[1, 2], [3, 4]];
    const a = array(data);
    data[0]![0] = 100;
    expectValues(a, [2, 2], [1, 2, 3, 4]);
  });
});

describe("array from typed arrays", () => {
  const cases: [DType, () => Float32Array | Float64Array | Int32Array | Uint8Array][] = [
    ["float32", () => Float32Array.of(1.5, -2, 3, 4, 5, 6)],
    ["float64", () => Float64Array.of(0.1, -2, 3, 4, 5, 6)],
    ["int32", () => Int32Array.of(-7, 2, 3, 4, 5, 2 ** 31 - 1)],
    ["bool", () => Uint8Array.of(0, 1, 1, 0, 1, 0)],
  ];

  it.each(cases)("keeps the dtype of a %s storage, with or without a shape", (dtype, make) => {
    const data = make();
    const a = array(data);
    expect(a.dtype).toBe(dtype);
    expectValues(a, [6], Array.from(data), EXACT);
    const b = array(make(), { shape: [3, 1, 2] });
    expect(b.dtype).toBe(dtype);
    expectContiguous(b);
    expectValues(b, [3, 1, 2], Array.from(data), EXACT);
  });

  it.each(cases)("copies a %s storage rather than sharing it", (_, make) => {
    const data = make();
    const before = Array.from(data);
    const a = array(data);
    expect(a.data.buffer).not.toBe(data.buffer);
    data[0] = 1 - data[0]!;
    expectValues(a, [6], before, EXACT);
  });

  it("converts with the dtype option like castScalar", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(finiteDouble, fc.constant(NaN)), { maxLength: 12 }), dtypes(), (flat, dtype) => {
        const a = array(Float64Array.from(flat), { dtype });
        expect(a.dtype).toBe(dtype);
        expectValues(a, [flat.length], flat.map((v) => castScalar(v, dtype)), EXACT);
      }),
      propertyConfig(),
    );
  });

  it("normalizes a Uint8Array read as bool to 0/1", () => {
    expectValues(array(Uint8Array.of(0, 2, 255)), [3], [0, 1, 1]);
  });

  it("rejects other typed arrays and a shape of the wrong size", () => {
    expect(() => array(Int16Array.of(1, 2) as unknown as Int32Array)).toThrow(/array: data must be a Float32Array/);
    expect(() => array(Float32Array.of(1, 2, 3), { shape: [2, 2] })).toThrow(/array: shape \[2,2\] needs 4 elements, the data has 3/);
    expect(() => array(Float32Array.of(1, 2), { shape: [-2] })).toThrow(/array: invalid shape \[-2\]/);
  });
});

describe("array errors", () => {
  it("names the position of a ragged nesting", () => {
    expect(() => array([[1, 2], [3]])).toThrow(/array: ragged nested array: expected 2 elements at \[1\], got 1 elements/);
    expect(() => array([[[1], [2]], [[3], [4, 5]]])).toThrow(/array: ragged.*expected 1 elements at \[1,1\], got 2/);
    expect(() => array([[1, 2], 3] as NestedList[])).toThrow(/array: ragged.*at \[1\], got number/);
    expect(() => array([[], [1]])).toThrow(/array: ragged.*expected 0 elements at \[1\], got 1/);
  });

  it("names the position and kind of a non-number element", () => {
    expect(() => array([1, "a"] as unknown as NestedList[])).toThrow(/array: element at \[1\] is the string "a", expected a number or boolean/);
    expect(() => array([[1, null]] as unknown as NestedList[])).toThrow(/array: element at \[0,1\] is null/);
    expect(() => array([[1], [undefined]] as unknown as NestedList[])).toThrow(/array: element at \[1,0\] is undefined/);
    expect(() => array([[1], [[2]]] as unknown as NestedList[])).toThrow(/array: element at \[1,0\] is an array/);
  });

  it("rejects a shape option that does not match the data", () => {
    expect(() => array([1, 2, 3], { shape: [2, 2] })).toThrow(/array: shape \[2,2\] does not match the data's shape \[3\]/);
  });

  it("rejects an unknown dtype", () => {
    expect(() => array([1], { dtype: "int64" as DType })).toThrow(/array: unknown dtype "int64"/);
  });
});

describe("full, zeros, ones and their *Like variants", () => {
  it("zeros and ones fill any shape with float32 by default", () => {
    fc.assert(
      fc.property(shapes({ minSize: 0 }), (shape) => {
        for (const [make, v] of [[zeros, 0], [ones, 1]] as const) {
          const a = make(shape);
          expect(a.dtype).toBe("float32");
          expectContiguous(a);
          expectValues(a, shape, new Array<number>(numel(shape)).fill(v), EXACT);
        }
      }),
      propertyConfig(),
    );
  });

  it("full honours the dtype option and casts the value; int32 rejects values it cannot hold", () => {
    fc.assert(
      fc.property(shapes(), dtypes(), fc.oneof(finiteDouble, fc.boolean(), edgeNumber), (shape, dtype, value) => {
        const bad = dtype === "int32" ? firstOverflow([value]) : undefined;
        if (bad !== undefined) {
          expect(() => full(shape, value, { dtype })).toThrow(overflowMessage("full", bad));
          expect(() => fullLike(zeros(shape, { dtype }), value)).toThrow(overflowMessage("full", bad));
          return;
        }
        const a = full(shape, value, { dtype });
        expect(a.dtype).toBe(dtype);
        expectContiguous(a);
        expectValues(a, shape, new Array<number>(numel(shape)).fill(castScalar(value, dtype)), EXACT);
      }),
      propertyConfig(),
    );
  });

  it("a boolean fill value gives bool, a number float32", () => {
    const t = full([2, 2], true);
    expect(t.dtype).toBe("bool");
    expectValues(t, [2, 2], [1, 1, 1, 1]);
    expect(full([1], false).dtype).toBe("bool");
    const f = full([3], 2.5);
    expect(f.dtype).toBe("float32");
    expectValues(f, [3], [2.5, 2.5, 2.5]);
    expectValues(full([2], NaN), [2], [NaN, NaN]);
    expectValues(ones([2], { dtype: "int32" }), [2], [1, 1]);
    expect(zeros([2], { dtype: "float64" }).dtype).toBe("float64");
  });

  it("full keeps the sign of a -0 fill value, like torch.full((2,), -0.0)", () => {
    const a = full([2], -0);
    expect(Object.is(a.data[0], -0) && Object.is(a.data[1], -0)).toBe(true);
  });

  it("*Like take the shape and dtype of the source, whatever its layout", () => {
    fc.assert(
      fc.property(ndarrays({ dtype: dtypes(), layouts: LAYOUTS }), fc.oneof(finiteDouble, fc.boolean()), (like, value) => {
        const cases: [NDArray, number][] = [
          [zerosLike(like), 0],
          [onesLike(like), 1],
          [fullLike(like, value), castScalar(value, like.dtype)],
        ];
        for (const [a, v] of cases) {
          expect(a.dtype).toBe(like.dtype);
          expectContiguous(a);
          expect(a.sharesStorage(like)).toBe(false);
          expectValues(a, [...like.shape], new Array<number>(like.size).fill(v), EXACT);
        }
      }),
      propertyConfig(),
    );
  });

  it("*Like accept a dtype override", () => {
    const like = array([[1, 2, 3]], { dtype: "int32" });
    const a = onesLike(like, { dtype: "float64" });
    expect(a.dtype).toBe("float64");
    expectValues(a, [1, 3], [1, 1, 1]);
    expect(zerosLike(like, { dtype: "bool" }).dtype).toBe("bool");
    expectValues(fullLike(like, 2.5, { dtype: "float32" }), [1, 3], [2.5, 2.5, 2.5]);
  });

  it("empty validates its shape and dtype, naming empty", () => {
    expect(() => empty([2, -1])).toThrow(RangeError);
    expect(() => empty([2, -1])).toThrow(/^empty: invalid shape \[2,-1\]/);
    expect(() => empty([1.5])).toThrow(/^empty: invalid shape \[1\.5\]/);
    expect(() => empty(3 as unknown as number[])).toThrow(TypeError);
    expect(() => empty(3 as unknown as number[])).toThrow(/^empty: shape must be an array/);
    expect(() => empty([2], "int64" as DType)).toThrow(TypeError);
    expect(() => empty([2], "int64" as DType)).toThrow(/^empty: unknown dtype "int64"/);
    const shape = [2, 3];
    const e = empty(shape, "int32");
    shape[0] = 5;
    expect(e.shape).toEqual([2, 3]); // the shape is copied
  });

  it("empty and fromFlat give contiguous arrays", () => {
    const e = empty([2, 3]);
    expect(e.dtype).toBe("float32");
    expectContiguous(e);
    const data = Int32Array.of(1, 2, 3, 4);
    const f = fromFlat(data, [2, 2], "int32");
    expect(f.data).toBe(data);
    expectValues(f, [2, 2], [1, 2, 3, 4]);
  });

  it("rejects bad shapes and fill values with the op name", () => {
    expect(() => zeros([2, -1])).toThrow(/full: invalid shape \[2,-1\]/);
    expect(() => full([2.5], 1)).toThrow(/full: invalid shape \[2\.5\]/);
    expect(() => full([2], "x" as unknown as number)).toThrow(/full: fill value must be a number or boolean, got the string "x"/);
    expect(() => full([2], null as unknown as number)).toThrow(/full: fill value.*got null/);
    expect(() => ones([2], { dtype: "uint8" as DType })).toThrow(/full: unknown dtype "uint8"/);
  });
});

describe("dtypes", () => {
  it.each(DTYPES)("every creation function accepts dtype %s (arange and linspace: not bool, as PyTorch)", (dtype) => {
    const made = [array([1, 0], { dtype }), zeros([2], { dtype }), ones([2], { dtype }), full([2], 1, { dtype }), eye(2, 2, { dtype }), empty([2], dtype)];
    if (dtype !== "bool") made.push(arange(0, 2, 1, { dtype }), linspace(0, 1, 2, { dtype }));
    for (const a of made) {
      expect(a.dtype).toBe(dtype);
      expect(logicalValues(a).every((v) => Number.isFinite(v))).toBe(true);
    }
  });

  it("arange and linspace reject bool (PyTorch: not implemented for 'Bool')", () => {
    expect(() => arange(0, 2, 1, { dtype: "bool" })).toThrow(TypeError);
    expect(() => arange(0, 2, 1, { dtype: "bool" })).toThrow(/^arange: not implemented for bool/);
    expect(() => linspace(0, 1, 3, { dtype: "bool" })).toThrow(/^linspace: not implemented for bool/);
  });
});
