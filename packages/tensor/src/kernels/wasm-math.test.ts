/**
 * @file Accuracy of the WebAssembly float32 math (exp, tanh, sigmoid, GELU in both forms and
 * their gradients) against the float64 TypeScript reference (Math.exp, Math.tanh and
 * ./scalar.ts) over a sweep of float32 inputs, and the special values (+-0, +-inf, NaN,
 * overflow and underflow edges) against the TypeScript kernels. The error allowed for a float32
 * result r with float64 reference v is
 *   BOUND ulp(v) + the reference's own error (1 + erf and 1 + tanh cancel for x < 0: |x| 2^-51)
 *   + 8 * 2^-149 (results in or next to the subnormal range),
 * and for a gradient a + b (two float64 terms of the reference) GRAD_BOUND * 2^-24 (|a| + |b|)
 * (+ 2^-140), since a + b cancels near GELU's minimum. The bounds are the measured maxima (every 97th
 * float32 of the range, ~23M inputs per function; the package README, "Backends") plus a half-ulp margin.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackend, setBackend } from "../backend/index.js";
import { array } from "../create.js";
import type { NDArray } from "../ndarray.js";
import * as K from "./map.js";
import { erf, gelu, geluGrad, geluTanh, geluTanhGrad, sigmoid } from "./scalar.js";

/** Max error in float32 ulps (measured: exp 0.96, tanh 1.27, sigmoid 2.28, gelu 2.82, geluTanh 2.83). */
const BOUND = { exp: 1.5, tanh: 2, sigmoid: 3, gelu: 3.5, geluTanh: 3.5 } as const;
/** Max gradient error in units of 2^-24 (|a| + |b|) (measured: 3.77 and 6.92). */
const GRAD_BOUND = { geluBackward: 4.5, geluTanhBackward: 7.5 } as const;

const TINY = 8 * 2 ** -149;
/** For gradients: e^{-|2u|} of the tanh form is subnormal below x = -9.9 (measured: 147 * 2^-149). */
const GRAD_TINY = 2 ** -140;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The spacing of float32 values at |v| (2^-149 in the subnormal range). */
function ulp32(v: number): number {
  const a = Math.abs(v);
  if (!(a >= 2 ** -126)) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Every `stride`-th float32 in [0, lim] with both signs, plus the float32 of a few round numbers. */
function sweep(lim: number, stride: number): Float32Array {
  const out: number[] = [];
  for (let bits = 0; ; bits += stride) {
    u32[0] = bits;
    const x = f32[0]!;
    if (x > lim) break;
    out.push(x, -x);
  }
  for (let x = -lim; x <= lim; x += 0.125) out.push(x);
  return Float32Array.from(out);
}

function run(fn: (a: NDArray) => NDArray, xs: Float32Array): Float32Array {
  return fn(array(xs, { dtype: "float32" })).data as Float32Array;
}

const c = Math.sqrt(2 / Math.PI);
const phi = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

const UNARY = [
  { name: "exp", fn: K.exp, ref: Math.exp, lim: 110, refErr: () => 0 },
  { name: "tanh", fn: K.tanh, ref: Math.tanh, lim: 12, refErr: () => 0 },
  { name: "sigmoid", fn: K.sigmoid, ref: sigmoid, lim: 110, refErr: () => 0 },
  { name: "gelu", fn: K.gelu, ref: gelu, lim: 25, refErr: (x: number) => Math.abs(x) * 2 ** -51 },
  { name: "geluTanh", fn: K.geluTanh, ref: geluTanh, lim: 25, refErr: (x: number) => Math.abs(x) * 2 ** -51 },
] as const;

/** The two terms of each gradient, a + b, in float64. */
const GRADS = [
  { name: "geluBackward", fn: K.geluBackward, ref: geluGrad, terms: (x: number) => [0.5 * (1 + erf(x / Math.SQRT2)), x * phi(x)] },
  {
    name: "geluTanhBackward",
    fn: K.geluTanhBackward,
    ref: geluTanhGrad,
    terms: (x: number) => {
      const t = Math.tanh(c * (x + 0.044715 * x ** 3));
      return [0.5 * (1 + t), 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)];
    },
  },
] as const;

describe("WebAssembly float32 math", () => {
  const saved = getBackend();
  beforeAll(() => setBackend("wasm"));
  afterAll(() => setBackend(saved));

  it.each(UNARY)("$name stays within its ulp bound of the float64 reference", ({ name, fn, ref, lim, refErr }) => {
    const xs = sweep(lim, 40009);
    const got = run(fn, xs);
    const bound = BOUND[name];
    let worst = 0;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      const want = ref(x);
      if (!Number.isFinite(want) || Math.abs(want) > 3.4028234663852886e38) continue;
      const err = Math.abs(got[i]! - want);
      const allowed = bound * ulp32(want) + refErr(x) + TINY;
      if (!(err <= allowed)) expect.fail(`${name}(${x}) = ${got[i]}, want ${want} (${err / ulp32(want)} ulp)`);
      if (Math.abs(want) >= 2 ** -126) worst = Math.max(worst, (err - refErr(x)) / ulp32(want));
    }
    expect(worst).toBeLessThanOrEqual(bound);
  });

  it.each(GRADS)("$name stays within its bound relative to the terms it sums", ({ name, fn, ref, terms }) => {
    const xs = sweep(25, 40009);
    const g = new Float32Array(xs.length).fill(1);
    const got = fn(array(xs, { dtype: "float32" }), array(g, { dtype: "float32" })).data;
    const bound = GRAD_BOUND[name];
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      const want = ref(x);
      const [a, b] = terms(x);
      const allowed = bound * 2 ** -24 * (Math.abs(a!) + Math.abs(b!)) + 2 ** -50 * (1 + Math.abs(x)) + GRAD_TINY;
      const err = Math.abs(got[i]! - want);
      if (!(err <= allowed)) expect.fail(`${name}(${x}) = ${got[i]}, want ${want} (|err| ${err}, allowed ${allowed})`);
    }
  });

  it("gives what the TypeScript kernels give on special values and range edges", () => {
    const edges = [0, -0, Infinity, -Infinity, NaN, 88.72283, 88.7229, 89, 1e30, -87.33, -103.97, -103.98, -104, -1e30, 1e-40, -1e-40, 9.02, 20, 30, -30];
    const xs = Float32Array.from(edges);
    const g = array(new Float32Array(xs.length).fill(1), { dtype: "float32" });
    const a = array(xs, { dtype: "float32" });
    for (const [name, f] of [...UNARY.map((u) => [u.name, u.fn] as const), ...GRADS.map((u) => [u.name, (x: NDArray) => u.fn(x, g)] as const)]) {
      const wasm = f(a).data;
      setBackend("js");
      const js = f(a).data;
      setBackend("wasm");
      for (let i = 0; i < xs.length; i++) {
        const [w, j] = [wasm[i]!, js[i]!];
        const what = `${name}(${xs[i]}): wasm ${w}, js ${j}`;
        if (Number.isNaN(j) || !Number.isFinite(j)) expect(w, what).toBe(j);
        else expect(Math.abs(w - j), what).toBeLessThanOrEqual(8 * ulp32(j) + TINY);
      }
    }
  });
});
