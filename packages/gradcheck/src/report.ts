/**
 * @file GradcheckError: the failure report of gradcheck, naming the output, the input, the
 * element (as a multi-index), the analytic and numeric values and the error, so a wrong
 * backward rule can be found from the message alone.
 */

/** Where and how far an analytic gradient missed its numeric estimate. */
export interface Mismatch {
  output: number;
  input: number;
  outputIndex: readonly number[];
  inputIndex: readonly number[];
  analytic: number;
  numeric: number;
}

/** Thrown by gradcheck/gradgradcheck when a check fails; `mismatch` holds the first bad element. */
export class GradcheckError extends Error {
  constructor(
    message: string,
    readonly mismatch: Mismatch | null = null,
  ) {
    super(message);
    this.name = "GradcheckError";
  }
}

const fmtIndex = (index: readonly number[]) => `[${index.join(",")}]`;

/** The message for a Jacobian entry outside tolerance. */
export function mismatchMessage(m: Mismatch, atol: number, rtol: number, what = "gradient"): string {
  const err = Math.abs(m.analytic - m.numeric);
  return (
    `gradcheck: ${what} of output ${m.output} with respect to input ${m.input} is wrong at ` +
    `output element ${fmtIndex(m.outputIndex)}, input element ${fmtIndex(m.inputIndex)}: ` +
    `analytic ${m.analytic} vs numeric ${m.numeric} (|error| ${err.toPrecision(4)} > atol ${atol} + rtol ${rtol} * |numeric|)`
  );
}
