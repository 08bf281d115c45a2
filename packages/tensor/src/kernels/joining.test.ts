/**
 * @file concat, stack, split, chunk, tril and triu against naive references on random shapes,
 * layouts and dims; view semantics and PyTorch's section sizes; named errors.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { array, arange, zeros } from "../create.js";
import { castScalar, type DType } from "../dtype.js";
import type { NDArray } from "../ndarray.js";
import { expectValues } from "../test-helpers.js";
import { dtypes, LAYOUTS, ndarrays, shapes } from "../testing/arbitraries.js";
import { propertyConfig } from "../testing/config.js";
import { allIndices, at } from "../testing/reference.js";
import { chunk, concat, split, stack, tril, triu } from "./indexing.js";
import { dims, expectThrows, promoted, replaced, wrap } from "./indexing-test-helpers.js";

// ---------------------------------------------------------------------------------------------
// concat and stack

/** Arrays of `shape` except at dim d (sizes 0..3 there), each of a random dtype and layout. */
function concatInputs(shape: readonly number[], d: number): fc.Arbitrary<NDArray[]> {
  return fc
    .array(fc.tuple(fc.integer({ min: 0, max: 3 }), dtypes()), { minLength: 1, maxLength: 3 })
    .chain((parts) =>
      fc.tuple(...parts.map(([len, dtype]) => ndarrays({ shape: shape.map((s, k) => (k === d ? len : s)), dtype, layouts: LAYOUTS }))),
    );
}

function concatReference(arrays: readonly NDArray[], d: number): { shape: number[]; dtype: DType; values: number[] } {
  const dtype = promoted(arrays.map((a) => a.dtype));
  const shape = arrays[0]!.shape.slice();
  shape[d] = arrays.reduce((n, a) => n + a.shape[d]!, 0);
  const values = allIndices(shape).map((p) => {
    let i = p[d]!;
    let j = 0;
    while (i >= arrays[j]!.shape[d]!) i -= arrays[j++]!.shape[d]!;
    return castScalar(at(arrays[j]!, replaced(p, d, i)), dtype);
  });
  return { shape, dtype, values };
}

describe("concat", () => {
  it("matches joining along a dim (negative too), with dtypes promoted", () => {
    const cases = shapes({ minDims: 1 }).chain((shape) =>
      dims(shape.length).chain((dim) => fc.tuple(fc.constant(dim), concatInputs(shape, wrap(dim, shape.length)))),
    );
    fc.assert(
      fc.property(cases, ([dim, arrays]) => {
        const want = concatReference(arrays, wrap(dim, arrays[0]!.ndim));
        const got = concat(arrays, dim);
        expect(got.dtype).toBe(want.dtype);
        expectValues(got, want.shape, want.values);
      }),
      propertyConfig(),
    );
  });

  it("promotes bool with int32 to int32 and int32 with float32 to float32, as torch.cat", () => {
    const b = array([true, false]);
    const i = array(Int32Array.from([2, -3]));
    const f = array([0.5], { dtype: "float32" });
    expect(concat([b, i]).dtype).toBe("int32");
    expect(concat([i, f]).dtype).toBe("float32");
    expect(concat([b, f, i]).dtype).toBe("float32");
  });

  it("rejects mismatched shapes, an empty list, 0-d arrays and a bad dim, naming the op", () => {
    expectThrows(() => concat([zeros([2, 3]), zeros([3, 2])]), RangeError, "concat", "[3,2]", "[2,3]");
    expectThrows(() => concat([zeros([2, 3]), zeros([2, 3, 1])], 1), RangeError, "concat", "[2,3,1]");
    expectThrows(() => concat([]), RangeError, "concat", "empty");
    expectThrows(() => concat([zeros([]), zeros([])]), RangeError, "concat", "zero-dimensional");
    expectThrows(() => concat([zeros([2]), zeros([])]), RangeError, "concat", "[]");
    expectThrows(() => concat([zeros([2, 3])], 2), RangeError, "concat", "dim 2");
  });
});

describe("stack", () => {
  it("matches joining along a new dim at any position (negative too), with dtypes promoted", () => {
    const cases = shapes({ maxDims: 3 }).chain((shape) =>
      fc.tuple(
        fc.integer({ min: -shape.length - 1, max: shape.length }),
        fc.array(dtypes(), { minLength: 1, maxLength: 3 }).chain((list) =>
          fc.tuple(...list.map((dtype) => ndarrays({ shape, dtype, layouts: LAYOUTS }))),
        ),
      ),
    );
    fc.assert(
      fc.property(cases, ([dim, arrays]) => {
        const ndim = arrays[0]!.ndim;
        const d = dim < 0 ? dim + ndim + 1 : dim;
        const dtype = promoted(arrays.map((a) => a.dtype));
        const shape = arrays[0]!.shape.slice();
        shape.splice(d, 0, arrays.length);
        const want = allIndices(shape).map((p) => castScalar(at(arrays[p[d]!]!, p.filter((_, k) => k !== d)), dtype));
        const got = stack(arrays, dim);
        expect(got.dtype).toBe(dtype);
        expectValues(got, shape, want);
      }),
      propertyConfig(),
    );
  });

  it("rejects arrays of different shapes, an empty list and a bad dim, naming the op", () => {
    expectThrows(() => stack([zeros([2, 3]), zeros([3, 2])]), RangeError, "stack", "[3,2]", "[2,3]");
    expectThrows(() => stack([]), RangeError, "stack", "empty");
    expectThrows(() => stack([zeros([2, 3])], 3), RangeError, "stack", "dim 3");
    expectThrows(() => stack([zeros([2, 3])], -4), RangeError, "stack", "dim -4");
  });
});

// ---------------------------------------------------------------------------------------------
// split and chunk

/** Checks that `pieces` are views of `a` along dim d with the given sizes and a's values. */
function expectPieces(a: NDArray, d: number, pieces: readonly NDArray[], sizes: readonly number[]): void {
  expect(pieces.map((p) => p.shape[d])).toEqual(sizes);
  let start = 0;
  pieces.forEach((piece, i) => {
    expect(piece.sharesStorage(a), `piece ${i} is a view`).toBe(true);
    const shape = a.shape.slice();
    shape[d] = sizes[i]!;
    expectValues(piece, shape, allIndices(shape).map((p) => at(a, replaced(p, d, p[d]! + start))));
    start += sizes[i]!;
  });
}

/** Sections of `size` by pieces of `step` (the last one smaller), one empty section for size 0. */
function sectionsOf(size: number, step: number): number[] {
  const out: number[] = [];
  for (let at0 = 0; at0 < size; at0 += step) out.push(Math.min(step, size - at0));
  return out.length === 0 ? [0] : out;
}

const splitInputs = shapes({ minDims: 1, maxSize: 5 }).chain((shape) =>
  fc.tuple(ndarrays({ shape, dtype: dtypes(), layouts: LAYOUTS }), dims(shape.length)),
);

describe("split", () => {
  it("gives views of pieces of a fixed size, the last one smaller", () => {
    fc.assert(
      fc.property(splitInputs, fc.integer({ min: 1, max: 6 }), ([a, dim], step) => {
        const d = wrap(dim, a.ndim);
        expectPieces(a, d, split(a, step, dim), sectionsOf(a.shape[d]!, step));
      }),
      propertyConfig(),
    );
  });

  it("gives views of listed sizes (zeros allowed) that add up to the dim", () => {
    const cases = splitInputs.chain(([a, dim]) => {
      const size = a.shape[wrap(dim, a.ndim)]!;
      return fc
        .array(fc.integer({ min: 0, max: size }), { maxLength: 3 })
        .map((cuts) => {
          const bounds = [0, ...cuts.sort((x, y) => x - y), size];
          return { a, dim, sizes: bounds.slice(1).map((b, i) => b - bounds[i]!) };
        });
    });
    fc.assert(
      fc.property(cases, ({ a, dim, sizes }) => {
        expectPieces(a, wrap(dim, a.ndim), split(a, sizes, dim), sizes);
      }),
      propertyConfig(),
    );
  });

  it("gives one empty piece for an empty dim, as PyTorch", () => {
    const a = zeros([0, 2]);
    expectPieces(a, 0, split(a, 2), [0]);
  });

  it("rejects sizes that do not add up, negative sizes, and a split size of 0 or less", () => {
    const a = arange(5);
    expectThrows(() => split(a, [2, 2]), RangeError, "split", "[2,2]", "5");
    expectThrows(() => split(a, [2, 4]), RangeError, "split", "[2,4]", "5");
    expectThrows(() => split(a, [6, -1]), RangeError, "split", "[6,-1]");
    expectThrows(() => split(a, 0), RangeError, "split", "0");
    expectThrows(() => split(a, -2), RangeError, "split", "-2");
    expectThrows(() => split(a, 1, 1), RangeError, "split", "dim 1");
  });
});

describe("chunk", () => {
  it("gives views of ceil(size / chunks) elements, possibly fewer than `chunks` pieces", () => {
    fc.assert(
      fc.property(splitInputs, fc.integer({ min: 1, max: 6 }), ([a, dim], chunks) => {
        const d = wrap(dim, a.ndim);
        const size = a.shape[d]!;
        const pieces = chunk(a, chunks, dim);
        expect(pieces.length).toBeLessThanOrEqual(chunks);
        expectPieces(a, d, pieces, sectionsOf(size, Math.ceil(size / chunks)));
      }),
      propertyConfig(),
    );
  });

  it("has PyTorch 1.13's piece sizes (torch.arange(n).chunk(k))", () => {
    const torchSizes: [number, number, number[]][] = [
      [6, 4, [2, 2, 2]],
      [5, 3, [2, 2, 1]],
      [7, 3, [3, 3, 1]],
      [1, 3, [1]],
      [0, 3, [0, 0, 0]],
    ];
    for (const [n, k, sizes] of torchSizes) {
      const a = zeros([n]);
      expect(chunk(a, k).map((p) => p.shape[0])).toEqual(sizes);
    }
  });

  it("rejects a chunk count that is not a positive integer", () => {
    const a = arange(6);
    expectThrows(() => chunk(a, 0), RangeError, "chunk", "0");
    expectThrows(() => chunk(a, -2), RangeError, "chunk", "-2");
    expectThrows(() => chunk(a, 1.5), RangeError, "chunk", "1.5");
  });
});

// ---------------------------------------------------------------------------------------------
// tril and triu

describe("tril / triu", () => {
  const cases = fc.tuple(
    ndarrays({ shape: shapes({ minDims: 2, maxSize: 4 }), dtype: dtypes(), layouts: LAYOUTS }),
    fc.integer({ min: -5, max: 5 }),
  );

  for (const [name, fn, keep] of [
    ["tril", tril, (i: number, j: number, k: number) => j - i <= k],
    ["triu", triu, (i: number, j: number, k: number) => j - i >= k],
  ] as const) {
    it(`${name} keeps the ${name === "tril" ? "lower" : "upper"} triangle of every matrix of a batch`, () => {
      fc.assert(
        fc.property(cases, ([a, diagonal]) => {
          const want = allIndices(a.shape).map((p) => (keep(p.at(-2)!, p.at(-1)!, diagonal) ? at(a, p) : 0));
          const got = fn(a, diagonal);
          expect(got.dtype).toBe(a.dtype);
          expectValues(got, a.shape, want);
        }),
        propertyConfig(),
      );
    });

    it(`${name} rejects arrays of fewer than 2 dims, naming the op and shape`, () => {
      expectThrows(() => fn(zeros([3])), RangeError, name, "[3]");
      expectThrows(() => fn(zeros([])), RangeError, name, "[]");
    });
  }
});

// ---------------------------------------------------------------------------------------------
// oneHot

describe("0-d inputs", () => {
  it("split and chunk need at least one dim, as in PyTorch", () => {
    expectThrows(() => split(array(1), 1), RangeError, "split", "at least 1 dim");
    expectThrows(() => chunk(array(1), 2), RangeError, "chunk", "at least 1 dim");
  });
});
