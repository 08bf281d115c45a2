/**
 * @file `nn.functional`: the stateless forms of the layers (PyTorch's torch.nn.functional).
 */
export { gelu, logSoftmax, relu, sigmoid, softmax, tanh } from "./activation.js";
export { linear } from "./linear.js";
export { dropout } from "./dropout.js";
export { layerNorm } from "./normalization.js";
export { embedding } from "./embedding.js";
export { crossEntropy, mseLoss, nllLoss, type CrossEntropyOptions, type NllOptions, type Reduction } from "./loss.js";
export { maskedSoftmax, multiHeadAttentionForward, scaledDotProductAttention, type MhaForwardOptions, type SdpaOptions } from "./attention.js";
export { oneHot } from "@typegrad/autograd";
