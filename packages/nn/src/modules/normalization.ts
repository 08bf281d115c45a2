/** @file LayerNorm: normalization over the trailing dims with a learned scale (ones) and shift (zeros). */
import type { Tensor } from "@typegrad/autograd";
import * as K from "@typegrad/tensor";
import { layerNorm } from "../functional/normalization.js";
import { Module, Parameter } from "../module.js";

/** Options of LayerNorm. */
export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  dtype?: "float32" | "float64";
}

/** Layer normalization. Matches `torch.nn.LayerNorm`. */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape.slice();
    if (this.normalizedShape.length === 0 || this.normalizedShape.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new RangeError(`LayerNorm: normalizedShape must be positive sizes, got [${this.normalizedShape.join(",")}]`);
    }
    this.eps = options.eps ?? 1e-5;
    const dtype = options.dtype ?? "float32";
    const affine = options.elementwiseAffine ?? true;
    this.weight = this.registerParameter("weight", affine ? new Parameter(K.ones(this.normalizedShape, { dtype })) : null);
    this.bias = this.registerParameter("bias", affine ? new Parameter(K.zeros(this.normalizedShape, { dtype })) : null);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}
