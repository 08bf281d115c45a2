/**
 * @file Reference helpers shared by the indexing and joining kernel tests: index arithmetic
 * only, never the kernels under test.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { array } from "../create.js";
import { DTYPES, type DType } from "../dtype.js";
import type { NDArray } from "../ndarray.js";
import { relayout } from "../testing/arbitraries.js";
import { allIndices, at } from "../testing/reference.js";

/** Valid dims of an `ndim`-d array, negative ones included (a 0-d array takes 0 and -1). */
export function dims(ndim: number): fc.Arbitrary<number> {
  const range = Math.max(ndim, 1);
  return fc.integer({ min: -range, max: range - 1 });
}

/** `dim` wrapped into [0, max(ndim, 1)). */
export function wrap(dim: number, ndim: number): number {
  const range = Math.max(ndim, 1);
  return dim < 0 ? dim + range : dim;
}

export function count(shape: readonly number[]): number {
  return shape.reduce((n, s) => n * s, 1);
}

/** Row-major position of `index` in `shape`. */
export function flatIndex(index: readonly number[], shape: readonly number[]): number {
  return index.reduce((o, i, d) => o * shape[d]! + i, 0);
}

/** Logical values of `a` in row-major order, read with `at`. */
export function valuesOf(a: NDArray): number[] {
  return allIndices(a.shape).map((p) => at(a, p));
}

/** The larger dtype in promotion order bool < int32 < float32 < float64. */
export function promoted(list: readonly DType[]): DType {
  return list.reduce((x, y) => (DTYPES.indexOf(x) >= DTYPES.indexOf(y) ? x : y));
}

/** Shapes whose size at dim d is 1..limits[d]. */
export function sizesUpTo(limits: readonly number[]): fc.Arbitrary<number[]> {
  return fc.tuple(...limits.map((l) => fc.integer({ min: 1, max: l })));
}

/** int32 index arrays of `shape` with values in [lo, hi], in a random distinct-memory layout. */
export function indexArrays(shape: readonly number[], lo: number, hi: number): fc.Arbitrary<NDArray> {
  const n = count(shape);
  return fc
    .array(fc.integer({ min: lo, max: hi }), { minLength: n, maxLength: n })
    .chain((vals) => relayout(array(Int32Array.from(vals), { shape })));
}

/** A contiguous int32 copy of `index` with the element at row-major position `i` set to `bad`. */
export function withBadValue(index: NDArray, i: number, bad: number): NDArray {
  const vals = valuesOf(index);
  vals[i] = bad;
  return array(Int32Array.from(vals), { shape: index.shape });
}

/** A value outside [0, size): negative, or size and above. */
export function badIndexValue(size: number): fc.Arbitrary<number> {
  return fc.oneof(fc.integer({ min: -4, max: -1 }), fc.integer({ min: size, max: size + 4 }));
}

/** A case whose index has one element replaced by a value outside [0, size of its dim). */
export function withBadIndex<C extends { a: NDArray; dim: number; index: NDArray }>(
  cases: fc.Arbitrary<C>,
): fc.Arbitrary<{ c: C; d: number; size: number; index: NDArray; bad: number }> {
  return cases.chain((c) => {
    const d = wrap(c.dim, c.a.ndim);
    const size = c.a.shape[d] ?? 1;
    return fc
      .tuple(fc.nat(), badIndexValue(size))
      .map(([pick, bad]) => ({ c, d, size, index: withBadValue(c.index, pick % c.index.size, bad), bad }));
  });
}

/** Expects `fn` to throw `type` with every one of `parts` in its message. */
export function expectThrows(fn: () => unknown, type: typeof RangeError | typeof TypeError, ...parts: string[]): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, "expected an error").toBeInstanceOf(type);
  const message = (error as Error).message;
  for (const part of parts) expect(message).toContain(part);
}

/** `index` with its entry at dim `d` set to `value` (the empty index of a 0-d array stays empty). */
export function replaced(index: readonly number[], d: number, value: number): number[] {
  const q = index.slice();
  if (q.length > 0) q[d] = value;
  return q;
}

