/** @file Loss modules: CrossEntropyLoss (class weights kept as a buffer, as PyTorch) and MSELoss. */
import type { Tensor } from "@typegrad/autograd";
import { crossEntropy, mseLoss, type CrossEntropyOptions, type Reduction } from "../functional/loss.js";
import { Module } from "../module.js";

/** Cross-entropy of logits against class indices or probabilities. Matches `torch.nn.CrossEntropyLoss`. */
export class CrossEntropyLoss extends Module {
  private readonly options: CrossEntropyOptions;
  constructor(options: CrossEntropyOptions = {}) {
    super();
    this.options = { ...options, weight: this.registerBuffer("weight", options.weight ?? null) };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.options);
  }
}

/** Mean squared error. Matches `torch.nn.MSELoss`. */
export class MSELoss extends Module {
  constructor(private readonly options: { reduction?: Reduction } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, this.options);
  }
}
