/** @file `tg.nn.utils`: PyTorch's torch.nn.utils gradient clipping. */
export { clipGradNorm_, clipGradValue_ } from "@typegrad/optim";
