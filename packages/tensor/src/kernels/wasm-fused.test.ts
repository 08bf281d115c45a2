/**
 * @file The WebAssembly softmax, logSoftmax, layerNorm and their backward kernels (and the row sums
 * of bias gradients) against the
 * TypeScript kernels (the reference) on the same inputs: rows of odd lengths (shorter than a
 * SIMD vector, and straddling vector and chunk sizes), strided inputs, special values, chunk
 * sizes from one row to many; that the size thresholds and non-float32 inputs keep the
 * TypeScript path; that large unary maps give the same bits on the worker pool; and that memory
 * stays flat over many calls. Each bound is the two kernels'
 * errors from the exact value added up: softmax 2.3 float32 ulps (measured) + the reference's 1,
 * logSoftmax 1.7 (ulp + 2^-52) + 0.5 ulp + 2^-53 max|x|, the float64-arithmetic kernels 1 ulp between two
 * roundings (+ a float64 slack), logSoftmaxBackward 1 ulp + 1.5 * 2^-24 |exp(y) sum(g)| (its exp
 * is float32, ~1 ulp).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackend, getNumThreads, poolReady, setBackend, setNumThreads } from "../backend/index.js";
import { kernelTuning } from "../backend/wasm-kernels.js";
import { poolStats } from "../backend/pool.js";
import { localRuntime, wasmRuntime } from "../backend/wasm.js";
import { array, ones, zeros } from "../create.js";
import type { NDArray } from "../ndarray.js";
import { manualSeed, randn } from "../random.js";
import { propertyConfig } from "../testing/config.js";
import { logicalValues } from "../testing/reference.js";
import { add, div, exp, gelu, geluBackward, geluBackwardFromCdf, geluKeepingCdf, geluTanh, geluTanhBackward, mul, sigmoid, tanh } from "./map.js";
import { layerNorm, layerNormBackward } from "./normalization.js";
import { logSoftmax, logSoftmaxBackward, softmax, softmaxBackward } from "./softmax.js";
import { mean, sum } from "./reduce.js";

const LANES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129];

function ulp32(v: number): number {
  const a = Math.abs(v);
  return a >= 2 ** -126 ? 2 ** (Math.floor(Math.log2(a)) - 23) : 2 ** -149;
}

/** Runs `f` on the js backend, then on wasm with the thresholds at 0 and chunks of `chunk` floats. */
function both<T>(f: () => T, chunk: number): { js: T; wasm: T } {
  setBackend("js");
  const js = f();
  setBackend("wasm");
  kernelTuning.chunkElements = chunk;
  return { js, wasm: f() };
}

/** Fails on the first element where |wasm - js| passes `allowed(i, js)`; NaN and infinities must match. */
function expectNear(what: string, wasm: NDArray, js: NDArray, allowed: (i: number, ref: number) => number): void {
  expect(wasm.shape).toEqual(js.shape);
  const [w, j] = [logicalValues(wasm), logicalValues(js)];
  for (let i = 0; i < j.length; i++) {
    const [a, b] = [w[i]!, j[i]!];
    if (!Number.isFinite(b)) {
      expect(a, `${what}: element ${i}`).toBe(b);
      continue;
    }
    if (!(Math.abs(a - b) <= allowed(i, b))) expect.fail(`${what}: element ${i} is ${a}, the TypeScript kernel gives ${b}`);
  }
}

/** A [rows, n] float32 array with values of scale `scale`, some set to +-inf or NaN with `special`. */
function rowsOf(rows: number, n: number, scale: number, special: boolean, seed: number): NDArray {
  manualSeed(seed);
  const v = Float32Array.from(logicalValues(randn([rows, n])), (x) => x * scale);
  if (special) for (let i = 0; i < v.length; i += 7) v[i] = [Infinity, -Infinity, NaN, -Infinity][(i / 7) % 4]!;
  return array(v, { shape: [rows, n], dtype: "float32" });
}

const cases = fc.record({
  rows: fc.integer({ min: 1, max: 9 }),
  n: fc.constantFrom(...LANES),
  scale: fc.constantFrom(1, 4, 30, 1e4),
  special: fc.boolean(),
  transposed: fc.boolean(),
  chunk: fc.constantFrom(1, 37, 256, 16384),
  seed: fc.integer({ min: 0, max: 1000 }),
});

describe("WebAssembly fused kernels against the TypeScript ones", () => {
  const saved = { backend: getBackend(), ...kernelTuning };
  beforeAll(() => Object.assign(kernelTuning, { unaryMin: 0, softmaxMin: 0, layerNormMin: 0, sumRowsMin: 0 }));
  afterAll(() => {
    setBackend(saved.backend);
    const { backend: _, ...tuning } = saved;
    Object.assign(kernelTuning, tuning);
  });

  it("softmax, logSoftmax and their backward agree on rows of any length, strided or not, with specials", () => {
    fc.assert(
      fc.property(cases, ({ rows, n, scale, special, transposed, chunk, seed }) => {
        // A transposed view has the same logical [rows, n] values with strided rows.
        const base = rowsOf(rows, n, scale, special, seed);
        const x = transposed ? array(Float32Array.from(logicalValues(base.transpose(0, 1))), { shape: [n, rows], dtype: "float32" }).transpose(0, 1) : base;
        const g = rowsOf(rows, n, 1, false, seed + 1);
        const sm = both(() => softmax(x, -1), chunk);
        expectNear("softmax", sm.wasm, sm.js, (_, r) => 4 * ulp32(r) + 2 ** -149);
        const ls = both(() => logSoftmax(x, 1), chunk);
        // The reference forms max + log(sum) in float64: 2^-53 of the lane's max is its own error.
        const big = logicalValues(x).reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
        expectNear("logSoftmax", ls.wasm, ls.js, (_, r) => 3 * ulp32(r) + 2 ** -50 * (1 + big + Math.abs(r)));
        const y = sm.js;
        const sb = both(() => softmaxBackward(y, g, -1), chunk);
        expectNear("softmaxBackward", sb.wasm, sb.js, (_, r) => ulp32(r) + 1e-12);
        const ly = ls.js;
        const lb = both(() => logSoftmaxBackward(ly, g, -1), chunk);
        const gv = logicalValues(g);
        const yv = logicalValues(ly);
        const sums = Array.from({ length: rows }, (_, r) => gv.slice(r * n, r * n + n).reduce((s, v) => s + v, 0));
        expectNear("logSoftmaxBackward", lb.wasm, lb.js, (i, r) => ulp32(r) + 1.5 * 2 ** -24 * Math.abs(Math.exp(yv[i]!) * sums[Math.floor(i / n)]!) + 1e-12);
      }),
      propertyConfig(40),
    );
  });

  it("layerNorm and its backward agree over 1, 2 or 3 normalized dims, with and without weight and bias", () => {
    fc.assert(
      fc.property(cases, fc.integer({ min: 1, max: 3 }), fc.boolean(), ({ rows, n, scale, transposed, chunk, seed }, k, affine) => {
        const shape = k === 1 ? [rows, n] : k === 2 ? [rows, 2, n] : [2, rows, 3, n];
        manualSeed(seed);
        let x = randn(shape, { dtype: "float32" });
        x = array(Float32Array.from(logicalValues(x), (v) => v * scale + 3), { shape, dtype: "float32" });
        if (transposed) {
          const t = x.transpose(0, -1);
          x = array(Float32Array.from(logicalValues(t)), { shape: t.shape, dtype: "float32" }).transpose(0, -1);
        }
        const lane = shape.slice(shape.length - k);
        const w = affine ? randn(lane, { dtype: "float32" }) : null;
        const b = affine ? randn(lane, { dtype: "float32" }) : null;
        const g = randn(shape, { dtype: "float32" });
        const fwd = both(() => layerNorm(x, k, w, b, 1e-5), chunk);
        expectNear("layerNorm", fwd.wasm, fwd.js, (_, r) => ulp32(r) + 1e-10);
        const bwd = both(() => layerNormBackward(x, g, w, k, 1e-5), chunk);
        expectNear("layerNormBackward dx", bwd.wasm.dx, bwd.js.dx, (_, r) => ulp32(r) + 1e-10);
        expectNear("layerNormBackward db", bwd.wasm.db!, bwd.js.db!, (_, r) => ulp32(r) + 1e-10);
        if (w) expectNear("layerNormBackward dw", bwd.wasm.dw!, bwd.js.dw!, (_, r) => ulp32(r) + 1e-10);
      }),
      propertyConfig(40),
    );
  });

  it("sums over leading dims (bias gradients) and their means with the TypeScript kernel's bits", () => {
    fc.assert(
      fc.property(
        fc.record({ lead: fc.constantFrom([1], [2], [3], [4], [5], [9], [2, 3], [3, 5]), n: fc.constantFrom(...LANES), scale: fc.constantFrom(1, 1e4), special: fc.boolean(), chunk: fc.constantFrom(1, 37, 16384), seed: fc.integer({ min: 0, max: 1000 }) }),
        ({ lead, n, scale, special, chunk, seed }) => {
          const rows = (lead as readonly number[]).reduce((a, b) => a * b, 1);
          const x = rowsOf(rows, n, scale, special, seed).reshape([...lead, n]);
          const dims = lead.map((_, d) => d);
          const { js, wasm } = both(() => [sum(x, dims), mean(x, dims, true)], chunk);
          wasm.forEach((a, i) => {
            expect(a.shape).toEqual(js[i]!.shape);
            expect(logicalValues(a)).toEqual(logicalValues(js[i]!));
          });
        },
      ),
      propertyConfig(),
    );
  });

  it("keeps float64, other dims and arrays under the thresholds on the TypeScript kernels", () => {
    manualSeed(2);
    const x64 = randn([4, 33], { dtype: "float64" });
    const x32 = randn([33, 4], { dtype: "float32" });
    setBackend("js");
    const want = [softmax(x64, -1), softmax(x32, 0), layerNorm(x64, 1, null, null, 1e-5)];
    setBackend("wasm");
    const got = [softmax(x64, -1), softmax(x32, 0), layerNorm(x64, 1, null, null, 1e-5)];
    got.forEach((a, i) => expect(logicalValues(a)).toEqual(logicalValues(want[i]!)));
    // Under the thresholds the wasm backend gives the TypeScript kernels' bits.
    Object.assign(kernelTuning, { softmaxMin: Infinity, layerNormMin: Infinity });
    try {
      const small = randn([8, 33], { dtype: "float32" });
      const [a, c] = [softmax(small, -1), layerNorm(small, 1, null, null, 1e-5)];
      setBackend("js");
      expect(logicalValues(a)).toEqual(logicalValues(softmax(small, -1)));
      expect(logicalValues(c)).toEqual(logicalValues(layerNorm(small, 1, null, null, 1e-5)));
    } finally {
      Object.assign(kernelTuning, { softmaxMin: 0, layerNormMin: 0 });
    }
  });

  it("keeps a transposed input's layout in elementwise results, with the TypeScript kernels' values", () => {
    manualSeed(5);
    const x = randn([3, 70, 33], { dtype: "float32" }).permute([2, 0, 1]);
    const y = randn([3, 70, 33], { dtype: "float32" }).permute([2, 0, 1]);
    const ops = [() => exp(x), () => gelu(x), () => div(x, 3), () => div(3, x), () => mul(x, y), () => add(x, array([2], { dtype: "float32" }))];
    setBackend("js");
    const want = ops.map((f) => logicalValues(f()));
    setBackend("wasm");
    ops.forEach((f, i) => {
      const got = f();
      expect(got.strides).toEqual(x.strides);
      const tolerance = i < 2 ? 4 * 2 ** -23 : 0; // the SIMD exp and GELU are within a few ulp; arithmetic is exact
      logicalValues(got).forEach((v, k) => expect(Math.abs(v - want[i]![k]!)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(want[i]![k]!))));
    });
  });

  /** Runs `body` on the wasm backend with two threads, then restores the threads and tuning. */
  async function withPool(body: () => void): Promise<void> {
    setBackend("wasm");
    const threads = getNumThreads();
    setNumThreads(2);
    try {
      expect(await poolReady()).toBe(true);
      body();
    } finally {
      Object.assign(kernelTuning, { parallelMin: saved.parallelMin, chunkElements: saved.chunkElements });
      setNumThreads(threads);
    }
  }

  it("shares large unary maps and GELU gradients with the worker pool, with the single-thread kernel's bits", async () => {
    await withPool(() => {
      manualSeed(6);
      for (const n of [1, 5, 4097, 70001]) {
        // An offset view (a slice of a larger array) as well as a whole array.
        const whole = randn([n + 3], { dtype: "float32" });
        const x = whole.slice(0, 3, n + 3, 1);
        const g = randn([n], { dtype: "float32" });
        const ops = [() => exp(x), () => tanh(x), () => sigmoid(x), () => gelu(x), () => geluTanh(x), () => geluBackward(x, g), () => geluTanhBackward(x, g)];
        kernelTuning.parallelMin = Infinity;
        const alone = ops.map((f) => logicalValues(f()));
        kernelTuning.parallelMin = 0;
        ops.forEach((f, i) => expect(logicalValues(f()), `op ${i}, n ${n}`).toEqual(alone[i]));
      }
      // The worker takes part (one the machine happens not to schedule in time joins a later job).
      const rt = wasmRuntime()!;
      const before = poolStats(rt).tasks;
      const big = randn([200_000], { dtype: "float32" });
      for (let attempt = 0; attempt < 100 && poolStats(rt).tasks === before; attempt++) gelu(big);
      expect(poolStats(rt).tasks).toBeGreaterThan(before);
    });
  });

  it("GELU keeping Phi(x), and the gradient from it, give gelu's and geluBackward's bits, on one thread and pooled", async () => {
    await withPool(() => {
      manualSeed(8);
      for (const [n, chunk] of [[1, 16384], [7, 4], [4097, 1000], [70001, 16384]] as const) {
        const v = Float32Array.from(logicalValues(randn([n], { dtype: "float32" })), (x, i) => x * [1, 3, 8, 30][i % 4]!);
        for (let i = 5; i < n; i += 97) v[i] = [NaN, Infinity, -Infinity, -0, 1e-30, -12][(i / 97) % 6 | 0]!;
        const whole = array(Float32Array.from([9, 9, ...v]), { shape: [n + 2], dtype: "float32" });
        const x = whole.slice(0, 2, n + 2, 1).contiguous();
        const g = randn([n], { dtype: "float32" });
        for (const parallelMin of [Infinity, 0]) {
          Object.assign(kernelTuning, { parallelMin, chunkElements: chunk });
          const kept = geluKeepingCdf(x);
          expect(kept).not.toBeNull();
          expect(logicalValues(kept!.y), `y, n ${n}`).toEqual(logicalValues(gelu(x)));
          const grad = geluBackwardFromCdf(x, kept!.cdf, g);
          expect(logicalValues(grad!), `grad, n ${n}`).toEqual(logicalValues(geluBackward(x, g)));
        }
      }
      // Where the kernel does not apply, null: the caller then takes gelu and geluBackward.
      expect(geluKeepingCdf(randn([4, 5], { dtype: "float64" }))).toBeNull();
      expect(geluKeepingCdf(randn([4, 5], { dtype: "float32" }).transpose(0, 1))).toBeNull();
      setBackend("js");
      expect(geluKeepingCdf(randn([4, 5], { dtype: "float32" }))).toBeNull();
    });
  });

  it("leaves arithmetic with an empty operand to the row loops (the broadcast shape, no trap)", () => {
    setBackend("wasm");
    const bias = ones([1, 2048], { dtype: "float32" });
    expect(add(zeros([0, 2048], { dtype: "float32" }), bias).shape).toEqual([0, 2048]);
    expect(mul(bias, zeros([0, 1], { dtype: "float32" })).shape).toEqual([0, 2048]);
  });

  it("runs on an unshared memory of its own that stays flat over 5,000 calls of varying sizes", () => {
    setBackend("wasm");
    kernelTuning.chunkElements = saved.chunkElements;
    const rt = localRuntime()!;
    expect(rt.shared).toBe(false);
    if (wasmRuntime()!.shared) expect(rt).not.toBe(wasmRuntime());
    manualSeed(4);
    const xs = [[3, 5], [64, 64], [17, 129], [1024, 65], [300, 128]].map((s) => randn(s, { dtype: "float32" }));
    const run = (x: NDArray) => {
      const y = softmax(x, -1);
      softmaxBackward(y, x, -1);
      logSoftmaxBackward(logSoftmax(x, -1), x, -1);
      layerNormBackward(x, y, null, 1, 1e-5);
      layerNorm(x, 1, null, null, 1e-5);
    };
    for (const x of xs) run(x);
    const bytes = rt.memory.buffer.byteLength;
    for (let i = 0; i < 1000; i++) run(xs[i % xs.length]!);
    expect(rt.memory.buffer.byteLength).toBe(bytes);
  });
});
