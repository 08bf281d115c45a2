/**
 * @file The affine map y = x W^T + b, one autograd node (autograd's `linear`). W^T is a
 * transposed view: the matmul reads it in place, and a [B, T, in] input folds into one product,
 * so the weight is packed once.
 */
import { primitiveOps, type Tensor } from "@typegrad/autograd";

/** x @ weight^T + bias, over the last dim of x. Matches `F.linear`. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2) throw new RangeError(`linear: weight must be 2-d [out, in], got shape [${weight.shape.join(",")}]`);
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new RangeError(`linear: input of shape [${x.shape.join(",")}] does not end with in_features ${weight.shape[1]}`);
  }
  return primitiveOps.linear.apply([x, weight, bias ?? 0], undefined);
}
