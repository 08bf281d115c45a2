/**
 * @file Public entry of @typegrad/autograd: Tensor, factories, grad mode, the engine
 * (`autograd.grad`, backward), `defineOp` for custom ops, and the op table.
 */
import { backward, grad } from "./engine.js";
import { detectAnomaly, isAnomalyEnabled, setDetectAnomaly } from "./grad-mode.js";

export { Tensor, type HookHandle, type Operand } from "./tensor.js";
export * from "./factories.js";
export { cat, matmul, maximum, minimum, stack, where } from "./functional.js";
export { argmax, argmin, oneHot } from "./ops/nondiff.js";
export { enableGrad, isGradEnabled, noGrad, setGradEnabled, detectAnomaly, isAnomalyEnabled, setDetectAnomaly } from "./grad-mode.js";
export { sumTo, type BackwardOptions, type GradOptions } from "./engine.js";
export { defineOp, type OpContext, type OpSpec, type PrimitiveOp } from "./ops/define.js";
export { compositeOps, OP_NAMES, primitiveOps, type OpName, type PrimitiveName } from "./ops/index.js";
export type { ValuesIndices, VarOptions } from "./composite.js";
export { bumpVersion, markPrivate, releasePrivate, versionOf, type GradHook, type Node } from "./node.js";

/** The autograd namespace, PyTorch's `torch.autograd`: `grad`, `backward`, anomaly detection. */
export const autograd = { grad, backward, detectAnomaly, setDetectAnomaly, isAnomalyEnabled } as const;
