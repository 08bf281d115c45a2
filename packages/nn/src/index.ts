/**
 * @file Public entry of @typegrad/nn: Module and Parameter, the layers, `functional`, `init`,
 * and safetensors checkpoints (parse/serialize anywhere; load/save files on Node).
 */
export { Module, Parameter, type IncompatibleKeys, type LoadOptions } from "./module.js";
export { Identity, Linear, type LinearOptions } from "./modules/linear.js";
export { GELU, ReLU, Sigmoid, Softmax, Tanh } from "./modules/activation.js";
export { Dropout } from "./modules/dropout.js";
export { LayerNorm, type LayerNormOptions } from "./modules/normalization.js";
export { Embedding, type EmbeddingOptions } from "./modules/embedding.js";
export { ModuleDict, ModuleList, Sequential, type TensorLayer } from "./modules/container.js";
export {
  MultiHeadAttention,
  MultiheadAttention,
  type AttentionCallOptions,
  type MultiHeadAttentionOptions,
} from "./modules/attention.js";
export { TransformerEncoderLayer, type EncoderCallOptions, type TransformerEncoderLayerOptions } from "./modules/transformer.js";
export { CrossEntropyLoss, MSELoss } from "./modules/loss.js";
export * as functional from "./functional/index.js";
export * as init from "./init.js";
export { parseSafetensors, safetensorsMetadata, SafetensorsError, serializeSafetensors, type StateDict } from "./safetensors.js";
export { loadSafetensors, saveSafetensors, writeFileAtomic } from "./safetensors-node.js";
