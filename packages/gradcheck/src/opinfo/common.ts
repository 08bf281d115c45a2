/**
 * @file The op-info types and their shared pieces: a sample (inputs, arguments, the call under
 * test and a naive reference), reference helpers that work element by element through
 * `allIndices`/`at`/`broadcastIndex` and plain Math (never the kernels under test), and the
 * argument arbitraries every family uses (dims with negatives, value grids without ties).
 */
import fc from "fast-check";
import { Tensor } from "@typegrad/autograd";
import { NDArray, type DType, type Storage } from "@typegrad/tensor";
import { allIndices, at, broadcastIndex } from "@typegrad/tensor/testing";
import { broadcastableShapes, DISTINCT_LAYOUTS, relayout, shapes as coreShapes, type GradDomain, type LayoutKind, type ShapeOptions } from "../arbitraries.js";
import type { GradcheckOptions } from "../gradcheck.js";

/** A naive reference result: a shape and row-major values (and, for index outputs, a dtype). */
export interface Ref {
  shape: number[];
  values: number[];
  dtype?: DType;
}

/** One random instance of an op: tensor inputs, other arguments, the call and its reference. */
export interface OpSample {
  /** Tensor inputs: float64 ones that require grad are checked; int32 indices and bool masks are not. */
  readonly inputs: readonly Tensor[];
  /** The non-tensor arguments (dims, keepdim, shapes, bounds), for the failure report. */
  readonly args: Readonly<Record<string, unknown>>;
  /** The op under test on `inputs`: what gradcheck and gradgradcheck differentiate. */
  call(...inputs: Tensor[]): Tensor | Tensor[];
  /** What the forward property compares with the reference (default: `call`), e.g. values and indices. */
  forward?(...inputs: Tensor[]): Tensor | Tensor[];
  /** The naive result of `forward` on `inputs`. */
  reference(...inputs: Tensor[]): Ref | Ref[];
  /** gradcheck options for this sample (tolerances), over the op info's. */
  readonly grad?: GradcheckOptions;
  /** The same sample on other tensors with the same logical roles. */
  withInputs(inputs: readonly Tensor[]): OpSample;
}

/** One op's test description: how to sample it and which checks apply. */
export interface OpInfo {
  /** Random samples: float64 gradcheck inputs in distinct-memory layouts, values in `domain`. */
  sample: fc.Arbitrary<OpSample>;
  /** Whether gradgradcheck applies (false only with a reason given beside the entry). */
  gradgrad: boolean;
  /** The value domain of the differentiable inputs, in words. */
  domain: string;
  /** Layouts the forward property may give each tensor input (default: all, expanded included). */
  forwardLayouts?: readonly LayoutKind[];
  /** gradcheck/gradgradcheck options (tolerances) for every sample. */
  grad?: GradcheckOptions;
  /** Runs per property when TYPEGRAD_NUM_RUNS is unset (defaults in the test suite). */
  runs?: { forward?: number; grad?: number; gradgrad?: number };
}

/** What a sample is built from. */
export interface SampleSpec {
  op: string;
  inputs: readonly Tensor[];
  args?: Record<string, unknown>;
  call(...inputs: Tensor[]): Tensor | Tensor[];
  forward?(...inputs: Tensor[]): Tensor | Tensor[];
  reference(...inputs: Tensor[]): Ref | Ref[];
  grad?: GradcheckOptions;
}

/** A sample that prints as a readable repro in fast-check's counterexample report. */
export function makeSample(spec: SampleSpec): OpSample {
  const s: OpSample & { [fc.toStringMethod]: () => string } = {
    inputs: spec.inputs,
    args: spec.args ?? {},
    call: spec.call,
    ...(spec.forward ? { forward: spec.forward } : {}),
    reference: spec.reference,
    ...(spec.grad ? { grad: spec.grad } : {}),
    withInputs: (inputs) => makeSample({ ...spec, inputs }),
    [fc.toStringMethod]: () => `${spec.op}(${JSON.stringify(spec.args ?? {})}) on ${spec.inputs.map(describeTensor).join("; ")}`,
  };
  return s;
}

/** A tensor's dtype, layout and logical values, enough to rebuild it. */
export function describeTensor(t: Tensor): string {
  const a = t.array;
  const vals = allIndices(a.shape).map((i) => at(a, i));
  return `${a.dtype}[${a.shape.join(",")}] strides [${a.strides.join(",")}] offset ${a.offset} values [${vals.join(", ")}]`;
}

// ---------------------------------------------------------------- references

/** The logical value of `t` at `index`. */
export const read = (t: Tensor, index: readonly number[]): number => at(t.array, index);

/** Every logical value of `t`, row-major. */
export const valuesOf = (t: Tensor): number[] => allIndices(t.shape).map((i) => read(t, i));

/** The product of sizes. */
export const count = (shape: readonly number[]): number => shape.reduce((n, s) => n * s, 1);

/** `dim` (negative counts from the end) as a non-negative dim of an `ndim`-d shape (0-d accepts 0/-1). */
export function normDim(dim: number, ndim: number): number {
  const range = Math.max(ndim, 1);
  if (dim < -range || dim >= range) throw new Error(`reference: dim ${dim} out of range for ${ndim} dims`);
  return dim < 0 ? dim + range : dim;
}

/** Reduction dims as sorted non-negative dims (undefined: all). */
export function normDims(dims: number | readonly number[] | undefined, ndim: number): number[] {
  if (ndim === 0) return [];
  if (dims === undefined) return Array.from({ length: ndim }, (_, d) => d);
  const list = typeof dims === "number" ? [dims] : dims;
  return [...new Set(list.map((d) => normDim(d, ndim)))].sort((a, b) => a - b);
}

/** The broadcast shape of several shapes, by NumPy's rule. */
export function broadcastShape(shapes: readonly (readonly number[])[]): number[] {
  const n = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(n).fill(1);
  for (const s of shapes) {
    s.forEach((size, d) => {
      const k = n - s.length + d;
      if (size !== 1) out[k] = size;
    });
  }
  return out;
}

/** f applied to each element. */
export function mapRef(x: Tensor, f: (v: number) => number): Ref {
  return { shape: [...x.shape], values: valuesOf(x).map(f) };
}

/** f applied to broadcast operands (tensors or numbers). */
export function zipRef(operands: readonly (Tensor | number)[], f: (...v: number[]) => number): Ref {
  const shape = broadcastShape(operands.map((o) => (typeof o === "number" ? [] : o.shape)));
  const values = allIndices(shape).map((index) =>
    f(...operands.map((o) => (typeof o === "number" ? o : read(o, broadcastIndex(index, o.shape))))),
  );
  return { shape, values };
}

/** f over the values of each reduced lane (dims normalized), keeping or dropping the reduced dims. */
export function reduceRef(x: Tensor, dims: readonly number[], keepdim: boolean, f: (lane: number[]) => number): Ref {
  const keptShape = x.shape.map((s, d) => (dims.includes(d) ? 1 : s));
  const values = allIndices(keptShape).map((outIndex) => {
    const laneShape = x.shape.map((s, d) => (dims.includes(d) ? s : 1));
    return f(allIndices(laneShape).map((li) => read(x, outIndex.map((o, d) => (dims.includes(d) ? li[d]! : o)))));
  });
  return { shape: keepdim ? keptShape : x.shape.filter((_, d) => !dims.includes(d)), values };
}

/** Values at each index of `shape`, given by `f`. */
export function buildRef(shape: readonly number[], f: (index: number[]) => number, dtype?: DType): Ref {
  return { shape: [...shape], values: allIndices(shape).map(f), ...(dtype ? { dtype } : {}) };
}

/** erf by its everywhere-positive series erf x = 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (2n+1)!!. */
export function erfRef(x: number): number {
  if (Math.abs(x) > 5) return Math.sign(x);
  let term = x;
  let acc = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-18 * Math.abs(acc); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    acc += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * acc;
}

// ---------------------------------------------------------------- arbitraries

/**
 * Shapes of up to 4 dims of sizes 1..3 (or as `options` say): half from fast-check's biased
 * draw (small shapes, 0-d and size-1 edge cases first), half unbiased (larger shapes too).
 */
export function shapes(options: ShapeOptions = {}): fc.Arbitrary<number[]> {
  return fc.oneof(coreShapes(options), fc.noBias(coreShapes(options)));
}

/** `n` shapes that broadcast together (see `shapes` for the mix of biased and unbiased draws). */
export function broadcastShapes(n: number, options: ShapeOptions = {}): fc.Arbitrary<number[][]> {
  return fc.oneof(broadcastableShapes(n, options), fc.noBias(broadcastableShapes(n, options)));
}

/** Storage holding `values` as `dtype`. */
function storage(dtype: DType, values: readonly number[]): Storage {
  if (dtype === "float64") return Float64Array.from(values);
  if (dtype === "float32") return Float32Array.from(values);
  if (dtype === "int32") return Int32Array.from(values);
  return Uint8Array.from(values);
}

/** A contiguous tensor of `shape` with row-major `values` (built by hand, no kernels). */
export function fromValues(shape: readonly number[], values: readonly number[], dtype: DType = "float64", requiresGrad = false): Tensor {
  return new Tensor(NDArray.fromStorage(storage(dtype, values), shape), requiresGrad);
}

/** Options of `valued`. */
export interface ValuedOptions {
  dtype?: DType;
  layouts?: readonly LayoutKind[];
  requiresGrad?: boolean;
}

/** Tensors of `shape` whose row-major values come from `values`, in a random distinct-memory layout. */
export function valued(shape: readonly number[], values: fc.Arbitrary<number[]>, options: ValuedOptions = {}): fc.Arbitrary<Tensor> {
  const dtype = options.dtype ?? "float64";
  const requiresGrad = options.requiresGrad ?? dtype === "float64";
  return values.chain((vals) =>
    relayout(NDArray.fromStorage(storage(dtype, vals), shape), options.layouts ?? DISTINCT_LAYOUTS).map((a) => new Tensor(a, requiresGrad)),
  );
}

/** `n` values from `one`. */
export const arrayOf = (one: fc.Arbitrary<number>, n: number): fc.Arbitrary<number[]> => fc.array(one, { minLength: n, maxLength: n });

/** A double in [min, max]. */
export const real = (min: number, max: number): fc.Arbitrary<number> => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

/**
 * Values on a grid of spacing 0.3 shifted by `phase` (plus a jitter under 0.04): values of
 * different phases (0.05, 0.15, 0.25) are at least 0.06 apart, so maximum/minimum/clamp never tie.
 */
export const gridValue = (phase: number): fc.Arbitrary<number> =>
  fc.tuple(fc.integer({ min: -6, max: 6 }), real(0, 0.04)).map(([k, j]) => 0.3 * k + phase + j);

/** Tensors of `shape` with grid values of one phase (see `gridValue`). */
export const gridTensor = (shape: readonly number[], phase: number, options: ValuedOptions = {}): fc.Arbitrary<Tensor> =>
  valued(shape, arrayOf(gridValue(phase), count(shape)), options);

/**
 * Tensors of `shape` whose values are a random permutation of an evenly spaced grid (with a
 * jitter under a quarter step): all distinct and well apart, so reductions never tie.
 */
export function distinctTensor(shape: readonly number[], options: ValuedOptions = {}): fc.Arbitrary<Tensor> {
  const n = count(shape);
  const step = 3 / Math.max(n, 2);
  const ranks = Array.from({ length: n }, (_, k) => k);
  const values = fc
    .tuple(fc.shuffledSubarray(ranks, { minLength: n, maxLength: n }), arrayOf(real(0, step / 4), n))
    .map(([perm, jitter]) => perm.map((r, k) => (r - (n - 1) / 2) * step + jitter[k]!));
  return valued(shape, values, options);
}

/** A JS number from `domain`, shifted away from its kinks. */
export function scalar(domain: GradDomain): fc.Arbitrary<number> {
  return real(domain.min, domain.max).map((v) => {
    let x = v;
    for (const k of domain.avoid ?? []) {
      const gap = domain.gap ?? 0.1;
      if (Math.abs(x - k) < gap) x = x >= k ? k + gap : k - gap;
    }
    return x;
  });
}

/** A dim of an `ndim`-d tensor, negative half the time (0-d tensors accept 0 and -1). */
export function dimArb(ndim: number): fc.Arbitrary<number> {
  const range = Math.max(ndim, 1);
  return fc.integer({ min: -range, max: range - 1 });
}

/** Reduction dims: undefined (all), one dim, or a list of distinct dims (each maybe negative). */
export function dimsArb(ndim: number): fc.Arbitrary<number | number[] | undefined> {
  if (ndim === 0) return fc.constantFrom<number | number[] | undefined>(undefined, 0, -1);
  const all = Array.from({ length: ndim }, (_, d) => d);
  const list = fc
    .tuple(fc.shuffledSubarray(all, { minLength: 1 }), arrayOf(fc.boolean().map(Number), ndim))
    .map(([ds, neg]) => ds.map((d, k) => (neg[k] ? d - ndim : d)));
  return fc.oneof(fc.constant(undefined), dimArb(ndim), list);
}

/** A shape that broadcasts to `full`: a suffix of it with some sizes replaced by 1. */
export function broadcastsTo(full: readonly number[]): fc.Arbitrary<number[]> {
  return fc
    .tuple(fc.integer({ min: 0, max: full.length }), arrayOf(fc.boolean().map(Number), full.length))
    .map(([drop, ones]) => full.slice(drop).map((s, d) => (ones[d + drop] ? 1 : s)));
}

/** Int32 index tensors of `shape` with values in [0, bound). */
export function indexTensor(shape: readonly number[], bound: number, layouts?: readonly LayoutKind[]): fc.Arbitrary<Tensor> {
  return valued(shape, arrayOf(fc.integer({ min: 0, max: bound - 1 }), count(shape)), { dtype: "int32", ...(layouts ? { layouts } : {}) });
}

/** Bool tensors of `shape`. */
export function boolTensor(shape: readonly number[]): fc.Arbitrary<Tensor> {
  return valued(shape, arrayOf(fc.boolean().map(Number), count(shape)), { dtype: "bool" });
}

/** A GradDomain in words. */
export function domainText(d: GradDomain): string {
  return `[${d.min}, ${d.max}]${d.avoid ? ` away from ${d.avoid.join(", ")} by ${d.gap ?? 0.1}` : ""}`;
}
