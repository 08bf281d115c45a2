/**
 * @file Assertions shared by this package's tests (not exported): compare an NDArray with
 * reference values element by element, with a tolerance that suits its dtype.
 */
import { expect } from "vitest";
import type { NDArray } from "./ndarray.js";
import { logicalValues } from "./testing/reference.js";

/** Tolerances: float64 compares to ~1e-12, float32 to float32 rounding, integers exactly. */
export function toleranceFor(dtype: NDArray["dtype"]): { atol: number; rtol: number } {
  if (dtype === "float64") return { atol: 1e-12, rtol: 1e-12 };
  if (dtype === "float32") return { atol: 1e-6, rtol: 1e-5 };
  return { atol: 0, rtol: 0 };
}

/**
 * Expects `got` to have `shape` and, element by element in row-major order, to equal `want`
 * within `|got - want| <= atol + rtol * |want|` (NaN matches NaN, infinities match exactly).
 */
export function expectValues(got: NDArray, shape: readonly number[], want: readonly number[], tol = toleranceFor(got.dtype)): void {
  expect(got.shape).toEqual(shape);
  const values = logicalValues(got);
  expect(values.length).toBe(want.length);
  values.forEach((g, i) => {
    const w = want[i]!;
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      expect(g, `element ${i}`).toBe(w);
      return;
    }
    const err = Math.abs(g - w);
    if (!(err <= tol.atol + tol.rtol * Math.abs(w))) {
      expect.fail(`element ${i} of shape [${shape.join(",")}]: got ${g}, want ${w} (|diff| ${err})`);
    }
  });
}
