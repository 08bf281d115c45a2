/**
 * @file Activation layers (no parameters): ReLU, GELU, Tanh, Sigmoid, Softmax.
 */
import type { Tensor } from "@typegrad/autograd";
import { Module } from "../module.js";

/** max(x, 0). Matches `torch.nn.ReLU`. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** GELU, exact or `approximate: "tanh"`. Matches `torch.nn.GELU`. */
export class GELU extends Module {
  readonly approximate: "none" | "tanh";
  constructor(options: { approximate?: "none" | "tanh" } = {}) {
    super();
    this.approximate = options.approximate ?? "none";
    if (this.approximate !== "none" && this.approximate !== "tanh") throw new RangeError(`GELU: approximate must be "none" or "tanh", got ${JSON.stringify(this.approximate)}`);
  }
  forward(x: Tensor): Tensor {
    return x.gelu({ approximate: this.approximate });
  }
}

/** tanh. Matches `torch.nn.Tanh`. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** The logistic function. Matches `torch.nn.Sigmoid`. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/** Softmax along `dim`. Matches `torch.nn.Softmax`. */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.softmax(this.dim);
  }
}
