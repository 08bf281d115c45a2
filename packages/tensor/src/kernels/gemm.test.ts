/**
 * @file The gemm backends against a float64 reference: the TypeScript gemm, and each variant of
 * the WebAssembly kernel this engine runs (plain or relaxed SIMD, shared or unshared memory) on
 * one thread and shared with the worker pool. Operands are
 * batches of row-major or transposed matrices at offsets in padded (or sparse) storage, with
 * one shared or distinct Bs; sizes straddle the micro-tile (4 x 8), the row block (128), the
 * depth block (256) and, with a shrunken arena budget, the split of a batch into several jobs.
 * float32 results must lie within (k + 2) * 2^-24 * sum |a_ip b_pj| of the exact value.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendInfo, getNumThreads, poolReady, reloadWasm, setNumThreads } from "../backend/index.js";
import { poolStats, poolSupported } from "../backend/pool.js";
import { align, hasRelaxedSimd, KC, NR, reserve, runJob, tuning, wasmRuntime } from "../backend/wasm.js";
import { packedLayout, wasmGemmBatch, type BatchOperand } from "../backend/wasm-gemm.js";
import { propertyConfig } from "../testing/config.js";
import { jsGemmBatch } from "./matmul.js";

/** A seeded uniform generator in [-1, 1) (mulberry32). */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  };
}

/** How one operand's matrices sit in storage. */
interface Layout {
  /** Column-major (a transposed view) instead of row-major. */
  transposed: boolean;
  /** Extra elements per row (or column): 0 is dense, large values force the gather path. */
  pad: number;
  /** Elements before the first matrix. */
  offset: number;
}

/** `count` rows x cols matrices (or one, repeated, when `shared`) in one Float32Array. */
function operand(rows: number, cols: number, count: number, shared: boolean, layout: Layout, rand: () => number): BatchOperand {
  const { transposed, pad, offset } = layout;
  const lead = (transposed ? rows : cols) + pad;
  const size = (transposed ? cols : rows) * lead;
  const distinct = shared ? 1 : count;
  const data = new Float32Array(offset + distinct * (size + 3));
  for (let i = 0; i < data.length; i++) data[i] = rand();
  const offsets = Array.from({ length: count }, (_, e) => offset + (shared ? 0 : e) * (size + 3));
  return transposed ? { data, rowStride: 1, colStride: lead, offsets } : { data, rowStride: lead, colStride: 1, offsets };
}

/** Exact products in float64 and, per element, the sum of |a_ip b_pj| that bounds the rounding. */
function reference(m: number, n: number, k: number, a: BatchOperand, b: BatchOperand): { values: Float64Array; scale: Float64Array } {
  const count = a.offsets.length;
  const values = new Float64Array(count * m * n);
  const scale = new Float64Array(count * m * n);
  for (let e = 0; e < count; e++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        let abs = 0;
        for (let p = 0; p < k; p++) {
          const x = a.data[a.offsets[e]! + i * a.rowStride + p * a.colStride]! * b.data[b.offsets[e]! + p * b.rowStride + j * b.colStride]!;
          acc += x;
          abs += Math.abs(x);
        }
        values[(e * m + i) * n + j] = acc;
        scale[(e * m + i) * n + j] = abs;
      }
    }
  }
  return { values, scale };
}

/** Fails on the first element outside the float32 bound for a length-k dot product. */
function expectClose(got: Float32Array, want: { values: Float64Array; scale: Float64Array }, k: number, what: string): void {
  const unit = (k + 2) * 2 ** -24;
  for (let i = 0; i < want.values.length; i++) {
    const err = Math.abs(got[i]! - want.values[i]!);
    if (!(err <= unit * want.scale[i]! + 1e-30)) {
      expect.fail(`${what}: element ${i} is ${got[i]}, want ${want.values[i]} (|diff| ${err}, bound ${unit * want.scale[i]!})`);
    }
  }
}

const EDGE_MN = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 128, 129];
const EDGE_K = [1, 2, 3, 4, 7, 8, 9, 31, 64, 255, 256, 257, 300, 513];

const layouts: fc.Arbitrary<Layout> = fc.record({
  transposed: fc.boolean(),
  pad: fc.constantFrom(0, 0, 1, 5, 600),
  offset: fc.constantFrom(0, 3, 17),
});

const cases = fc.record({
  m: fc.constantFrom(...EDGE_MN),
  n: fc.constantFrom(...EDGE_MN),
  k: fc.constantFrom(...EDGE_K),
  count: fc.constantFrom(1, 1, 2, 3),
  sharedA: fc.boolean(),
  sharedB: fc.boolean(),
  aLayout: layouts,
  bLayout: layouts,
  seed: fc.integer(),
});

describe("the WebAssembly kernel", () => {
  it("loads the variant this engine supports: fused multiply-add exactly where it has relaxed SIMD", () => {
    const major = Number(process.versions.node.split(".")[0]);
    const flagged = process.execArgv.includes("--experimental-wasm-relaxed-simd");
    const rt = wasmRuntime();
    expect(rt).not.toBeNull();
    expect(hasRelaxedSimd()).toBe(major >= 22 || flagged);
    expect(rt!.relaxedSimd).toBe(hasRelaxedSimd());
    expect(rt!.exports.relaxed()).toBe(rt!.relaxedSimd ? 1 : 0);
    expect(rt!.shared).toBe(true);
    expect(rt!.exports.KC.value).toBe(KC);
  });
});

const VARIANTS = [
  { name: "SIMD, shared memory", relaxedSimd: false, shared: true },
  { name: "SIMD, unshared memory", relaxedSimd: false, shared: false },
  { name: "relaxed SIMD, shared memory", relaxedSimd: true, shared: true },
  { name: "relaxed SIMD, unshared memory", relaxedSimd: true, shared: false },
].filter((v) => !v.relaxedSimd || hasRelaxedSimd());

describe.each(VARIANTS)("gemm backends (wasm: $name)", (variant) => {
  const threads = getNumThreads();
  let pooled = false;
  beforeAll(async () => {
    const rt = reloadWasm(variant);
    expect(rt).toMatchObject({ relaxedSimd: variant.relaxedSimd, shared: variant.shared });
    setNumThreads(Math.max(2, threads));
    pooled = await poolReady();
    expect(pooled).toBe(variant.shared);
  });
  afterAll(() => {
    setNumThreads(threads);
    reloadWasm();
  });

  it("agree with the float64 reference on odd sizes, transposed, offset, sparse and batched operands", () => {
    fc.assert(
      fc.property(cases, ({ m, n, k, count, sharedA, sharedB, aLayout, bLayout, seed }) => {
        const rand = uniform(seed);
        const a = operand(m, k, count, sharedA, aLayout, rand);
        const b = operand(k, n, count, sharedB, bLayout, rand);
        const want = reference(m, n, k, a, b);
        const js = new Float32Array(count * m * n);
        jsGemmBatch(m, n, k, a, b, js);
        expectClose(js, want, k, "js");
        for (const t of [1, 2]) {
          const c = new Float32Array(count * m * n).fill(NaN);
          expect(wasmGemmBatch(m, n, k, a, b, c, packedLayout(a.offsets.length, m, n), t)).toBe(true);
          expectClose(c, want, k, `wasm, ${t} thread(s)`);
        }
      }),
      propertyConfig(40),
    );
  });

  it("splits a batch that passes the arena budget into jobs by entries and by rows", () => {
    const budget = tuning.arenaBudget;
    try {
      const rand = uniform(7);
      for (const [m, n, k, count, sharedB, arena] of [
        [40, 24, 16, 5, false, 20000], // a few entries per job
        [300, 24, 16, 2, true, 40000], // one entry, rows split
        [37, 9, 130, 3, false, 10 ** 6],
      ] as const) {
        tuning.arenaBudget = arena;
        const a = operand(m, k, count, false, { transposed: false, pad: 1, offset: 2 }, rand);
        const b = operand(k, n, count, sharedB, { transposed: true, pad: 0, offset: 0 }, rand);
        const c = new Float32Array(count * m * n).fill(NaN);
        expect(wasmGemmBatch(m, n, k, a, b, c, packedLayout(a.offsets.length, m, n), 2)).toBe(true);
        expectClose(c, reference(m, n, k, a, b), k, `budget ${arena}`);
      }
    } finally {
      tuning.arenaBudget = budget;
    }
  });

  it("writes each product where an output layout puts it (interleaved, reordered, gapped; whole or split by the arena) and nothing else", () => {
    const budget = tuning.arenaBudget;
    try {
      const rand = uniform(9);
      for (const [m, n, k, count, arena] of [[33, 20, 17, 4, 10 ** 6], [300, 24, 16, 3, 40000], [9, 5, 7, 6, 15000]] as const) {
        tuning.arenaBudget = arena;
        const a = operand(m, k, count, false, { transposed: false, pad: 0, offset: 1 }, rand);
        const b = operand(k, n, count, false, { transposed: true, pad: 0, offset: 0 }, rand);
        const want = reference(m, n, k, a, b);
        const layouts = [
          { offsets: Array.from({ length: count }, (_, e) => e * n), rowStride: count * n }, // heads merged into rows
          { offsets: Array.from({ length: count }, (_, e) => (count - 1 - e) * m * n), rowStride: n }, // entries reversed
          { offsets: Array.from({ length: count }, (_, e) => 3 + e * m * (n + 2)), rowStride: n + 2 }, // gaps
        ];
        for (const [li, layout] of layouts.entries()) {
          const size = 8 + count * m * (n + 2);
          for (const t of [0, 1, 2]) {
            const c = new Float32Array(size).fill(NaN);
            if (t === 0) jsGemmBatch(m, n, k, a, b, c, layout);
            else expect(wasmGemmBatch(m, n, k, a, b, c, layout, t)).toBe(true);
            const got = new Float32Array(count * m * n);
            const written = new Set<number>();
            for (let e = 0; e < count; e++) {
              for (let i = 0; i < m; i++) {
                for (let j = 0; j < n; j++) {
                  const at = layout.offsets[e]! + i * layout.rowStride + j;
                  got[(e * m + i) * n + j] = c[at]!;
                  written.add(at);
                }
              }
            }
            expectClose(got, want, k, `layout ${li}, ${t === 0 ? "js" : `wasm ${t} thread(s)`}, budget ${arena}`);
            const stray = [...c.keys()].filter((i) => !written.has(i) && !Number.isNaN(c[i]!));
            expect(stray, `layout ${li}: elements outside the layout were written`).toEqual([]);
          }
        }
      }
    } finally {
      tuning.arenaBudget = budget;
    }
  });

  it("starts compute tasks only once the caller's fill is done, and flags each row block for its drain as it ends", () => {
    const rt = wasmRuntime()!;
    const [m, n, k, mc] = [64, 40, 24, 8];
    const rand = uniform(13);
    const a = operand(m, k, 1, false, { transposed: false, pad: 0, offset: 0 }, rand);
    const b = operand(k, n, 1, true, { transposed: false, pad: 0, offset: 0 }, rand);
    const panels = Math.ceil(n / NR);
    const blocks = m / mc;
    const table = rt.arena;
    const flags = table + 64;
    const packedB = flags + align(blocks * 4);
    const packedStride = align(panels * NR * k * 4);
    const cPtr = packedB + packedStride;
    const aPtr = cPtr + align(m * n * 4);
    const bPtr = aPtr + align(m * k * 4);
    expect(reserve(rt, bPtr + k * n * 4 - rt.arena)).toBe(true);
    rt.f32.fill(NaN, aPtr / 4, aPtr / 4 + m * k); // what a task would read before the fill
    rt.f32.set(b.data.subarray(0, k * n), bPtr / 4);
    rt.i32.fill(0, flags / 4, flags / 4 + blocks);
    rt.i32.set([aPtr, bPtr, cPtr], table / 4);
    const before = poolStats(rt).tasks;
    const c = new Float32Array(m * n).fill(NaN);
    const copies = new Array<number>(blocks).fill(0);
    const drain = () => {
      for (let block = 0; block < blocks; block++) {
        if (Atomics.load(rt.i32, flags / 4 + block) !== 1) continue;
        rt.i32[flags / 4 + block] = 2;
        copies[block]!++;
        c.set(rt.f32.subarray(cPtr / 4 + block * mc * n, cPtr / 4 + (block + 1) * mc * n), block * mc * n);
      }
    };
    const fill = () => {
      // Long enough for a woken worker to pack B and reach the compute tasks.
      for (const until = performance.now() + 20; performance.now() < until; );
      rt.f32.set(a.data.subarray(0, m * k), aPtr / 4);
    };
    runJob(rt, {
      m, n, k, aRowStride: k, aColStride: 1, bRowStride: n, bColStride: 1, ldc: n, entries: 1, mc,
      packChunks: panels, chunkPanels: 1, packedB, packedStride, table, sharedB: true, bias: 0,
    }, 2, { fill, drain, taskDone: flags });
    expectClose(c, reference(m, n, k, a, b), k, "filled and drained");
    expect(copies).toEqual(new Array<number>(blocks).fill(1));
    if (variant.shared) expect(poolStats(rt).tasks).toBeGreaterThan(before);
  });

  it(variant.shared ? "shares large products with the worker threads" : "runs on the calling thread alone without shared memory", () => {
    const rt = wasmRuntime()!;
    if (!variant.shared) {
      expect(poolSupported(rt)).toBe(false);
      expect(backendInfo()).toMatchObject({ wasm: true, threads: 1, reason: "shared WebAssembly memory is not available" });
      return;
    }
    const rand = uniform(11);
    const [m, n, k, count] = [160, 200, 300, 2];
    const a = operand(m, k, count, false, { transposed: true, pad: 3, offset: 1 }, rand);
    const b = operand(k, n, count, true, { transposed: false, pad: 0, offset: 5 }, rand);
    const want = reference(m, n, k, a, b);
    const before = poolStats(rt).tasks;
    // A worker that the machine happens not to schedule in time runs nothing; it joins a later job.
    for (let attempt = 0; attempt < 100 && poolStats(rt).tasks === before; attempt++) {
      const c = new Float32Array(count * m * n).fill(NaN);
      expect(wasmGemmBatch(m, n, k, a, b, c, packedLayout(a.offsets.length, m, n), 2)).toBe(true);
      expectClose(c, want, k, "2 threads");
    }
    expect(poolStats(rt).tasks).toBeGreaterThan(before);
  });
});
