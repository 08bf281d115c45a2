/** @file Entry of the WebAssembly kernels: the exports the host (src/backend/wasm.ts) calls. */
export { heapBase, relaxed, work, KC } from "./gemm";
