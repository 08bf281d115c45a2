/**
 * @file Embedding lookup: rows of the weight at int32 indices. The gradient scatters back into
 * the rows (repeated indices accumulate); the `paddingIdx` row receives none, as in PyTorch.
 */
import { where, type Tensor } from "@typegrad/autograd";

/** weight[indices]: shape [...indices.shape, embeddingDim]. Matches `F.embedding`. */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx?: number | null): Tensor {
  if (indices.dtype !== "int32") throw new TypeError(`embedding: indices must be int32, got ${indices.dtype}`);
  if (weight.ndim !== 2) throw new RangeError(`embedding: weight must be 2-d [num, dim], got shape [${weight.shape.join(",")}]`);
  const flat = indices.reshape([-1]);
  const rows = weight.indexSelect(0, flat).reshape([...indices.shape, weight.shape[1]!]);
  if (paddingIdx === undefined || paddingIdx === null) return rows;
  const pad = paddingIdx < 0 ? paddingIdx + weight.shape[0]! : paddingIdx;
  // Same values, but positions holding the padding index read a detached weight: no gradient.
  const frozen = weight.detach().indexSelect(0, flat).reshape(rows.shape);
  return where(indices.eq(pad).unsqueeze(-1), frozen, rows);
}
