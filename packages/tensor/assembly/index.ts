/** @file Entry of the WebAssembly kernels: the exports the host (src/backend/) calls. */
export { heapBase, relaxed, work, runAll, KC } from "./gemm";
export { binary, geluCdf, geluGradCdf, unary, unaryGrad } from "./maps";
export { softmaxRows, softmaxBackwardRows } from "./softmax";
export { layerNormRows, layerNormBackwardRows } from "./layernorm";
export { sumRows } from "./reduce";
export { adamStep } from "./adam";
