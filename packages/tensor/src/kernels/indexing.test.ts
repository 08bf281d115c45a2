/**
 * @file gather, scatterAdd, indexSelect and oneHot against naive element-by-element
 * references on random shapes, layouts, dims (negative too) and int32 indices; named errors
 * for out-of-bounds and malformed indices.
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
import { gather, indexSelect, oneHot, scatterAdd } from "./indexing.js";
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

  it("selects from a 0-d array with a 0-d index, as PyTorch (a 0-d result)", () => {
    fc.assert(
      fc.property(ndarrays({ shape: [], dtype: dtypes() }), dims(0), (a, dim) => {
        expectValues(indexSelect(a, dim, array(Int32Array.from([0]), { shape: [] })), [], [at(a, [])]);
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
