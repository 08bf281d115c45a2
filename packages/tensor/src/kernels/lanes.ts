/**
 * @file The lane driver behind reductions and softmax: the reduced dims are moved last (a
 * view), merged into one strided lane (a copy only when they cannot merge), and every kept
 * position visits its lane with `(data, offset, n, stride, outIndex)`; outIndex counts kept
 * positions in row-major order, so results land in a contiguous output.
 */
import type { Storage } from "../dtype.js";
import { coalesce, forEachRow, numel } from "../layout.js";
import type { NDArray } from "../ndarray.js";

/** A lane visitor: the lane's storage, first offset, length and stride, and the kept position's index. */
export type LaneVisitor = (data: Storage, offset: number, n: number, stride: number, outIndex: number) => void;

/** The lanes of `a` along some dims, with the result shapes. */
export interface LanePlan {
  /** Shape of the result without the reduced dims. */
  readonly keptShape: number[];
  /** Shape of the result with the reduced dims kept as size 1. */
  readonly keepdimShape: number[];
  /** Elements per lane. */
  readonly length: number;
  /** Whether the reduced dims are the leading ones (0, 1, ..., k - 1). */
  readonly leading: boolean;
  /** Visits every lane, kept positions in row-major order. */
  forEach(visit: LaneVisitor): void;
}

/** Plans the lanes of `a` along `dims` (sorted, distinct, normalized). */
export function planLanes(a: NDArray, dims: readonly number[]): LanePlan {
  const reduced = new Set(dims);
  const kept = a.shape.map((_, d) => d).filter((d) => !reduced.has(d));
  const keptShape = kept.map((d) => a.shape[d]!);
  const keepdimShape = a.shape.map((s, d) => (reduced.has(d) ? 1 : s));
  const length = numel(dims.map((d) => a.shape[d]!));
  let view = a.permute([...kept, ...dims]);
  let lane = coalesce(
    dims.map((d) => a.shape[d]!),
    [dims.map((d) => a.strides[d]!)],
  );
  if (lane.shape.length > 1) {
    view = view.contiguous();
    lane = { shape: [length], strides: [[1]] };
  }
  const stride = lane.shape.length === 0 ? 0 : lane.strides[0]![0]!;
  const keptLayout = { strides: view.strides.slice(0, kept.length), offset: view.offset };
  const data = view.data;
  return {
    keptShape,
    keepdimShape,
    length,
    leading: dims.every((d, i) => d === i),
    forEach(visit) {
      let outIndex = 0;
      forEachRow(keptShape, [keptLayout], (off, count, st) => {
        const step = st[0]!;
        for (let i = 0; i < count; i++) visit(data, off[0]! + i * step, length, stride, outIndex++);
      });
    },
  };
}

/** A lane-pair visitor: a source lane and the destination lane at the same kept position. */
export type LanePairVisitor = (src: Storage, si: number, ss: number, dst: Storage, di: number, ds: number, n: number) => void;

/** Visits the lanes along `dim` of `src` together with the matching lanes of `dst` (same shape). */
export function forEachLanePair(src: NDArray, dst: NDArray, dim: number, visit: LanePairVisitor): void {
  const keptShape = src.shape.filter((_, d) => d !== dim);
  const without = (strides: readonly number[]) => strides.filter((_, d) => d !== dim);
  const n = src.shape[dim] ?? 1;
  const ss = src.strides[dim] ?? 0;
  const ds = dst.strides[dim] ?? 0;
  const sd = src.data;
  const dd = dst.data;
  const operands = [
    { strides: without(src.strides), offset: src.offset },
    { strides: without(dst.strides), offset: dst.offset },
  ];
  forEachRow(keptShape, operands, (off, count, st) => {
    for (let i = 0; i < count; i++) visit(sd, off[0]! + i * st[0]!, ss, dd, off[1]! + i * st[1]!, ds, n);
  });
}
