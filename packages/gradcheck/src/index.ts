/**
 * @file Public entry of @typegrad/gradcheck: gradcheck, gradgradcheck, their error report,
 * fast-check arbitraries for tensors, and the op-info table that drives typegrad's own tests.
 */
export { gradcheck, gradgradcheck, type GradcheckOptions } from "./gradcheck.js";
export { GradcheckError, type Mismatch } from "./report.js";
export { localRandom, numericJacobian, vjp, type Checked } from "./jacobian.js";
export * from "./arbitraries.js";
export { OP_INFOS, type OpInfo, type OpSample, type Ref } from "./opinfo/index.js";
