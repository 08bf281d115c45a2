/**
 * @file The learning-rate schedulers as one namespace (`optim.lrScheduler.StepLR`, PyTorch's
 * `torch.optim.lr_scheduler`). The base class is in ./scheduler-base.ts, OneCycleLR in
 * ./one-cycle-lr.ts, the others in ./schedulers.ts.
 */
export { LRScheduler, type SchedulerOptions, type SchedulerStateDict } from "./scheduler-base.js";
export { CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, MultiStepLR, SequentialLR, StepLR, type LrLambda } from "./schedulers.js";
export { OneCycleLR, type OneCycleLROptions, type OneCyclePhase } from "./one-cycle-lr.js";
