/**
 * @file Layer normalization through the fused op (one pass for the statistics, one for the
 * output; the backward rule is closed-form).
 */
import { primitiveOps, type Tensor } from "@typegrad/autograd";

/** Normalizes over the trailing `normalizedShape` dims, then scales and shifts. Matches `F.layer_norm`. */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k === 0 || k > x.ndim || tail.some((s, d) => s !== normalizedShape[d])) {
    throw new RangeError(`layerNorm: input of shape [${x.shape.join(",")}] does not end with the normalized shape [${normalizedShape.join(",")}]`);
  }
  return primitiveOps.layerNorm.apply([x, weight ?? 1, bias ?? 0], { k, eps });
}
