/**
 * @file Naive element-by-element helpers for reference implementations in tests: every
 * multi-index of a shape, the broadcast source of an output index, and logical reads. They
 * use only index arithmetic (no kernels), so a kernel can be checked against them.
 */
import type { Shape } from "../layout.js";
import type { NDArray } from "../ndarray.js";

/** Every multi-index of `shape` in row-major order (one empty index for a 0-d shape). */
export function allIndices(shape: Shape): number[][] {
  let out: number[][] = [[]];
  for (const size of shape) {
    const next: number[][] = [];
    for (const prefix of out) for (let i = 0; i < size; i++) next.push([...prefix, i]);
    out = next;
  }
  return out;
}

/** The index into an operand of `shape` that broadcasting reads for output index `index`. */
export function broadcastIndex(index: readonly number[], shape: Shape): number[] {
  const lead = index.length - shape.length;
  return shape.map((size, d) => (size === 1 ? 0 : index[lead + d]!));
}

/** The logical element of `a` at `index`, read through its strides. */
export function at(a: NDArray, index: readonly number[]): number {
  let offset = a.offset;
  for (let d = 0; d < index.length; d++) offset += index[d]! * a.strides[d]!;
  return a.data[offset]!;
}

/** The logical elements of `a` in row-major order, read one by one through its strides. */
export function logicalValues(a: NDArray): number[] {
  return allIndices(a.shape).map((index) => at(a, index));
}
