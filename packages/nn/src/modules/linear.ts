/**
 * @file Linear (y = x W^T + b, PyTorch's default init: W and b uniform in +-1/sqrt(in)) and
 * Identity.
 */
import type { Tensor } from "@typegrad/autograd";
import * as K from "@typegrad/tensor";
import { linear } from "../functional/linear.js";
import { fans, kaimingUniform_, uniform_ } from "../init.js";
import { Module, Parameter } from "../module.js";

/** Options of Linear. */
export interface LinearOptions {
  bias?: boolean;
  dtype?: "float32" | "float64";
}

/** An affine layer over the last dim. Matches `torch.nn.Linear`. */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [name, n] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) {
      if (!Number.isInteger(n) || n < 0) throw new RangeError(`Linear: ${name} must be a non-negative integer, got ${n}`);
    }
    const dtype = options.dtype ?? "float32";
    this.weight = this.registerParameter("weight", new Parameter(K.empty([outFeatures, inFeatures], dtype)));
    this.bias = this.registerParameter("bias", options.bias ?? true ? new Parameter(K.empty([outFeatures], dtype)) : null);
    this.resetParameters();
  }

  /** PyTorch's init: kaiming_uniform_(a = sqrt 5) for W, U(+-1/sqrt(fanIn)) for b. */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const fanIn = this.inFeatures === 0 ? 0 : fans(this.weight)[0];
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** Returns its input. Matches `torch.nn.Identity`. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
