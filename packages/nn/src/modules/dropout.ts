/** @file Dropout: active in training mode only. */
import type { Tensor } from "@typegrad/autograd";
import { dropout } from "../functional/dropout.js";
import { Module } from "../module.js";

/** Zeroes elements with probability p in training, scaling the rest by 1/(1-p). Matches `torch.nn.Dropout`. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: probability must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
}
