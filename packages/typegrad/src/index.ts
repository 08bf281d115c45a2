/**
 * @file `import * as tg from "typegrad"`: the one import a user needs. Re-exports
 * @typegrad/autograd at the top level (Tensor, factories, noGrad, autograd.grad, defineOp,
 * ...), the gradient checkers of @typegrad/gradcheck, `tg.nn` (with `tg.nn.functional`,
 * `tg.nn.init`, `tg.nn.utils`) and `tg.optim` (with `tg.optim.lrScheduler`).
 */
export * from "@typegrad/autograd";
export { gradcheck, gradgradcheck, GradcheckError, type GradcheckOptions } from "@typegrad/gradcheck";
export * as nn from "./nn.js";
export * as optim from "@typegrad/optim";
export { backendInfo, getBackend, getNumThreads, setBackend, setNumThreads } from "@typegrad/tensor";
