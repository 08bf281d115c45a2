/**
 * @file `import * as tg from "typegrad"`: the one import a user needs. Re-exports
 * @typegrad/autograd at the top level (Tensor, factories, noGrad, autograd.grad, defineOp,
 * ...) and the gradient checkers of @typegrad/gradcheck; nn and optim join with their issue.
 */
export * from "@typegrad/autograd";
export { gradcheck, gradgradcheck, GradcheckError, type GradcheckOptions } from "@typegrad/gradcheck";
