/**
 * @file gradcheck must reject wrong backward rules: custom ops (defineOp) whose gradient is
 * off by a factor, transposed, blind to the incoming gradient, squared in it, or whose second
 * derivative has the wrong sign; each failure is a GradcheckError whose message locates it.
 * Also: fast mode catches the factor bug, float32 inputs warn, expanded inputs are rejected.
 */
import { describe, expect, it } from "vitest";
import * as K from "@typegrad/tensor";
import { defineOp, Tensor, tensor, type PrimitiveOp } from "@typegrad/autograd";
import { gradcheck, GradcheckError, gradgradcheck } from "../src/index.js";

const f64 = (data: number[][] | number[] | number) => tensor(data, { dtype: "float64", requiresGrad: true });

/** The GradcheckError `run` throws (failing the test if it throws nothing or something else). */
function rejection(run: () => unknown): GradcheckError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(GradcheckError);
    return e as GradcheckError;
  }
  throw new Error("expected a GradcheckError, but the check passed");
}

/** y = 2x with the gradient 3g. */
const doubleOffByFactor = defineOp({
  name: "doubleOffByFactor",
  forward: ([x]) => K.mul(x!, 2),
  backward: (g) => [g.mul(3)],
});

/** y = a * b whose gradient for b is 3x too large at element [1,0] only. */
const factor = tensor([[1, 1], [3, 1]], { dtype: "float64" });
const mulWrongAt10 = defineOp({
  name: "mulWrongAt10",
  save: { inputs: true },
  forward: ([a, b]) => K.mul(a!, b!),
  backward: (g, { inputs: [a, b] }) => [g.mul(b!), g.mul(a!).mul(factor)],
});

/** y = a @ b; `transposed` returns (g b^T)^T for a, which has a's shape only because a is square. */
function matmulOp(transposed: boolean): PrimitiveOp {
  return defineOp({
    name: transposed ? "matmulTransposedGrad" : "matmulRight",
    save: { inputs: true },
    forward: ([a, b]) => K.matmul(a!, b!),
    backward: (g, { inputs: [a, b] }) => {
      const ga = g.matmul(b!.t());
      return [transposed ? ga.t() : ga, a!.t().matmul(g)];
    },
  });
}

/** y = sin x whose rule returns cos x whatever the incoming gradient. */
const sinIgnoringGrad = defineOp({
  name: "sinIgnoringGrad",
  save: { inputs: true },
  forward: ([x]) => K.sin(x!),
  backward: (_g, { inputs: [x] }) => [x!.cos()],
});

/** y = sin x whose rule squares the incoming gradient: right for one-hot gradients, not linear. */
const sinSquaringGrad = defineOp({
  name: "sinSquaringGrad",
  save: { inputs: true },
  forward: ([x]) => K.sin(x!),
  backward: (g, { inputs: [x] }) => [g.mul(g).mul(x!.cos())],
});

/** 3x^2 whose rule has the wrong sign: d/dx 3x^2 = 6x, here -6x. */
const threeSquaredWrongSign = defineOp({
  name: "threeSquaredWrongSign",
  save: { inputs: true },
  forward: ([x]) => K.mul(K.mul(x!, x!), 3),
  backward: (g, { inputs: [x] }) => [g.mul(x!).mul(-6)],
});

/** y = x^3 with a right first derivative (3x^2 g) whose own derivative is wrong. */
const cubeWrongSecond = defineOp({
  name: "cubeWrongSecond",
  save: { inputs: true },
  forward: ([x]) => K.mul(K.mul(x!, x!), x!),
  backward: (g, { inputs: [x] }) => [g.mul(threeSquaredWrongSign.apply([x!]))],
});

describe("gradcheck rejects wrong backward rules", () => {
  it("a gradient off by a factor", () => {
    const err = rejection(() => gradcheck((x) => doubleOffByFactor.apply([x]), [f64([[1, 2, 3], [4, 5, 6]])]));
    expect(err.mismatch).toMatchObject({ output: 0, input: 0, outputIndex: [0, 0], inputIndex: [0, 0], analytic: 3 });
    expect(err.mismatch!.numeric).toBeCloseTo(2, 6);
  });

  it("names the output, input, element indices, analytic and numeric values", () => {
    const a = f64([[1, 2], [3, 4]]);
    const b = f64([[0.5, -1], [2, 0.25]]);
    const err = rejection(() => gradcheck((x, y) => [x.mul(y), mulWrongAt10.apply([x, y])], [a, b]));
    const m = err.mismatch!;
    expect(m).toMatchObject({ output: 1, input: 1, outputIndex: [1, 0], inputIndex: [1, 0], analytic: 9 });
    expect(m.numeric).toBeCloseTo(3, 6);
    expect(err.message).toContain("output 1");
    expect(err.message).toContain("input 1");
    expect(err.message).toContain("output element [1,0]");
    expect(err.message).toContain("input element [1,0]");
    expect(err.message).toContain("analytic 9");
    expect(err.message).toContain(`numeric ${m.numeric}`);
  });

  it("a transposed gradient (square a, non-square b)", () => {
    const a = f64([[1, -2, 0.5], [0.3, 2, -1], [1.5, 0.7, -0.4]]);
    const b = f64([[1, 2], [-0.5, 0.25], [3, -1]]);
    expect(gradcheck((x, y) => matmulOp(false).apply([x, y]), [a, b])).toBe(true);
    const err = rejection(() => gradcheck((x, y) => matmulOp(true).apply([x, y]), [a, b]));
    expect(err.mismatch).toMatchObject({ input: 0 });
  });

  it("a rule ignoring the incoming gradient (Jacobian check, and linearity check on one element)", () => {
    const err = rejection(() => gradcheck((x) => sinIgnoringGrad.apply([x]), [f64([0.3, -1.2, 2])]));
    expect(err.mismatch).not.toBeNull();
    // One element: a one-hot gradient is 1, so only linearity in the gradient shows the bug.
    const one = rejection(() => gradcheck((x) => sinIgnoringGrad.apply([x]), [f64(0.7)]));
    expect(one.message).toMatch(/not linear in the incoming gradient/);
  });

  it("a rule squaring the incoming gradient (linearity check)", () => {
    const err = rejection(() => gradcheck((x) => sinSquaringGrad.apply([x]), [f64([[0.3, -1.2, 2], [1, 0.1, -0.5]])]));
    expect(err.mismatch).toBeNull();
    expect(err.message).toMatch(/not linear in the incoming gradient/);
  });

  it("a wrong sign in a second derivative: gradgradcheck rejects it, gradcheck does not", () => {
    const x = f64([[0.5, -1.5], [2, 0.8]]);
    const cube = (t: Tensor) => cubeWrongSecond.apply([t]);
    expect(gradcheck(cube, [x])).toBe(true);
    const err = rejection(() => gradgradcheck(cube, [x]));
    expect(err.mismatch).toMatchObject({ input: 0 });
    expect(err.mismatch!.analytic).toBeCloseTo(-err.mismatch!.numeric, 4);
  });
});

describe("gradcheck options and input validation", () => {
  it("fastMode catches the factor bug through a random projection", () => {
    const x = f64([[1, 2, 3], [4, 5, 6]]);
    const err = rejection(() => gradcheck((t) => doubleOffByFactor.apply([t]), [x], { fastMode: true }));
    expect(err.message).toMatch(/random projection/);
    expect(err.mismatch!.analytic / err.mismatch!.numeric).toBeCloseTo(1.5, 4);
    expect(gradcheck((t) => t.mul(2), [x], { fastMode: true })).toBe(true);
  });

  it("warns about a float32 input", () => {
    const warnings: string[] = [];
    const x = tensor([1, 2, 3], { dtype: "float32", requiresGrad: true });
    const y = f64([1, 2, 3]);
    const ok = gradcheck((a, b) => a.mul(2).add(b), [x, y], { warn: (m) => warnings.push(m), eps: 1e-2, atol: 1e-2, rtol: 1e-2 });
    expect(ok).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/input 0 is float32/);
  });

  it("rejects an expanded (stride-0) input", () => {
    const x = new Tensor(K.array([1, 2, 3], { dtype: "float64" }).reshape([1, 3]).expand([2, 3]), true);
    const err = rejection(() => gradcheck((t) => t.mul(2), [x]));
    expect(err.message).toMatch(/input 0 has overlapping memory/);
  });
});
