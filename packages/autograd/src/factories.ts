/**
 * @file Tensor factories mirroring the tensor core's creation and random functions, with
 * `{ dtype, requiresGrad }` options. Only float tensors can require grad, as in PyTorch.
 */
import * as K from "@typegrad/tensor";
import type { DType, NDArray, NestedList, Shape, Storage } from "@typegrad/tensor";
import { Tensor } from "./tensor.js";

/** Options of every factory. */
export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

const wrap = (array: NDArray, options: TensorOptions) => new Tensor(array, options.requiresGrad ?? false);

/**
 * A tensor copied from nested arrays or a typed array (with `shape`); JS numbers give float32.
 * @example tensor([[1, 2], [3, 4]], { dtype: "float64", requiresGrad: true })
 * Matches `torch.tensor`.
 */
export function tensor(data: NestedList | readonly NestedList[] | Storage, options: TensorOptions & { shape?: Shape } = {}): Tensor {
  return wrap(K.array(data, options), options);
}

/** Zeros. Matches `torch.zeros`. */
export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  return wrap(K.zeros(shape, options), options);
}

/** Ones. Matches `torch.ones`. */
export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  return wrap(K.ones(shape, options), options);
}

/** A constant fill. Matches `torch.full`. */
export function full(shape: Shape, value: number | boolean, options: TensorOptions = {}): Tensor {
  return wrap(K.full(shape, value, options), options);
}

/** A range (int32 for integer arguments, else float32). Matches `torch.arange`. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  return wrap(K.arange(start, end, step, options), options);
}

/** Evenly spaced values, both ends included. Matches `torch.linspace`. */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  return wrap(K.linspace(start, end, steps, options), options);
}

/** The identity matrix. Matches `torch.eye`. */
export function eye(n: number, m: number = n, options: TensorOptions = {}): Tensor {
  return wrap(K.eye(n, m, options), options);
}

/** Uniform samples in [0, 1). Matches `torch.rand`. */
export function rand(shape: Shape, options: TensorOptions = {}): Tensor {
  return wrap(K.rand(shape, options), options);
}

/** Standard normal samples. Matches `torch.randn`. */
export function randn(shape: Shape, options: TensorOptions = {}): Tensor {
  return wrap(K.randn(shape, options), options);
}

/** Uniform integers in [low, high). Matches `torch.randint`. */
export function randint(low: number, high: number, shape: Shape, options: TensorOptions = {}): Tensor {
  return wrap(K.randint(low, high, shape, options), options);
}

/** Zeros shaped like `like` (its dtype unless given). Matches `torch.zeros_like`. */
export function zerosLike(like: Tensor, options: TensorOptions = {}): Tensor {
  return wrap(K.zerosLike(like.array, options), options);
}

/** Ones shaped like `like`. Matches `torch.ones_like`. */
export function onesLike(like: Tensor, options: TensorOptions = {}): Tensor {
  return wrap(K.onesLike(like.array, options), options);
}

/** A constant fill shaped like `like`. Matches `torch.full_like`. */
export function fullLike(like: Tensor, value: number | boolean, options: TensorOptions = {}): Tensor {
  return wrap(K.fullLike(like.array, value, options), options);
}

/** Uniform samples shaped like `like`. Matches `torch.rand_like`. */
export function randLike(like: Tensor, options: TensorOptions = {}): Tensor {
  return wrap(K.randLike(like.array, options), options);
}

/** Normal samples shaped like `like`. Matches `torch.randn_like`. */
export function randnLike(like: Tensor, options: TensorOptions = {}): Tensor {
  return wrap(K.randnLike(like.array, options), options);
}

/** Wraps an NDArray without copying (its storage is shared). */
export function fromArray(array: NDArray, options: Pick<TensorOptions, "requiresGrad"> = {}): Tensor {
  return wrap(array, options);
}

export { getRngState, manualSeed, setRngState, type RngState } from "@typegrad/tensor";
