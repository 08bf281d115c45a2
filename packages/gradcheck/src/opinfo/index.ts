/**
 * @file The op-info table: one entry per differentiable op of @typegrad/autograd (primitives,
 * internal primitives and composites), typed over `OpName` so that an op without an entry does
 * not compile. Each entry samples inputs and arguments and gives a naive reference; the all-ops
 * suite (test/ops.test.ts) runs forward, gradcheck and gradgradcheck properties from it.
 */
import type { OpName } from "@typegrad/autograd";
import { BINARY_INFOS } from "./binary.js";
import type { OpInfo } from "./common.js";
import { INDEXING_INFOS } from "./indexing.js";
import { NORMALIZATION_INFOS } from "./normalization.js";
import { JOINING_INFOS } from "./joining.js";
import { REDUCE_INFOS } from "./reduce.js";
import { SELECTION_INFOS } from "./selection.js";
import { SLICING_INFOS } from "./slicing.js";
import { UNARY_INFOS } from "./unary.js";
import { VIEW_INFOS } from "./views.js";

export type { OpInfo, OpSample, Ref } from "./common.js";
export { describeTensor } from "./common.js";

/** Every differentiable op's test description. */
export const OP_INFOS: { [K in OpName]: OpInfo } = {
  ...UNARY_INFOS,
  ...BINARY_INFOS,
  ...SELECTION_INFOS,
  ...REDUCE_INFOS,
  ...VIEW_INFOS,
  ...SLICING_INFOS,
  ...JOINING_INFOS,
  ...INDEXING_INFOS,
  ...NORMALIZATION_INFOS,
};
