/**
 * @file Movement ops: views (reshape, view, permute, expand, slice, asStrided) and the copies
 * contiguous and cat. Views share storage with their input; their gradients route the
 * incoming gradient back to the input's layout. slice and asStrided have "scatter back"
 * counterparts (sliceBackward, asStridedBackward) whose rules are the views again, so every
 * rule here is differentiable any number of times.
 */
import * as K from "@typegrad/tensor";
import type { NDArray } from "@typegrad/tensor";
import { defineOp, type PrimitiveOp } from "./define.js";

type ReshapeParams = { shape: readonly number[]; like?: readonly number[] };

/**
 * Same elements, new shape (a view when the strides allow). `like` (strides of the new shape)
 * lays a copy out in that memory order: gradients take their input's order, so the gradient of
 * a transposed tensor stays transposed and is not copied again downstream.
 */
export const reshape: PrimitiveOp<ReshapeParams> = defineOp<ReshapeParams>({
  name: "reshape",
  forward: ([x], { shape, like }) => (like ? x!.reshapeLike(shape, like) : x!.reshape(shape)),
  // elements are unchanged, only regrouped
  backward: (g, { inputShapes: [shape], inputStrides: [like] }) => [reshape.apply([g], { shape: shape!, like: like! })],
});

/** Same elements, new shape, always a view (throws when the strides do not allow one). */
export const view = defineOp<{ shape: readonly number[] }>({
  name: "view",
  forward: ([x], { shape }) => x!.view(shape),
  backward: (g, { inputShapes: [shape], inputStrides: [like] }) => [reshape.apply([g], { shape: shape!, like: like! })],
});

/** Dims reordered. */
export const permute = defineOp<{ dims: readonly number[] }>({
  name: "permute",
  forward: ([x], { dims }) => x!.permute(dims),
  backward: (g, { params: { dims } }) => {
    const n = dims.length;
    const inverse = new Array<number>(n);
    dims.forEach((d, k) => (inverse[d < 0 ? d + n : d] = k));
    return [g.permute(inverse)]; // undo the permutation
  },
});

/** Size-1 dims broadcast with stride 0. */
export const expand = defineOp<{ shape: readonly number[] }>({
  name: "expand",
  forward: ([x], { shape }) => x!.expand(shape),
  backward: (g) => [g], // identity: the engine sums the gradient back to the input's shape
});

/** Python-style slice along one dim (bounds already resolved: 0 <= start <= end <= size). */
export interface SliceParams {
  dim: number;
  start: number;
  end: number;
  step: number;
}

/** x[..., start:end:step, ...] */
export const slice = defineOp<SliceParams>({
  name: "slice",
  forward: ([x], { dim, start, end, step }) => x!.slice(dim, start, end, step),
  backward: (g, { params, inputShapes: [shape] }) => [sliceBackward.apply([g], { ...params, shape: shape! })],
});

/** Zeros of `shape` with `x` written into the slice: the gradient of slice. */
export const sliceBackward = defineOp<SliceParams & { shape: readonly number[] }>({
  name: "sliceBackward",
  forward: ([x], { dim, start, end, step, shape }) => {
    const out = K.zeros(shape, { dtype: x!.dtype });
    K.copy(out.slice(dim, start, end, step), x!);
    return out;
  },
  backward: (g, { params: { dim, start, end, step } }) => [g.slice(dim, start, end, step)],
});

/** A strided layout over a tensor's storage: shape, strides and offset. */
export interface Geometry {
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}

/** A view with an explicit layout over the input's storage. */
export const asStrided = defineOp<{ view: Geometry }>({
  name: "asStrided",
  save: { inputs: true },
  forward: ([x], { view }) => x!.asStrided(view.shape, view.strides, view.offset),
  backward: (g, { inputs: [x], params: { view } }) => {
    const input = { shape: x!.shape, strides: x!.array.strides, offset: x!.array.offset };
    return [asStridedBackward.apply([g], { from: view, to: input, storage: x!.array.data.length })];
  },
});

/** The layouts of an asStridedBackward: scatter as `from`, read back as `to`. */
export interface StridedScatter {
  from: Geometry;
  to: Geometry;
  storage: number;
}

/**
 * Scatters `x` (laid out as `from` over a zero storage of `storage` elements, summing where
 * positions repeat) and reads the result back as `to`: the gradient of asStrided, and its own
 * gradient with the two layouts swapped.
 */
export const asStridedBackward: PrimitiveOp<StridedScatter> = defineOp<StridedScatter>({
  name: "asStridedBackward",
  forward: ([x], { from, to, storage }) => {
    const buffer = K.zeros([storage], { dtype: x!.dtype });
    K.addAtStrided(buffer, x!, from.strides, from.offset);
    return buffer.asStrided(to.shape, to.strides, to.offset).clone();
  },
  backward: (g, { params: { from, to, storage } }) => [asStridedBackward.apply([g], { from: to, to: from, storage })],
});

/** A contiguous copy when needed (the input itself otherwise). */
export const contiguous = defineOp({
  name: "contiguous",
  forward: ([x]) => x!.contiguous(),
  backward: (g) => [g], // same elements, same shape
});

/** Tensors joined along an existing dim (normalized). */
export const cat = defineOp<{ dim: number }, readonly NDArray[]>({
  name: "cat",
  forward: (xs, { dim }) => K.concat(xs, dim),
  backward: (g, { inputShapes, params: { dim }, needsInputGrad }) => {
    // each input gets its own stretch of the gradient along dim
    let at = 0;
    return inputShapes.map((shape, i) => {
      const size = shape[dim]!;
      const piece = needsInputGrad[i] ? g.narrow(dim, at, size) : null;
      at += size;
      return piece;
    });
  },
});

/** A copy with its own storage. */
export const clone = defineOp({
  name: "clone",
  forward: ([x]) => x!.clone(),
  backward: (g) => [g],
});
