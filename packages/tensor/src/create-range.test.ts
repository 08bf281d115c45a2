/**
 * @file Tests of create.ts's ranges: `arange` against a naive loop (and PyTorch's int32 rule:
 * truncated start and step), `linspace` endpoints and PyTorch's special step counts, and `eye`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arange, eye, linspace } from "./create.js";
import type { DType } from "./dtype.js";
import { contiguousStrides, numel } from "./layout.js";
import type { NDArray } from "./ndarray.js";
import { expectValues } from "./test-helpers.js";
import { dtypes } from "./testing/arbitraries.js";
import { propertyConfig } from "./testing/config.js";

const EXACT = { atol: 0, rtol: 0 };

function expectContiguous(a: NDArray): void {
  expect(a.offset).toBe(0);
  expect(a.strides).toEqual(contiguousStrides(a.shape));
  expect(a.data.length).toBe(numel(a.shape));
}

const finiteDouble = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });

/** arange by the naive loop: start, start + step, ... while short of end (exact for dyadic args). */
function naiveArange(start: number, end: number, step: number): number[] {
  const out: number[] = [];
  for (let v = start; step > 0 ? v < end : v > end; v += step) out.push(v);
  return out;
}

describe("arange", () => {
  it("arange(n), arange(start, end) and arange(start, end, step) count like a loop; integers give int32", () => {
    fc.assert(
      fc.property(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 }), fc.integer({ min: 1, max: 7 }), (a, b, size) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const up = arange(lo, hi, size);
        expect(up.dtype).toBe("int32");
        const want = naiveArange(lo, hi, size);
        expectValues(up, [want.length], want, EXACT);
        if (hi > lo) {
          // hi === lo with a negative step is the separate [-0] shape test below.
          const down = naiveArange(hi, lo, -size);
          expectValues(arange(hi, lo, -size), [down.length], down, EXACT);
        }
        expectValues(arange(lo, hi), [hi - lo], naiveArange(lo, hi, 1), EXACT);
        const n = Math.abs(hi);
        expectValues(arange(n), [n], naiveArange(0, n, 1), EXACT);
      }),
      propertyConfig(),
    );
  });

  it("fractional arguments give float32 values of the naive loop (dyadic, so exact)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -80, max: 80 }), fc.integer({ min: -80, max: 80 }), fc.integer({ min: 1, max: 16 }), (a, b, s) => {
        const [start, end] = a <= b ? [a / 4, b / 4] : [b / 4, a / 4];
        const step = s / 8;
        fc.pre(!Number.isInteger(start) || !Number.isInteger(end) || !Number.isInteger(step));
        const up = arange(start, end, step);
        expect(up.dtype).toBe("float32");
        const want = naiveArange(start, end, step);
        expectValues(up, [want.length], want, EXACT);
        if (end > start) {
          const down = naiveArange(end, start, -step);
          expectValues(arange(end, start, -step), [down.length], down, EXACT);
        }
      }),
      propertyConfig(),
    );
  });

  it("has length ceil((end - start) / step) and values start + i * step for random doubles", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: 0.01, max: 50, noNaN: true }),
        (start, end, size) => {
          const step = end >= start ? size : -size;
          const a = arange(start, end, step, { dtype: "float64" });
          const n = Math.ceil((end - start) / step);
          expectValues(a, [n], Array.from({ length: n }, (_, i) => start + i * step));
          expect(arange(start, end, step).dtype).toBe(Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step) ? "int32" : "float32");
        },
      ),
      propertyConfig(),
    );
  });

  it("gives shape [0], not [-0], for an empty range with a negative step", () => {
    // Math.ceil((2 - 2) / -1) is -0; toEqual tells -0 from 0, and so does Object.is on sizes.
    expect(arange(2, 2, -1).shape).toEqual([0]);
    expect(arange(0.5, 0.5, -0.25).shape).toEqual([0]);
  });

  it("does not wrap integer arguments beyond int32 silently (throws, or holds the exact values)", () => {
    let a: NDArray;
    try {
      a = arange(2 ** 31, 2 ** 31 + 2);
    } catch (e) {
      expect(String(e)).toMatch(/arange.*2147483648/);
      return;
    }
    expectValues(a, [2], [2 ** 31, 2 ** 31 + 1], EXACT);
  });

  it("gives an empty array when start equals end, and honours the dtype option", () => {
    expectValues(arange(3, 3), [0], []);
    expectValues(arange(0), [0], []);
    const f = arange(0, 3, 1, { dtype: "float64" });
    expect(f.dtype).toBe("float64");
    expectValues(f, [3], [0, 1, 2]);
  });

  it("int32 with fractional arguments follows PyTorch: ceil((end - start) / step) values trunc(start) + i * trunc(step)", () => {
    const quarter = fc.integer({ min: -80, max: 80 }).map((k) => k / 4);
    fc.assert(
      fc.property(quarter, quarter, quarter, (start, end, step) => {
        fc.pre(step !== 0);
        const [t0, t1, ts] = [Math.trunc(start), Math.trunc(end), Math.trunc(step)];
        const call = () => arange(start, end, step, { dtype: "int32" });
        if (ts === 0) {
          expect(call).toThrow(/^arange: step must be nonzero/);
          return;
        }
        if (ts > 0 ? t1 < t0 : t1 > t0) {
          expect(call).toThrow(/^arange: upper bound .* inconsistent with step sign/);
          return;
        }
        const n = Math.max(0, Math.ceil((end - start) / step));
        expectValues(call(), [n], Array.from({ length: n }, (_, i) => t0 + i * ts), EXACT);
      }),
      propertyConfig(),
    );
  });

  it.each([
    // [start, end, step, torch.arange(start, end, step, dtype=torch.int32).tolist()] from PyTorch 1.13
    [0.5, 3, 1, [0, 1, 2]],
    [0, 3.5, 1, [0, 1, 2, 3]],
    [-0.5, 2, 1, [0, 1, 2]],
    [0, 10, 2.5, [0, 2, 4, 6]],
    [0.5, 0.2, 1, []],
    [0, -3, -1.5, [0, -1]],
    [0.9, -0.5, -1, [0, -1]],
  ])("arange(%s, %s, %s, int32) gives PyTorch's %j", (start, end, step, want) => {
    expectValues(arange(start as number, end as number, step as number, { dtype: "int32" }), [(want as number[]).length], want as number[], EXACT);
  });

  it("int32 rejects a step that truncates to 0 and bounds inconsistent after truncation, as PyTorch", () => {
    expect(() => arange(0, 3, 0.5, { dtype: "int32" })).toThrow(/^arange: step must be nonzero \(step 0\.5 truncates to 0 for int32\)/);
    expect(() => arange(2.5, 0.5, 1, { dtype: "int32" })).toThrow(/^arange: upper bound 0\.5 and lower bound 2\.5 are inconsistent with step sign 1/);
    // The same arguments in float32 count from 0 by 0.5.
    expectValues(arange(0, 3, 0.5), [6], [0, 0.5, 1, 1.5, 2, 2.5], EXACT);
  });

  it("rejects a zero step, an inconsistent sign and non-finite arguments", () => {
    expect(() => arange(0, 5, 0)).toThrow(/arange: step must be nonzero/);
    expect(() => arange(5, 0)).toThrow(/arange: upper bound 0 and lower bound 5 are inconsistent with step sign 1/);
    expect(() => arange(0, 5, -1)).toThrow(/arange: upper bound 5 and lower bound 0 are inconsistent with step sign -1/);
    expect(() => arange(-3)).toThrow(/arange: upper bound -3 and lower bound 0/);
    expect(() => arange(0, Infinity)).toThrow(/arange: arguments must be finite numbers, got Infinity/);
    expect(() => arange(NaN)).toThrow(/arange: arguments must be finite numbers, got NaN/);
    expect(() => arange(0, 1, NaN)).toThrow(/arange:.*got NaN/);
  });
});

describe("linspace", () => {
  // Magnitudes below float32's normal range map to 0, so ulp-based tolerances hold.
  const endpoint = finiteDouble.map((x) => (Math.abs(x) < 1e-30 ? 0 : x));

  it("has `steps` values, exact endpoints, and even spacing", () => {
    fc.assert(
      fc.property(endpoint, endpoint, fc.integer({ min: 2, max: 200 }), fc.constantFrom<DType>("float32", "float64"), (start, end, steps, dtype) => {
        const a = linspace(start, end, steps, { dtype });
        expect([a.shape, a.dtype]).toEqual([[steps], dtype]);
        const round = dtype === "float32" ? Math.fround : (x: number) => x;
        expect(a.data[0] === round(start), `first ${a.data[0]} vs start ${start}`).toBe(true);
        expect(a.data[steps - 1] === round(end), `last ${a.data[steps - 1]} vs end ${end}`).toBe(true);
        const step = (end - start) / (steps - 1);
        const scale = Math.max(Math.abs(start), Math.abs(end));
        const eps = dtype === "float32" ? 2 ** -23 : 2 ** -52;
        expectValues(a, [steps], Array.from({ length: steps }, (_, i) => start + i * step), { atol: 4 * eps * scale, rtol: 0 });
      }),
      propertyConfig(),
    );
  });

  it("defaults to float32", () => {
    expect(linspace(0, 1, 5).dtype).toBe("float32");
    expectValues(linspace(0, 1, 5), [5], [0, 0.25, 0.5, 0.75, 1], EXACT);
  });

  it("steps = 0 gives an empty array", () => {
    expectValues(linspace(0, 10, 0), [0], []);
  });

  it("steps = 1 gives [start], like torch.linspace(0, 10, 1) = tensor([0.])", () => {
    expectValues(linspace(0, 10, 1), [1], [0], EXACT);
    expectValues(linspace(3, -2, 1, { dtype: "float64" }), [1], [3], EXACT);
  });

  it.each([-1, 2.5, NaN])("rejects steps = %s", (steps) => {
    expect(() => linspace(0, 1, steps)).toThrow(new RegExp(`linspace: steps must be a non-negative integer, got ${steps}`));
  });
});

describe("eye", () => {
  it("is 1 on the diagonal and 0 elsewhere, square or rectangular", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }), fc.option(dtypes(), { nil: undefined }), (n, m, dtype) => {
        const a = eye(n, m, dtype === undefined ? {} : { dtype });
        const cols = m ?? n;
        expect(a.dtype).toBe(dtype ?? "float32");
        expectContiguous(a);
        const want: number[] = [];
        for (let i = 0; i < n; i++) for (let j = 0; j < cols; j++) want.push(i === j ? 1 : 0);
        expectValues(a, [n, cols], want, EXACT);
      }),
      propertyConfig(),
    );
  });

  it("rejects bad sizes with the op name", () => {
    expect(() => eye(-1)).toThrow(/eye: invalid shape \[-1,-1\]/);
    expect(() => eye(2, 1.5)).toThrow(/eye: invalid shape \[2,1\.5\]/);
  });
});
