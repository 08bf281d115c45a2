/**
 * @file matmul against a naive triple loop: vectors, matrices, broadcast batch dims,
 * transposed and strided operands, sizes that straddle the gemm's block and tile edges. Every
 * test runs on each backend: "js", and "wasm" on one thread and shared with the worker pool,
 * with the size thresholds dropped so that even the smallest products reach the kernel.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackend, getNumThreads, poolReady, setBackend, setNumThreads, type BackendName } from "../backend/index.js";
import { tuning } from "../backend/wasm.js";
import { zeros } from "../create.js";
import type { NDArray } from "../ndarray.js";
import { dtypes, LAYOUTS, ndarrays } from "../testing/arbitraries.js";
import { propertyConfig } from "../testing/config.js";
import { allIndices, at, broadcastIndex } from "../testing/reference.js";
import { expectValues } from "../test-helpers.js";
import { denseStridesLike } from "../layout.js";
import { matmul } from "./matmul.js";
import { add } from "./map.js";

/** torch.matmul's result by definition: promote 1-d operands, broadcast batches, sum over k. */
function naiveMatmul(a: NDArray, b: NDArray): { shape: number[]; values: number[] } {
  const aShape = a.ndim === 1 ? [1, a.shape[0]!] : a.shape.slice();
  const bShape = b.ndim === 1 ? [b.shape[0]!, 1] : b.shape.slice();
  // A 1-d left operand is a row [1, k]; a 1-d right operand a column [k, 1].
  const readA = (index: number[]) => at(a, a.ndim === 1 ? [index[1]!] : index);
  const readB = (index: number[]) => at(b, b.ndim === 1 ? [index[0]!] : index);
  const [m, k] = aShape.slice(-2) as [number, number];
  const n = bShape[bShape.length - 1]!;
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const nb = Math.max(aBatch.length, bBatch.length);
  const batch = Array.from({ length: nb }, (_, i) => {
    const x = aBatch[aBatch.length - nb + i] ?? 1;
    const y = bBatch[bBatch.length - nb + i] ?? 1;
    return Math.max(x, y);
  });
  const values: number[] = [];
  for (const bi of allIndices(batch)) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          acc += readA([...broadcastIndex(bi, aBatch), i, p]) * readB([...broadcastIndex(bi, bBatch), p, j]);
        }
        values.push(acc);
      }
    }
  }
  let shape = [...batch, m, n];
  if (a.ndim === 1) shape = [...batch, n];
  if (b.ndim === 1) shape = a.ndim === 1 ? [...batch] : [...batch, m];
  return { shape, values };
}

/** Operand shapes for matmul: each 1-4 dims, with broadcastable batch dims and matching k. */
const matmulShapes = fc
  .record({
    m: fc.integer({ min: 1, max: 6 }),
    k: fc.integer({ min: 0, max: 6 }),
    n: fc.integer({ min: 1, max: 6 }),
    batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    aKind: fc.constantFrom("vector", "matrix", "batched"),
    bKind: fc.constantFrom("vector", "matrix", "batched"),
    ones: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  })
  .map(({ m, k, n, batch, aKind, bKind, ones }) => {
    const batchOf = (stretch: boolean) => batch.map((s, i) => (stretch && i === 0 ? 1 : s));
    const a = aKind === "vector" ? [k] : aKind === "matrix" ? [m, k] : [...batchOf(ones[0]!), m, k];
    const b = bKind === "vector" ? [k] : bKind === "matrix" ? [k, n] : [...batchOf(ones[1]!), k, n];
    return [a, b] as const;
  });

const BACKENDS: { name: string; backend: BackendName; threads: number }[] = [
  { name: "js", backend: "js", threads: 1 },
  { name: "wasm", backend: "wasm", threads: 1 },
  { name: "wasm, 2 threads", backend: "wasm", threads: 2 },
];

describe.each(BACKENDS)("matmul ($name)", ({ backend, threads }) => {
  const saved = { backend: getBackend(), threads: getNumThreads(), ...tuning };
  beforeAll(async () => {
    setBackend(backend);
    setNumThreads(threads);
    tuning.wasmMinFlops = 0;
    tuning.parallelMinFlops = threads > 1 ? 0 : Infinity;
    if (threads > 1) expect(await poolReady()).toBe(true);
  });
  afterAll(() => {
    setBackend(saved.backend);
    setNumThreads(saved.threads);
    Object.assign(tuning, { wasmMinFlops: saved.wasmMinFlops, parallelMinFlops: saved.parallelMinFlops });
  });

  it("matches the naive triple loop on vectors, matrices, broadcast batches and any layout (expanded too)", () => {
    fc.assert(
      fc.property(
        matmulShapes.chain(([sa, sb]) =>
          dtypes(["int32", "float32", "float64"]).chain((dtype) =>
            fc.tuple(
              ndarrays({ shape: sa, dtype, domain: { min: -3, max: 3 }, layouts: LAYOUTS }),
              ndarrays({ shape: sb, dtype, domain: { min: -3, max: 3 }, layouts: LAYOUTS }),
            ),
          ),
        ),
        ([a, b]) => {
          const { shape, values } = naiveMatmul(a, b);
          const got = matmul(a, b);
          expect(got.dtype).toBe(a.dtype);
          expectValues(got, shape, values, a.dtype === "float32" ? { atol: 1e-4, rtol: 1e-5 } : undefined);
        },
      ),
      propertyConfig(),
    );
  });

  it("lays the result out like `layoutLike` (a gradient like its input, merged heads), with the same values", () => {
    fc.assert(
      fc.property(
        matmulShapes.chain(([sa, sb]) =>
          fc.tuple(
            ndarrays({ shape: sa, dtype: "float32", domain: { min: -3, max: 3 }, layouts: LAYOUTS }),
            ndarrays({ shape: sb, dtype: "float32", domain: { min: -3, max: 3 }, layouts: LAYOUTS }),
            fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 4, maxLength: 4 }),
            fc.boolean(),
          ),
        ),
        ([a, b, keys, lastInnermost]) => {
          const plain = matmul(a, b);
          // A random dim order of the result's shape (often keeping the last dim innermost), as
          // the strides of a permuted contiguous array.
          const key = (d: number) => (lastInnermost && d === plain.ndim - 1 ? Infinity : keys[d]!);
          const order = plain.shape.map((_, d) => d).sort((x, y) => key(x) - key(y) || x - y);
          const like = plain.shape.map(() => 0);
          let stride = 1;
          for (let q = order.length - 1; q >= 0; q--) {
            like[order[q]!] = stride;
            stride *= plain.shape[order[q]!]!;
          }
          const got = matmul(a, b, { layoutLike: like });
          expect(got.shape).toEqual(plain.shape);
          expect(Array.from(got.toArray())).toEqual(Array.from(plain.toArray()));
          const followed = a.ndim >= 2 && b.ndim >= 2 && (like[like.length - 1] === 1 || plain.shape[plain.ndim - 1] === 1);
          if (followed) expect(got.strides).toEqual(denseStridesLike(plain.shape, like));
          else expect(got.isContiguous()).toBe(true);
        },
      ),
      propertyConfig(),
    );
  });

  it("is exact across block and tile edges (sizes around 4, 8, 64, 128, 256) with transposed operands", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 3, 4, 5, 63, 65, 130),
        fc.constantFrom(1, 7, 255, 257, 300),
        fc.constantFrom(1, 4, 5, 9, 67),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom("float32" as const, "float64" as const),
        (m, k, n, ta, tb, dtype) => {
          // Small integers keep every partial sum exact (below 2^24 even in float32), so any lost term shows.
          const fillInts = (rows: number, cols: number, seed: number) => {
            const x = zeros([rows, cols], { dtype });
            for (let i = 0; i < x.size; i++) x.data[i] = ((i * 7 + seed) % 5) - 2;
            return x;
          };
          const a = ta ? fillInts(k, m, 1).t() : fillInts(m, k, 1);
          const b = tb ? fillInts(n, k, 2).t() : fillInts(k, n, 2);
          const { shape, values } = naiveMatmul(a, b);
          expectValues(matmul(a, b), shape, values, { atol: 0, rtol: 0 });
        },
      ),
      propertyConfig(20),
    );
  });

  it.each(["float32", "float64"] as const)("folds an unbatched right operand into one product, also for non-foldable left batches (%s)", (dtype) => {
    const a = zeros([2, 3, 4], { dtype });
    for (let i = 0; i < a.size; i++) a.data[i] = i % 7;
    const w = zeros([4, 5], { dtype });
    for (let i = 0; i < w.size; i++) w.data[i] = (i % 3) - 1;
    for (const left of [a, a.transpose(0, 1), a.permute([1, 0, 2]).contiguous().permute([1, 0, 2])]) {
      const { shape, values } = naiveMatmul(left, w);
      expectValues(matmul(left, w), shape, values);
    }
    // A right operand expanded over a batch that the left one broadcasts: no folding.
    const one = a.narrow(0, 0, 1);
    const wide = w.unsqueeze(0).expand([2, 4, 5]);
    const { shape, values } = naiveMatmul(one, wide);
    expectValues(matmul(one, wide), shape, values);
  });

  it("adds a bias row after the product with the bits of adding it afterwards (odd widths, deep k, batches, views)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 5, 33, 130),
        fc.constantFrom(1, 9, 257, 300),
        fc.constantFrom(1, 7, 8, 13, 67),
        fc.constantFrom([] as number[], [2], [2, 3]),
        fc.boolean(),
        fc.boolean(),
        dtypes(["int32", "float32", "float64"]),
        fc.integer(),
        (m, k, n, batch, tb, strided, dtype, seed) => {
          const fill = (shape: number[]) => {
            const x = zeros(shape, { dtype });
            for (let i = 0; i < x.size; i++) x.data[i] = dtype === "int32" ? ((i * 7 + seed) % 9) - 4 : Math.sin(i * 0.37 + seed);
            return x;
          };
          const a = fill([...batch, m, k]);
          const b = tb ? fill([n, k]).t() : fill([k, n]);
          // A strided bias (every other element of a longer array) takes the contiguous copy.
          const bias = strided ? fill([2 * n]).slice(0, 0, 2 * n, 2) : fill([n]);
          const want = add(matmul(a, b), bias);
          const got = matmul(a, b, { bias });
          expect(got.shape).toEqual(want.shape);
          expect(Array.from(got.toArray())).toEqual(Array.from(want.toArray()));
        },
      ),
      propertyConfig(20),
    );
    expect(() => matmul(zeros([2, 3]), zeros([3, 4]), { bias: zeros([3]) })).toThrow(/matmul: bias must be 1-d with the result's last dim \(4\) and dtype float32, got shape \[3\] \(float32\)/);
    expect(() => matmul(zeros([2, 3]), zeros([3]), { bias: zeros([1]) })).toThrow(/bias must be 1-d .*none: b is 1-d/);
  });

  it("names the shapes when they cannot be multiplied", () => {
    expect(() => matmul(zeros([2, 3]), zeros([4, 5]))).toThrow(/matmul: shapes \[2,3\] and \[4,5\] cannot be multiplied \(3 != 4\)/);
    expect(() => matmul(zeros([2, 2, 3]), zeros([3, 3, 1]))).toThrow(/matmul \(batch dims of \[2,2,3\] and \[3,3,1\]\): shapes \[2\] and \[3\] cannot be broadcast/);
    expect(() => matmul(zeros([]), zeros([3]))).toThrow(/matmul: both arguments need at least 1 dim/);
    expect(() => matmul(zeros([2, 2]), zeros([2, 2], { dtype: "float64" }))).toThrow(/matmul: expected both operands to have the same dtype, got float32 and float64/);
    expect(() => matmul(zeros([2], { dtype: "bool" }), zeros([2], { dtype: "bool" }))).toThrow(/matmul: not supported for bool/);
  });
});
