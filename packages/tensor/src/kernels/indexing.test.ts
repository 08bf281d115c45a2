/**
 * @file gather, scatterAdd, indexSelect, oneHot and addAtStrided against naive
 * element-by-element references on random shapes, layouts, dims (negative too) and int32
 * indices; named errors for out-of-bounds and malformed indices and layouts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { array, zeros } from "../create.js";
import { castScalar, type DType } from "../dtype.js";
import type { NDArray } from "../ndarray.js";
import { expectValues } from "../test-helpers.js";
import { dtypes, LAYOUTS, ndarrays, shapes } from "../testing/arbitraries.js";
import { propertyConfig } from "../testing/config.js";
import { allIndices, at } from "../testing/reference.js";
import { addAtStrided, gather, indexSelect, oneHot, scatterAdd } from "./indexing.js";
import { badIndexValue, dims, expectThrows, flatIndex, indexArrays, replaced, sizesUpTo, valuesOf, withBadIndex, withBadValue, wrap } from "./indexing-test-helpers.js";

// ---------------------------------------------------------------------------------------------
// gather

interface GatherCase {
  a: NDArray;
  dim: number;
  index: NDArray;
}

const gatherCases: fc.Arbitrary<GatherCase> = shapes().chain((shape) =>
  dims(shape.length).chain((dim) => {
    const d = wrap(dim, shape.length);
    const size = shape[d] ?? 1;
    return sizesUpTo(shape.map((s, k) => (k === d ? 3 : s))).chain((indexShape) =>
      fc.record({
        a: ndarrays({ shape, dtype: dtypes(), layouts: LAYOUTS }),
        dim: fc.constant(dim),
        index: indexArrays(indexShape, 0, size - 1),
      }),
    );
  }),
);

function gatherReference({ a, dim, index }: GatherCase): number[] {
  const d = wrap(dim, a.ndim);
  return allIndices(index.shape).map((p) => at(a, replaced(p, d, at(index, p))));
}

describe("gather", () => {
  it("matches out[p] = a[p with dim replaced by index[p]] on random shapes, layouts and dims", () => {
    fc.assert(
      fc.property(gatherCases, (c) => {
        const got = gather(c.a, c.dim, c.index);
        expect(got.dtype).toBe(c.a.dtype);
        expectValues(got, c.index.shape, gatherReference(c));
      }),
      propertyConfig(),
    );
  });

  it("rejects an index value that is negative or past the dim, naming the op, value and dim", () => {
    fc.assert(
      fc.property(withBadIndex(gatherCases), ({ c, d, size, index, bad }) => {
        expectThrows(() => gather(c.a, c.dim, index), RangeError, "gather", `index ${bad} `, `dim ${d} `, `size ${size}`);
      }),
      propertyConfig(),
    );
  });

  it("rejects a non-int32 index, an index with other ndim, one larger than the input, a bad dim", () => {
    const a = zeros([2, 3], { dtype: "float64" });
    for (const dtype of ["float32", "float64", "bool"] as const) {
      expectThrows(() => gather(a, 1, zeros([2, 3], { dtype })), TypeError, "gather", dtype);
    }
    expectThrows(() => gather(a, 1, zeros([2], { dtype: "int32" })), RangeError, "gather", "[2]", "[2,3]");
    expectThrows(() => gather(a, 1, zeros([3, 4], { dtype: "int32" })), RangeError, "gather", "[3,4]", "[2,3]");
    expectThrows(() => gather(a, 2, zeros([2, 3], { dtype: "int32" })), RangeError, "gather", "dim 2");
    expectThrows(() => gather(a, -3, zeros([2, 3], { dtype: "int32" })), RangeError, "gather", "dim -3");
  });
});

// ---------------------------------------------------------------------------------------------
// scatterAdd

interface ScatterCase {
  a: NDArray;
  dim: number;
  index: NDArray;
  src: NDArray;
}

function scatterCases(dtype: fc.Arbitrary<DType>): fc.Arbitrary<ScatterCase> {
  return fc.tuple(shapes(), dtype).chain(([shape, dt]) =>
    dims(shape.length).chain((dim) => {
      const d = wrap(dim, shape.length);
      const size = shape[d] ?? 1;
      return sizesUpTo(shape.map((s, k) => (k === d ? 3 : s))).chain((indexShape) =>
        fc
          .array(fc.integer({ min: 0, max: 1 }), { minLength: indexShape.length, maxLength: indexShape.length })
          .chain((extra) =>
            fc.record({
              a: ndarrays({ shape, dtype: dt, layouts: LAYOUTS }),
              dim: fc.constant(dim),
              index: indexArrays(indexShape, 0, size - 1),
              src: ndarrays({ shape: indexShape.map((s, k) => s + extra[k]!), dtype: dt, layouts: LAYOUTS }),
            }),
          ),
      );
    }),
  );
}

/** What the dtype's storage holds after an addition: float32 rounds, int32 wraps, bool is 0/1. */
function store(value: number, dtype: DType): number {
  if (dtype === "bool") return value !== 0 ? 1 : 0;
  return castScalar(value, dtype);
}

function scatterReference({ a, dim, index, src }: ScatterCase): number[] {
  const d = wrap(dim, a.ndim);
  const out = valuesOf(a);
  for (const p of allIndices(index.shape)) {
    const k = flatIndex(replaced(p, d, at(index, p)), a.shape);
    out[k] = store(out[k]! + at(src, p), a.dtype);
  }
  return out;
}

describe("scatterAdd", () => {
  it("matches a copy of a with src[p] added at (p with dim replaced by index[p]); a is untouched", () => {
    fc.assert(
      fc.property(scatterCases(fc.constantFrom<DType>("float32", "float64", "int32")), (c) => {
        const before = valuesOf(c.a);
        const got = scatterAdd(c.a, c.dim, c.index, c.src);
        expect(got.dtype).toBe(c.a.dtype);
        expectValues(got, c.a.shape, scatterReference(c));
        expect(valuesOf(c.a)).toEqual(before);
      }),
      propertyConfig(),
    );
  });

  it("keeps bool results 0/1 when several trues land on one element (PyTorch: logical or)", () => {
    fc.assert(
      fc.property(scatterCases(fc.constant<DType>("bool")), (c) => {
        expectValues(scatterAdd(c.a, c.dim, c.index, c.src), c.a.shape, scatterReference(c));
      }),
      propertyConfig(),
    );
  });

  it("rejects an index value that is negative or past the dim, naming the op, value and dim", () => {
    fc.assert(
      fc.property(withBadIndex(scatterCases(fc.constant<DType>("float64"))), ({ c, d, size, index, bad }) => {
        expectThrows(() => scatterAdd(c.a, c.dim, index, c.src), RangeError, "scatterAdd", `index ${bad} `, `dim ${d} `, `size ${size}`);
      }),
      propertyConfig(),
    );
  });

  it("rejects a non-int32 index, other ndim, an index larger than src, a src of another dtype", () => {
    const a = zeros([2, 3], { dtype: "float64" });
    const src = zeros([2, 3], { dtype: "float64" });
    for (const dtype of ["float32", "float64", "bool"] as const) {
      expectThrows(() => scatterAdd(a, 1, zeros([2, 3], { dtype }), src), TypeError, "scatterAdd", dtype);
    }
    const idx = zeros([2, 3], { dtype: "int32" });
    expectThrows(() => scatterAdd(a, 1, zeros([3], { dtype: "int32" }), src), RangeError, "scatterAdd", "[3]", "[2,3]");
    expectThrows(() => scatterAdd(a, 1, idx, zeros([2, 2], { dtype: "float64" })), RangeError, "scatterAdd", "[2,3]", "[2,2]");
    expectThrows(() => scatterAdd(a, 1, idx, zeros([2, 3], { dtype: "float32" })), TypeError, "scatterAdd", "float32");
  });
});

// ---------------------------------------------------------------------------------------------
// indexSelect

interface SelectCase {
  a: NDArray;
  dim: number;
  index: NDArray;
}

const selectCases: fc.Arbitrary<SelectCase> = shapes({ minDims: 1 }).chain((shape) =>
  fc.tuple(dims(shape.length), fc.integer({ min: -1, max: 4 })).chain(([dim, length]) => {
    const size = shape[wrap(dim, shape.length)]!;
    // length -1 stands for a 0-d index.
    return fc.record({
      a: ndarrays({ shape, dtype: dtypes(), layouts: LAYOUTS }),
      dim: fc.constant(dim),
      index: indexArrays(length < 0 ? [] : [length], 0, size - 1),
    });
  }),
);

function selectReference({ a, dim, index }: SelectCase): { shape: number[]; values: number[] } {
  const d = wrap(dim, a.ndim);
  const picks = valuesOf(index);
  const shape = a.shape.slice();
  shape[d] = picks.length;
  return { shape, values: allIndices(shape).map((p) => at(a, replaced(p, d, picks[p[d]!]!))) };
}

describe("indexSelect", () => {
  it("matches the slices of a at the listed positions (1-d or 0-d index, empty too)", () => {
    fc.assert(
      fc.property(selectCases, (c) => {
        const want = selectReference(c);
        const got = indexSelect(c.a, c.dim, c.index);
        expect(got.dtype).toBe(c.a.dtype);
        expectValues(got, want.shape, want.values);
      }),
      propertyConfig(),
    );
  });

  it("selects from a 0-d array with any index of zeros, as PyTorch (always a 0-d result)", () => {
    fc.assert(
      fc.property(ndarrays({ shape: [], dtype: dtypes() }), dims(0), fc.integer({ min: -1, max: 3 }), (a, dim, length) => {
        const index = array(new Int32Array(length < 0 ? 1 : length), { shape: length < 0 ? [] : [length] });
        const got = indexSelect(a, dim, index);
        expect(got.dtype).toBe(a.dtype);
        expect(got.shape).toEqual([]);
        if (length !== 0) expectValues(got, [], [at(a, [])]);
        expect(got.sharesStorage(a)).toBe(false);
      }),
      propertyConfig(),
    );
    expectThrows(() => indexSelect(array(5), 0, array(Int32Array.of(0, 1))), RangeError, "indexSelect", "index 1 ", "size 1");
  });

  it("copies whole blocks of a contiguous input (the embedding lookup) and agrees on other layouts", () => {
    const cases = fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom(1, 5, 16, 40), fc.integer({ min: 0, max: 1 }))
      .chain(([outer, rows, width, dim]) => {
        const shape = dim === 0 ? [rows, width] : [outer, rows, width];
        return fc.record({
          a: ndarrays({ shape, dtype: dtypes(), domain: { min: -1e6, max: 1e6 }, layouts: LAYOUTS }),
          dim: fc.constant(dim),
          index: indexArrays([40], 0, rows - 1),
        });
      });
    fc.assert(
      fc.property(cases, (c) => {
        const want = selectReference(c);
        expectValues(indexSelect(c.a, c.dim, c.index), want.shape, want.values);
        expectValues(indexSelect(c.a.contiguous(), c.dim, c.index), want.shape, want.values);
      }),
      propertyConfig(),
    );
  });

  it("rejects an index value that is negative or past the dim, naming the op, value and dim", () => {
    const cases = withBadIndex(selectCases.filter((c) => c.index.size > 0));
    fc.assert(
      fc.property(cases, ({ c, d, size, index, bad }) => {
        expectThrows(() => indexSelect(c.a, c.dim, index), RangeError, "indexSelect", `index ${bad} `, `dim ${d} `, `size ${size}`);
      }),
      propertyConfig(),
    );
  });

  it("rejects a non-int32 index and an index of more than one dim", () => {
    const a = zeros([3, 2]);
    for (const dtype of ["float32", "float64", "bool"] as const) {
      expectThrows(() => indexSelect(a, 0, zeros([2], { dtype })), TypeError, "indexSelect", dtype);
    }
    expectThrows(() => indexSelect(a, 0, zeros([1, 2], { dtype: "int32" })), RangeError, "indexSelect", "[1,2]");
  });
});


describe("oneHot", () => {
  it("matches int32 rows with a 1 at each index; numClasses -1 means max + 1", () => {
    const cases = shapes().chain((shape) =>
      fc.tuple(indexArrays(shape, 0, 4), fc.integer({ min: -1, max: 3 })),
    );
    fc.assert(
      fc.property(cases, ([indices, extra]) => {
        const values = valuesOf(indices);
        const needed = Math.max(0, ...values.map((v) => v + 1));
        const numClasses = extra < 0 ? -1 : needed + extra;
        const classes = numClasses === -1 ? needed : numClasses;
        const shape = [...indices.shape, classes];
        const want = allIndices(shape).map((p) => (at(indices, p.slice(0, -1)) === p.at(-1) ? 1 : 0));
        const got = oneHot(indices, numClasses);
        expect(got.dtype).toBe("int32");
        expectValues(got, shape, want);
      }),
      propertyConfig(),
    );
  });

  it("rejects a class that is negative or not below numClasses, naming the op and value", () => {
    // With numClasses -1 only a negative class is invalid.
    const cases = fc.tuple(shapes(), fc.boolean()).chain(([shape, inferred]) =>
      fc.record({
        indices: indexArrays(shape, 0, 3),
        pick: fc.nat(),
        numClasses: fc.constant(inferred ? -1 : 4),
        bad: inferred ? fc.integer({ min: -4, max: -1 }) : badIndexValue(4),
      }),
    );
    fc.assert(
      fc.property(cases, ({ indices, pick, numClasses, bad }) => {
        const index = withBadValue(indices, pick % indices.size, bad);
        expectThrows(() => oneHot(index, numClasses), RangeError, "oneHot", `${bad}`);
      }),
      propertyConfig(),
    );
  });

  it("rejects non-int32 indices and a numClasses below -1", () => {
    for (const dtype of ["float32", "float64", "bool"] as const) {
      expectThrows(() => oneHot(zeros([2], { dtype })), TypeError, "oneHot", dtype);
    }
    expectThrows(() => oneHot(zeros([2], { dtype: "int32" }), -2), RangeError, "oneHot", "-2");
  });
});

describe("oneHot of an empty tensor", () => {
  it("needs an explicit class count, as in PyTorch", () => {
    expectThrows(() => oneHot(array(new Int32Array(0)), -1), RangeError, "oneHot", "empty");
    expect(oneHot(array(new Int32Array(0)), 3).shape).toEqual([0, 3]);
  });
});

// ---------------------------------------------------------------------------------------------
// addAtStrided

interface AddAtCase {
  target: NDArray;
  src: NDArray;
  strides: number[];
  offset: number;
}

/** A source of random shape and layout, a scatter layout with strides 0..3 (0 overlaps), and a target that holds it. */
const addAtCases: fc.Arbitrary<AddAtCase> = ndarrays({ shape: shapes({ minSize: 0 }), dtype: dtypes(), domain: { min: -3, max: 3 }, layouts: LAYOUTS }).chain((src) =>
  fc.tuple(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: src.ndim, maxLength: src.ndim }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 })).chain(
    ([strides, offset, slack, targetOffset]) => {
      const reach = src.shape.reduce((m, s, d) => m + Math.max(s - 1, 0) * strides[d]!, offset);
      const n = reach + 1 + slack;
      return ndarrays({ shape: [n + targetOffset], dtype: src.dtype, domain: { min: -3, max: 3 } }).map((base) => ({
        target: base.contiguous().narrow(0, targetOffset, n).contiguous(),
        src,
        strides,
        offset,
      }));
    },
  ),
);

/** target[offset + sum(i_k * strides[k])] += src[i] for each i in row-major order, in the target's arithmetic. */
function addAtReference({ target, src, strides, offset }: AddAtCase): number[] {
  const out = valuesOf(target);
  for (const i of allIndices(src.shape)) {
    const k = i.reduce((o, x, d) => o + x * strides[d]!, offset);
    out[k] = castScalar(target.dtype === "bool" ? Number(out[k]! !== 0 || at(src, i) !== 0) : out[k]! + at(src, i), target.dtype);
  }
  return out;
}

describe("addAtStrided", () => {
  it("adds each source element at its strided position; shared positions (stride 0) accumulate", () => {
    fc.assert(
      fc.property(addAtCases, (c) => {
        const want = addAtReference(c);
        const srcBefore = valuesOf(c.src);
        addAtStrided(c.target, c.src, c.strides, c.offset);
        expectValues(c.target, c.target.shape, want, { atol: 0, rtol: 0 });
        expect(valuesOf(c.src)).toEqual(srcBefore);
      }),
      propertyConfig(),
    );
  });

  it("accumulates an expanded source into one element, as the gradient of an expand through asStrided", () => {
    const target = zeros([3], { dtype: "float64" });
    addAtStrided(target, array([[1, 2], [3, 4]], { dtype: "float64" }), [0, 0], 1);
    expect(target.tolist()).toEqual([0, 10, 0]);
    const bools = zeros([2], { dtype: "bool" });
    addAtStrided(bools, array([true, true, false]), [0], 0);
    expect(Array.from(bools.toArray())).toEqual([1, 0]); // logical or keeps bool storage 0/1
  });

  it("rejects a target that is not contiguous 1-d, mismatched strides or dtypes, and a layout beyond the target", () => {
    const src = zeros([2, 3]);
    expectThrows(() => addAtStrided(zeros([2, 3]), src, [3, 1], 0), RangeError, "addAtStrided", "contiguous 1-d");
    expectThrows(() => addAtStrided(zeros([12]).slice(0, 0, undefined, 2), src, [3, 1], 0), RangeError, "addAtStrided", "contiguous 1-d");
    expectThrows(() => addAtStrided(zeros([6]), src, [1], 0), RangeError, "addAtStrided", "1 strides for a 2-d source");
    expectThrows(() => addAtStrided(zeros([6], { dtype: "float64" }), src, [3, 1], 0), TypeError, "addAtStrided", "float64", "float32");
    expectThrows(() => addAtStrided(zeros([6]), src, [3, 1], 1), RangeError, "addAtStrided", "elements 1..6 of a target of 6");
    expectThrows(() => addAtStrided(zeros([6]), src, [3, 1], -1), RangeError, "addAtStrided", "elements -1..4");
    expectThrows(() => addAtStrided(zeros([6]), src, [3, 0.5], 0), RangeError, "addAtStrided", "must be integers");
    addAtStrided(zeros([0]), zeros([0, 3]), [5, 5], 9); // nothing to add: no element is out of range
  });
});
