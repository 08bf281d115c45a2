/**
 * @file Activation functions: thin, named forms of the Tensor methods, as
 * torch.nn.functional has them.
 */
import type { Tensor } from "@typegrad/autograd";

/** max(x, 0). Matches `F.relu`. */
export const relu = (x: Tensor): Tensor => x.relu();

/** GELU, exact or `approximate: "tanh"`. Matches `F.gelu`. */
export const gelu = (x: Tensor, options: { approximate?: "none" | "tanh" } = {}): Tensor => x.gelu(options);

/** tanh. Matches `torch.tanh`. */
export const tanh = (x: Tensor): Tensor => x.tanh();

/** The logistic function. Matches `torch.sigmoid`. */
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();

/** Softmax along `dim`. Matches `F.softmax`. */
export const softmax = (x: Tensor, dim: number): Tensor => x.softmax(dim);

/** Log-softmax along `dim`. Matches `F.log_softmax`. */
export const logSoftmax = (x: Tensor, dim: number): Tensor => x.logSoftmax(dim);
