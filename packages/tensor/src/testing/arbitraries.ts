/**
 * @file fast-check arbitraries for property tests of strided arrays: shapes (small by default:
 * up to 4 dims of size 1..3 find most bugs), shapes that broadcast together, dtypes, and
 * memory layouts. A layout arbitrary gives one logical array as contiguous, offset, permuted,
 * sliced with a step, or expanded storage; storage is built with plain index arithmetic, not
 * with the kernels under test.
 */
import fc from "fast-check";
import { DTYPES, castScalar, type DType } from "../dtype.js";
import { allocStorage } from "../storage.js";
import { contiguousStrides, numel, type Shape } from "../layout.js";
import { NDArray } from "../ndarray.js";
import { allIndices } from "./reference.js";

/** Bounds of generated shapes. */
export interface ShapeOptions {
  minDims?: number;
  maxDims?: number;
  minSize?: number;
  maxSize?: number;
}

/** Shapes of `minDims..maxDims` dims (default 0..4) with sizes `minSize..maxSize` (default 1..3). */
export function shapes(options: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const { minDims = 0, maxDims = 4, minSize = 1, maxSize = 3 } = options;
  return fc.array(fc.integer({ min: minSize, max: maxSize }), { minLength: minDims, maxLength: maxDims });
}

/**
 * `count` shapes that broadcast together: a full shape, and per operand a suffix of it with
 * some sizes replaced by 1 (so leading dims may be missing and any dim may be stretched).
 */
export function broadcastableShapes(count = 2, options: ShapeOptions = {}): fc.Arbitrary<number[][]> {
  return shapes(options).chain((full) => {
    const one = fc
      .tuple(fc.integer({ min: 0, max: full.length }), fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }))
      .map(([drop, ones]) => full.slice(drop).map((s, d) => (ones[d + drop] ? 1 : s)));
    return fc.array(one, { minLength: count, maxLength: count });
  });
}

/** One of `choices` (default: every dtype). */
export function dtypes(choices: readonly DType[] = DTYPES): fc.Arbitrary<DType> {
  return fc.constantFrom(...choices);
}

/** How an array's elements sit in memory. `expanded` repeats values along stride-0 dims. */
export type LayoutKind = "contiguous" | "offset" | "permuted" | "strided" | "expanded";

/** Every layout kind; `expanded` arrays have overlapping elements (never write through them). */
export const LAYOUTS: readonly LayoutKind[] = ["contiguous", "offset", "permuted", "strided", "expanded"];

/** Layouts whose elements occupy distinct memory (safe to write to, safe for gradcheck). */
export const DISTINCT_LAYOUTS: readonly LayoutKind[] = ["contiguous", "offset", "permuted", "strided"];

/** The range of generated values; floats are uniform doubles, int32 values integers, bool ignores it. */
export interface Domain {
  min: number;
  max: number;
}

/** Options of `ndarrays`. */
export interface NDArrayOptions {
  shape?: Shape | fc.Arbitrary<number[]>;
  dtype?: DType | fc.Arbitrary<DType>;
  domain?: Domain;
  layouts?: readonly LayoutKind[];
}

/**
 * Arrays of a given or generated shape and dtype, with values in `domain` (default [-2, 2])
 * and a random layout among `layouts` (default: all distinct-memory layouts).
 */
export function ndarrays(options: NDArrayOptions = {}): fc.Arbitrary<NDArray> {
  const shapeArb = options.shape === undefined ? shapes() : asArbitrary(options.shape);
  const dtypeArb = options.dtype === undefined ? fc.constant<DType>("float64") : asArbitrary(options.dtype);
  const domain = options.domain ?? { min: -2, max: 2 };
  const kinds = options.layouts ?? DISTINCT_LAYOUTS;
  return fc.tuple(shapeArb, dtypeArb, fc.constantFrom(...kinds)).chain(([shape, dtype, kind]) => {
    if (kind !== "expanded") {
      return fc
        .tuple(values(numel(shape), dtype, domain), layoutChoice(kind, shape))
        .map(([vals, choice]) => build(shape, dtype, vals, choice));
    }
    // Expanded: values vary only along the dims that stay; the others repeat with stride 0.
    return fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }).chain((stretch) => {
      const base = shape.map((s, d) => (stretch[d] ? 1 : s));
      return values(numel(base), dtype, domain).map((vals) => build(base, dtype, vals, { kind: "contiguous" }).expand(shape));
    });
  });
}

/** The same logical values as `a` (contiguous input) in a random distinct-memory layout. */
export function relayout(a: NDArray, kinds: readonly LayoutKind[] = DISTINCT_LAYOUTS): fc.Arbitrary<NDArray> {
  const flat = Array.from(a.toArray());
  const usable = kinds.filter((k) => k !== "expanded");
  return fc
    .constantFrom(...usable)
    .chain((kind) => layoutChoice(kind, a.shape))
    .map((choice) => build(a.shape, a.dtype, flat, choice));
}

function asArbitrary<T>(x: T | fc.Arbitrary<T>): fc.Arbitrary<T> {
  return x instanceof fc.Arbitrary ? x : fc.constant(x);
}

function values(n: number, dtype: DType, domain: Domain): fc.Arbitrary<number[]> {
  const one: fc.Arbitrary<number> =
    dtype === "bool"
      ? fc.boolean().map(Number)
      : dtype === "int32"
        ? fc.integer({ min: Math.ceil(domain.min), max: Math.floor(domain.max) })
        : fc.double({ min: domain.min, max: domain.max, noNaN: true, noDefaultInfinity: true });
  return fc.array(one, { minLength: n, maxLength: n });
}

/** A concrete layout: a permutation, per-dim steps and a leading offset, as each kind needs. */
type LayoutChoice = { kind: LayoutKind; perm?: number[]; steps?: number[]; offset?: number };

function layoutChoice(kind: LayoutKind, shape: Shape): fc.Arbitrary<LayoutChoice> {
  const n = shape.length;
  switch (kind) {
    case "offset":
      return fc.integer({ min: 1, max: 5 }).map((offset) => ({ kind, offset }));
    case "permuted":
      return fc
        .array(fc.nat(), { minLength: n, maxLength: n })
        .map((keys) => ({ kind, perm: keys.map((k, d) => [k, d] as const).sort((x, y) => x[0] - y[0]).map(([, d]) => d) }));
    case "strided":
      return fc
        .tuple(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: n, maxLength: n }), fc.integer({ min: 0, max: 2 }))
        .map(([steps, offset]) => ({ kind, steps, offset }));
    default:
      return fc.constant({ kind });
  }
}

/** Places logical row-major `vals` of `shape` into fresh storage laid out as `choice` says. */
function build(shape: Shape, dtype: DType, vals: readonly number[], choice: LayoutChoice): NDArray {
  const n = shape.length;
  const perm = choice.perm ?? shape.map((_, d) => d);
  const steps = choice.steps ?? shape.map(() => 1);
  const offset = choice.offset ?? 0;
  // Physical storage: dims in `perm` order, each `step` times longer; the view undoes both.
  const physShape = perm.map((d) => shape[d]! * steps[d]!);
  const physStrides = contiguousStrides(physShape);
  const strides = new Array<number>(n);
  perm.forEach((d, k) => (strides[d] = physStrides[k]! * steps[d]!));
  const storage = allocStorage(dtype, numel(physShape) + offset);
  allIndices(shape).forEach((index, i) => {
    let at = offset;
    for (let d = 0; d < n; d++) at += index[d]! * strides[d]!;
    storage[at] = castScalar(vals[i]!, dtype);
  });
  return new NDArray(storage, shape.slice(), strides, offset, dtype);
}
