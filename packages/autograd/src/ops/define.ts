/**
 * @file `defineOp`: one differentiable op, its forward (on NDArrays) and its backward rule (on
 * Tensors, so that `createGraph` yields higher-order gradients), side by side. Applying an op
 * runs the forward and, when grad mode is on and an input requires grad, records a Node.
 * Rules return gradients in the output's broadcast shape; the engine sums them to each
 * input's shape. Public: users define custom ops the same way (PyTorch's autograd.Function).
 */
import { isFloating, type NDArray } from "@typegrad/tensor";
import { isGradEnabled } from "../grad-mode.js";
import { Node, SavedTensor, type Edge, type InputMeta } from "../node.js";
import { Tensor } from "../tensor.js";

/** What an op's inputs are on the NDArray side: arrays, or JS numbers where the op allows them. */
export type ArrayInputs = readonly (NDArray | number)[];

/** The Tensor-side inputs matching `In`: an NDArray slot takes a Tensor, a number slot a number. */
export type TensorInputs<In extends ArrayInputs> = {
  readonly [K in keyof In]: In[K] extends NDArray ? Tensor : In[K] extends number ? number : Tensor | number;
};

/** What a backward rule sees. */
export interface OpContext<P, In extends ArrayInputs = readonly NDArray[]> {
  /** The inputs as given to the op (tensors version-checked); only when the op saves its inputs. */
  readonly inputs: TensorInputs<In>;
  /** The op's output; only when the op saves it. */
  readonly output: Tensor;
  /** The op's non-tensor arguments. */
  readonly params: P;
  /** Whether each input needs a gradient (a rule may return null for the others). */
  readonly needsInputGrad: readonly boolean[];
  /** Shape of each input (empty for a JS number). */
  readonly inputShapes: readonly (readonly number[])[];
  /** Strides of each input (empty for a JS number): its memory order, a layout hint. */
  readonly inputStrides: readonly (readonly number[])[];
  /** What the forward kept with `keep` (a by-product the rule would otherwise recompute), or null. */
  readonly kept: NDArray | null;
}

/** A differentiable op: forward on NDArrays, backward on Tensors. */
export interface OpSpec<P = void, In extends ArrayInputs = readonly NDArray[]> {
  /** The op's name, used in errors and anomaly reports. */
  readonly name: string;
  /** Values the backward rule needs; only saved values are kept alive and version-checked. */
  readonly save?: { readonly inputs?: boolean; readonly output?: boolean };
  /**
   * Computes the output from the input arrays. `keep` is given when the op is being recorded for
   * backward: an array passed to it reaches the rule as `kept` (it is the op's own, never shown to
   * anyone, so it is not version-checked).
   */
  forward(inputs: In, params: P, keep?: (value: NDArray) => void): NDArray;
  /** Gradient of each input given the output's gradient `grad` (null: no gradient). */
  backward(grad: Tensor, ctx: OpContext<P, In>): readonly (Tensor | null)[];
}

/** An op defined with `defineOp`: call `apply(inputs, params)`. */
export interface PrimitiveOp<P = void, In extends ArrayInputs = readonly NDArray[]> {
  readonly name: string;
  readonly spec: OpSpec<P, In>;
  /** Runs the op on tensors, recording the graph when needed. */
  apply(inputs: TensorInputs<In>, params: P): Tensor;
}

/**
 * Defines a differentiable op.
 * @example
 * const cube = defineOp({
 *   name: "cube",
 *   save: { inputs: true },
 *   forward: ([x]) => K.mul(K.mul(x, x), x),
 *   backward: (g, { inputs: [x] }) => [g.mul(x.square()).mul(3)], // d/dx x^3 = 3x^2
 * });
 * cube.apply([t], undefined);
 * Matches `torch.autograd.Function`.
 */
export function defineOp<P = void, In extends ArrayInputs = readonly NDArray[]>(spec: OpSpec<P, In>): PrimitiveOp<P, In> {
  return {
    name: spec.name,
    spec,
    apply: (inputs, params) => applyOp(spec, inputs, params),
  };
}

function applyOp<P, In extends ArrayInputs>(spec: OpSpec<P, In>, inputs: TensorInputs<In>, params: P): Tensor {
  const list = inputs as readonly (Tensor | number)[];
  const arrays: (NDArray | number)[] = new Array(list.length);
  let tracked = false;
  for (let i = 0; i < list.length; i++) {
    const x = list[i]!;
    if (typeof x === "number") arrays[i] = x;
    else {
      arrays[i] = x.array;
      if (x.requiresGrad) tracked = true;
    }
  }
  const recording = tracked && isGradEnabled();
  let kept: NDArray | null = null;
  const result = new Tensor(spec.forward(arrays as unknown as In, params, recording ? (value) => void (kept = value) : undefined));
  if (!recording || !isFloating(result.dtype)) return result;
  const next: Edge[] = list.map((x) => (typeof x === "number" || !x.requiresGrad ? null : (x.gradFn ?? x)));
  const meta: (InputMeta | null)[] = list.map((x) => (typeof x === "number" ? null : { shape: x.shape, dtype: x.dtype, strides: x.array.strides }));
  const node = new Node(spec as OpSpec<unknown>, params, next, meta, { shape: result.shape, dtype: result.dtype, strides: result.array.strides });
  if (spec.save?.inputs) node.savedInputs = list.map((x) => (typeof x === "number" ? x : new SavedTensor(x)));
  if (spec.save?.output) node.savedOutput = new SavedTensor(result);
  node.kept = kept;
  result.setGradFn(node);
  return result;
}
