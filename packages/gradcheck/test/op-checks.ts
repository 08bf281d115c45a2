/**
 * @file Helpers of the all-ops suite: relayout of a sample's inputs for the forward property
 * (any layout, expanded included: a collapsed copy broadcast back with stride 0), the
 * comparison of outputs with a naive reference, and the per-op run counts.
 */
import fc from "fast-check";
import { Tensor } from "@typegrad/autograd";
import { NDArray, type DType, type Storage } from "@typegrad/tensor";
import { allIndices, at, LAYOUTS, relayout, type LayoutKind } from "@typegrad/tensor/testing";
import type { OpInfo, OpSample, Ref } from "../src/opinfo/index.js";

/** Runs per property when TYPEGRAD_NUM_RUNS is unset. */
export const DEFAULT_RUNS = { forward: 50, grad: 50, gradgrad: 50 } as const;

/** The run count of one property of an op. */
export const runsOf = (info: OpInfo, kind: keyof typeof DEFAULT_RUNS): number => info.runs?.[kind] ?? DEFAULT_RUNS[kind];

function storage(dtype: DType, values: readonly number[]): Storage {
  if (dtype === "float64") return Float64Array.from(values);
  if (dtype === "float32") return Float32Array.from(values);
  if (dtype === "int32") return Int32Array.from(values);
  return Uint8Array.from(values);
}

/**
 * `t` in a random layout among `kinds`, same dtype and requiresGrad. An expanded layout keeps
 * index 0 of some dims and repeats it with stride 0, so its values are a subset of t's (they
 * stay in the op's domain and indices in bounds).
 */
export function anyLayout(t: Tensor, kinds: readonly LayoutKind[]): fc.Arbitrary<Tensor> {
  const shape = [...t.shape];
  const wrap = (a: NDArray) => new Tensor(a, t.requiresGrad);
  return fc.constantFrom(...kinds).chain((kind) => {
    if (kind !== "expanded") {
      const flat = NDArray.fromStorage(storage(t.dtype, allIndices(shape).map((i) => at(t.array, i))), shape);
      return relayout(flat, [kind]).map(wrap);
    }
    return fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }).map((stretch) => {
      const base = shape.map((s, d) => (stretch[d] ? 1 : s));
      const values = allIndices(base).map((i) => at(t.array, i));
      return wrap(NDArray.fromStorage(storage(t.dtype, values), base).expand(shape));
    });
  });
}

/** Samples of `info` whose inputs are relaid out for the forward property. */
export function forwardSamples(info: OpInfo): fc.Arbitrary<OpSample> {
  const kinds = info.forwardLayouts ?? LAYOUTS;
  return info.sample.chain((s) => fc.tuple(...s.inputs.map((t) => anyLayout(t, kinds))).map((inputs) => s.withInputs(inputs)));
}

const close = (got: number, want: number) =>
  Object.is(got, want) || got === want || Math.abs(got - want) <= 1e-10 + 1e-8 * Math.abs(want) || (Number.isNaN(got) && Number.isNaN(want));

/** Throws unless `got` matches `want`: same shape (and dtype when given), values within 1e-10 + 1e-8 |want|. */
export function expectMatches(got: Tensor | readonly Tensor[], want: Ref | readonly Ref[]): void {
  const gots = got instanceof Tensor ? [got] : got;
  const wants = Array.isArray(want) ? (want as readonly Ref[]) : [want as Ref];
  if (gots.length !== wants.length) throw new Error(`forward: ${gots.length} outputs, the reference has ${wants.length}`);
  gots.forEach((g, k) => {
    const w = wants[k]!;
    const shape = `[${g.shape.join(",")}]`;
    if (shape !== `[${w.shape.join(",")}]`) throw new Error(`forward: output ${k} has shape ${shape}, the reference [${w.shape.join(",")}]`);
    const dtype = w.dtype ?? "float64";
    if (g.dtype !== dtype) throw new Error(`forward: output ${k} is ${g.dtype}, expected ${dtype}`);
    allIndices(g.shape).forEach((index, j) => {
      const v = Number(at(g.array, index));
      if (!close(v, w.values[j]!)) {
        throw new Error(`forward: output ${k} at [${index.join(",")}] is ${v}, the reference ${w.values[j]} (|error| ${Math.abs(v - w.values[j]!)})`);
      }
    });
  });
}
