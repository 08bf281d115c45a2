/** @file Properties of the layout arithmetic: strides, broadcasting, view strides, row iteration. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  broadcastShapes,
  broadcastStrides,
  coalesce,
  contiguousStrides,
  forEachRow,
  inferShape,
  isContiguousLayout,
  normalizeDim,
  normalizeDims,
  numel,
  storageExtent,
  viewStrides,
} from "./layout.js";
import { broadcastableShapes, shapes } from "./testing/arbitraries.js";
import { propertyConfig } from "./testing/config.js";
import { allIndices, broadcastIndex } from "./testing/reference.js";

/** Offsets of every element, in row-major order, computed from the definition. */
function offsets(shape: readonly number[], strides: readonly number[], offset: number): number[] {
  return allIndices(shape).map((index) => index.reduce((o, i, d) => o + i * strides[d]!, offset));
}

describe("contiguous strides", () => {
  it("enumerate 0..numel-1 in row-major order", () => {
    fc.assert(
      fc.property(shapes({ minSize: 0 }), (shape) => {
        const all = offsets(shape, contiguousStrides(shape), 0);
        expect(all).toEqual(Array.from({ length: numel(shape) }, (_, i) => i));
        expect(isContiguousLayout(shape, contiguousStrides(shape))).toBe(true);
      }),
      propertyConfig(),
    );
  });

  it("a transposed matrix is not contiguous, a size-1 dim's stride does not matter", () => {
    expect(isContiguousLayout([2, 3], [1, 2])).toBe(false);
    expect(isContiguousLayout([2, 1, 3], [3, 99, 1])).toBe(true);
  });
});

describe("broadcastShapes", () => {
  it("is commutative, and every operand's broadcast index stays in range", () => {
    fc.assert(
      fc.property(broadcastableShapes(2), ([a, b]) => {
        const ab = broadcastShapes([a!, b!], "t");
        expect(broadcastShapes([b!, a!], "t")).toEqual(ab);
        for (const index of allIndices(ab)) {
          for (const s of [a!, b!]) broadcastIndex(index, s).forEach((i, d) => expect(i).toBeLessThan(s[d]!));
        }
      }),
      propertyConfig(),
    );
  });

  it("is associative and has the scalar shape as identity", () => {
    fc.assert(
      fc.property(broadcastableShapes(3), ([a, b, c]) => {
        const left = broadcastShapes([broadcastShapes([a!, b!], "t"), c!], "t");
        expect(broadcastShapes([a!, broadcastShapes([b!, c!], "t")], "t")).toEqual(left);
        expect(broadcastShapes([a!, b!, c!], "t")).toEqual(left);
        expect(broadcastShapes([a!, []], "t")).toEqual(a);
      }),
      propertyConfig(),
    );
  });

  it("broadcast strides read the same element as the broadcast index", () => {
    fc.assert(
      fc.property(broadcastableShapes(2), ([a, b]) => {
        const target = broadcastShapes([a!, b!], "t");
        const strides = broadcastStrides(a!, contiguousStrides(a!), target, "t");
        const direct = allIndices(target).map((index) =>
          broadcastIndex(index, a!).reduce((o, i, d) => o + i * contiguousStrides(a!)[d]!, 0),
        );
        expect(offsets(target, strides, 0)).toEqual(direct);
      }),
      propertyConfig(),
    );
  });

  it("names the op, both shapes and the dim that disagrees", () => {
    expect(() => broadcastShapes([[2, 3], [4]], "add")).toThrow(/add: shapes \[2,3\] and \[4\] cannot be broadcast.*3 vs 4/);
    expect(() => broadcastStrides([3], [1], [2, 4], "expand")).toThrow(/expand: cannot broadcast shape \[3\] to \[2,4\]/);
    expect(() => broadcastStrides([2, 3], [3, 1], [3], "expand")).toThrow(RangeError);
  });
});

describe("viewStrides", () => {
  it("a contiguous layout can be viewed as any shape of the same size", () => {
    fc.assert(
      fc.property(shapes({ maxDims: 4 }), (shape) => {
        const flat = [numel(shape)];
        expect(viewStrides(shape, contiguousStrides(shape), flat)).toEqual([1]);
        const back = viewStrides(flat, [1], shape)!;
        expect(offsets(shape, back, 0)).toEqual(offsets(shape, contiguousStrides(shape), 0));
      }),
      propertyConfig(),
    );
  });

  it("when it finds strides, the view reads the row-major elements of the original", () => {
    fc.assert(
      fc.property(shapes({ minDims: 2 }), shapes({ maxDims: 3 }), (shape, target) => {
        // A transposed (non-contiguous) layout of `shape`.
        const perm = shape.map((_, d) => d).reverse();
        const base = contiguousStrides(perm.map((d) => shape[d]!));
        const strides = shape.map((_, d) => base[perm.indexOf(d)]!);
        const sizes = numel(shape) === numel(target) ? target : [numel(shape)];
        const vs = viewStrides(shape, strides, sizes);
        if (vs === null) return;
        expect(offsets(sizes, vs, 0)).toEqual(offsets(shape, strides, 0));
      }),
      propertyConfig(),
    );
  });

  it("refuses to merge dims that are not adjacent in memory", () => {
    expect(viewStrides([2, 3], [1, 2], [6])).toBeNull();
    expect(viewStrides([2, 3], [1, 2], [3, 2])).toBeNull();
    expect(viewStrides([2, 3], [1, 2], [2, 3, 1])).toEqual([1, 2, 2]);
  });
});

describe("inferShape and dims", () => {
  it("fills in one -1 and checks sizes", () => {
    expect(inferShape([2, -1], 6, "reshape")).toEqual([2, 3]);
    expect(() => inferShape([4, -1], 6, "reshape")).toThrow(/reshape: shape \[4,-1\] is invalid for input of size 6/);
    expect(() => inferShape([-1, -1], 6, "view")).toThrow(/view: only one dimension can be inferred/);
    expect(() => inferShape([5], 6, "view")).toThrow(/view: shape \[5\] is invalid for input of size 6/);
  });

  it("normalizes negative dims and rejects out-of-range ones by name", () => {
    expect(normalizeDim(-1, 3, "sum")).toBe(2);
    expect(normalizeDim(-1, 0, "sum")).toBe(0);
    expect(() => normalizeDim(3, 3, "sum")).toThrow(/sum: dim 3 is out of range for a tensor with 3 dims/);
    expect(normalizeDims([-1, 0], 3, "sum")).toEqual([0, 2]);
    expect(normalizeDims(undefined, 2, "sum")).toEqual([0, 1]);
    expect(() => normalizeDims([1, -2], 3, "sum")).toThrow(/sum: dim 1 appears multiple times/);
  });
});

describe("forEachRow", () => {
  it("visits every element once, in row-major order, for any strides", () => {
    fc.assert(
      fc.property(broadcastableShapes(2, { minSize: 0 }), fc.boolean(), ([a, b], transpose) => {
        const shape = broadcastShapes([a!, b!], "t");
        const aStrides = broadcastStrides(a!, contiguousStrides(a!), shape, "t");
        const bContig = contiguousStrides(b!);
        const bStrides0 = transpose ? bContig.slice().reverse() : bContig;
        const bStrides = broadcastStrides(b!, bStrides0, shape, "t");
        const seen: number[][] = [];
        forEachRow(shape, [{ strides: aStrides, offset: 3 }, { strides: bStrides, offset: 5 }], (off, n, st) => {
          for (let i = 0; i < n; i++) seen.push([off[0]! + i * st[0]!, off[1]! + i * st[1]!]);
        });
        const want = allIndices(shape).map((index) => [
          index.reduce((o, x, d) => o + x * aStrides[d]!, 3),
          index.reduce((o, x, d) => o + x * bStrides[d]!, 5),
        ]);
        expect(seen).toEqual(want);
      }),
      propertyConfig(),
    );
  });

  it("coalesces a contiguous layout into a single row", () => {
    let calls = 0;
    forEachRow([2, 3, 4], [{ strides: [12, 4, 1], offset: 0 }], (_, n) => {
      calls++;
      expect(n).toBe(24);
    });
    expect(calls).toBe(1);
    expect(coalesce([2, 1, 3], [[3, 7, 1]]).shape).toEqual([6]);
  });

  it("storageExtent spans the first and last element", () => {
    expect(storageExtent([2, 3], [3, 1], 4)).toEqual({ min: 4, max: 9 });
    expect(storageExtent([0, 3], [3, 1], 4)).toBeNull();
  });
});
