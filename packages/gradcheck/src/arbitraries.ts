/**
 * @file fast-check arbitraries for gradient tests: the tensor core's shape/layout arbitraries
 * re-exported, plus `tensor(...)`, which yields autograd Tensors (float64 by default) with a
 * chosen layout and values from a safe domain. Domains shift values away from kinks instead
 * of filtering them out, so no run is wasted and shrinking stays simple.
 */
import fc from "fast-check";
import { Tensor } from "@typegrad/autograd";
import type { DType, Shape } from "@typegrad/tensor";
import { allIndices, DISTINCT_LAYOUTS, ndarrays, shapes, type LayoutKind } from "@typegrad/tensor/testing";

export {
  broadcastableShapes,
  dtypes,
  DISTINCT_LAYOUTS,
  LAYOUTS,
  ndarrays,
  relayout,
  shapes,
  type LayoutKind,
  type ShapeOptions,
} from "@typegrad/tensor/testing";

/**
 * A value range; `avoid` lists kinks (e.g. 0 for relu and abs): values closer than `gap` to a
 * kink are moved to `kink ± gap`.
 */
export interface GradDomain {
  min: number;
  max: number;
  avoid?: readonly number[];
  gap?: number;
}

/** Domains that keep common ops differentiable and well conditioned. */
export const DOMAINS = {
  /** Anywhere in [-2, 2]. */
  any: { min: -2, max: 2 },
  /** Positive: log, sqrt, rsqrt, reciprocal, pow bases. */
  positive: { min: 0.2, max: 3 },
  /** Away from 0: relu, abs, sign-dependent rules, divisors. */
  nonzero: { min: -2, max: 2, avoid: [0], gap: 0.1 },
  /** Inside (-1, 1): log1p inputs stay away from -1. */
  unit: { min: -0.8, max: 0.8 },
} as const satisfies Record<string, GradDomain>;

/** Options of `tensor`. */
export interface TensorArbitraryOptions {
  shape?: Shape | fc.Arbitrary<number[]>;
  dtype?: DType;
  domain?: GradDomain;
  layouts?: readonly LayoutKind[];
  requiresGrad?: boolean;
}

/** Moves `x` out of the `gap`-neighbourhood of each avoided point (keeping its side). */
export function shiftAway(x: number, domain: GradDomain): number {
  const gap = domain.gap ?? 0.1;
  let v = x;
  for (const k of domain.avoid ?? []) {
    if (Math.abs(v - k) < gap) v = v >= k ? k + gap : k - gap;
  }
  return v;
}

/**
 * Tensors with a random layout (distinct-memory layouts by default, safe for gradcheck) and
 * values from `domain`; float64 and requiring grad unless told otherwise.
 */
export function tensor(options: TensorArbitraryOptions = {}): fc.Arbitrary<Tensor> {
  const domain: GradDomain = options.domain ?? DOMAINS.any;
  const dtype = options.dtype ?? "float64";
  const requiresGrad = options.requiresGrad ?? dtype.startsWith("float");
  return ndarrays({
    shape: options.shape ?? shapes(),
    dtype,
    domain: { min: domain.min, max: domain.max },
    layouts: options.layouts ?? DISTINCT_LAYOUTS,
  }).map((array) => {
    if (domain.avoid && domain.avoid.length > 0) {
      // Shift in place through the view; an expanded layout writes a shared element more than
      // once, with the same value each time.
      allIndices(array.shape).forEach((index) => array.set(index, shiftAway(array.get(...index), domain)));
    }
    return new Tensor(array, requiresGrad);
  });
}
