/**
 * @file Inverted dropout: in training, each element is zeroed with probability p and the rest
 * are scaled by 1/(1-p), so evaluation needs no rescaling. The mask comes from the seeded
 * generator (`manualSeed`), so a seeded run is reproducible.
 */
import { fromArray, type Tensor } from "@typegrad/autograd";
import * as K from "@typegrad/tensor";

/** Zeroes elements with probability `p` when `training`. Matches `F.dropout`. */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: probability must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const keep = K.bernoulli(1 - p, x.shape, { dtype: x.dtype.startsWith("float") ? x.dtype : "float32" });
  return x.mul(fromArray(K.mul(keep, 1 / (1 - p))));
}
