/**
 * @file `tg.nn`: @typegrad/nn plus `tg.nn.utils` (gradient clipping, defined in
 * @typegrad/optim, exposed where PyTorch keeps it: torch.nn.utils).
 */
export * from "@typegrad/nn";
export * as utils from "./nn-utils.js";
