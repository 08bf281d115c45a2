/**
 * @file Public entry of @typegrad/optim: the Optimizer base class, SGD, Adam, AdamW, the
 * learning-rate schedulers (also as the `lrScheduler` namespace, PyTorch's
 * `torch.optim.lr_scheduler`) and gradient clipping.
 */
export {
  Optimizer,
  type AnyOptimizer,
  type OptimizerOptions,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamStateDict,
  type SchedulerGroupFields,
  type StateValue,
} from "./optimizer.js";
export { SGD, type SGDOptions, type SGDState } from "./sgd.js";
export { Adam, AdamW, type AdamOptions, type AdamState } from "./adam.js";
export * from "./lr-scheduler.js";
export * as lrScheduler from "./lr-scheduler.js";
export { clipGradNorm_, clipGradValue_, type ClipGradNormOptions } from "./clip-grad.js";
