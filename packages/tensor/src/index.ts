/**
 * @file Public entry of @typegrad/tensor: the strided NDArray, its creation functions, seeded
 * randomness, and the kernels (free functions over NDArrays). No gradients live here.
 */
export { DTYPES, DEFAULT_FLOAT, isFloating, promoteTypes, promoteWithScalar, type DType, type Storage, type StorageOf } from "./dtype.js";
export {
  emptyStorageCache,
  openAllocationScope,
  ownsBuffer,
  releaseStorage,
  setStorageCacheLimit,
  storageCacheInfo,
  type AllocationScope,
} from "./storage.js";
export {
  broadcastShapes,
  broadcastStrides,
  contiguousStrides,
  flattenShape,
  isContiguousLayout,
  normalizeDim,
  normalizeDims,
  numel,
  resolveIndex,
  resolveNarrow,
  resolveSlice,
  viewStrides,
  forEachRow,
  type Operand as StridedOperand,
  type ResolvedSlice,
  type Shape,
} from "./layout.js";
export { NDArray, type NestedList } from "./ndarray.js";
export { array, arange, empty, eye, full, fullLike, linspace, ones, onesLike, zeros, zerosLike, type CreateOptions } from "./create.js";
export {
  bernoulli,
  getRngState,
  manualSeed,
  rand,
  randint,
  randLike,
  randn,
  randnLike,
  randperm,
  setRngState,
  type RandomOptions,
  type RngState,
} from "./random.js";
export { formatNDArray } from "./format.js";
export {
  abs, add, clamp, copy, cos, div, eq, erf, exp, fill, ge, gelu, geluBackward, geluBackwardFromCdf, geluKeepingCdf, geluTanh, geluTanhBackward, gt, le, log, log1p, logicalAnd, logicalNot,
  logicalOr, logicalXor, lt, maskedFill, maximum, minimum, mul, ne, neg, pow, reciprocal, relu, rsqrt, sigmoid,
  sign, sin, sqrt, square, sub, tanh, where, type Operand,
} from "./kernels/map.js";
export { resultType } from "./kernels/elementwise.js";
export {
  amax, amin, argmax, argmin, logsumexp, maxDim, mean, minDim, prod, std, sum, variance,
  type Dims, type ValuesIndices, type VarOptions,
} from "./kernels/reduce.js";
export { matmul, type MatmulOptions } from "./kernels/matmul.js";
export { adamStep, type AdamStepCoefficients } from "./kernels/adam.js";
export { backendInfo, getBackend, getNumThreads, setBackend, setNumThreads, type BackendInfo, type BackendName } from "./backend/index.js";
export { layerNorm, layerNormBackward, type LayerNormGrads } from "./kernels/normalization.js";
export { logSoftmax, logSoftmaxBackward, softmax, softmaxBackward } from "./kernels/softmax.js";
export { addAtStrided, chunk, concat, gather, indexSelect, oneHot, scatterAdd, split, stack, tril, triu } from "./kernels/indexing.js";
export * as scalar from "./kernels/scalar.js";
