/**
 * @file formatNDArray against PyTorch 1.13's `str(tensor)`: goldens printed by
 * scripts/goldens/format_goldens.py, plus strided views printing like their contiguous copies.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { DType, Storage } from "./dtype.js";
import { formatNDArray } from "./format.js";
import { NDArray } from "./ndarray.js";

interface GoldenCase {
  shape: number[];
  dtype: DType;
  data: (number | "nan" | "inf" | "-inf")[];
  expected: string;
  options?: { threshold?: number; edgeItems?: number; lineWidth?: number; precision?: number };
}

const goldens = JSON.parse(readFileSync(new URL("./format.golden.json", import.meta.url), "utf8")) as GoldenCase[];

const NON_FINITE = { nan: NaN, inf: Infinity, "-inf": -Infinity } as const;

function storageOf(dtype: DType, values: readonly number[]): Storage {
  switch (dtype) {
    case "float32":
      return Float32Array.from(values);
    case "float64":
      return Float64Array.from(values);
    case "int32":
      return Int32Array.from(values);
    case "bool":
      return Uint8Array.from(values);
  }
}

function build(c: GoldenCase): NDArray {
  const values = c.data.map((v) => (typeof v === "string" ? NON_FINITE[v] : v));
  return NDArray.fromStorage(storageOf(c.dtype, values), c.shape);
}

describe("formatNDArray goldens (PyTorch 1.13)", () => {
  it("has cases", () => {
    expect(goldens.length).toBeGreaterThan(100);
  });

  it.each(goldens.map((c, i) => [`${i}: ${c.dtype} [${c.shape.join(",")}]`, c] as const))("%s", (_, c) => {
    expect(formatNDArray(build(c), c.options)).toBe(c.expected);
  });

  it("toString() is formatNDArray", () => {
    const c = goldens.find((g) => g.dtype === "float64" && g.shape.length === 2);
    expect(c).toBeDefined();
    if (c) expect(build(c).toString()).toBe(c.expected);
  });
});

describe("formatNDArray on strided views", () => {
  const values = Array.from({ length: 4 * 6 * 5 }, (_, i) => Math.sin(i * 1.7) * (i % 7 === 0 ? 1e3 : 1));
  const base = NDArray.fromStorage(Float32Array.from(values), [4, 6, 5]);
  const big = NDArray.fromStorage(Float64Array.from({ length: 60 * 50 }, (_, i) => (i % 97) - 40), [60, 50]);
  const ints = NDArray.fromStorage(Int32Array.from({ length: 30 }, (_, i) => i * i - 200), [5, 6]);
  const views: [string, NDArray][] = [
    ["transpose(0, 1)", base.transpose(0, 1)],
    ["transpose(0, 2)", base.transpose(0, 2)],
    ["permute([2, 0, 1])", base.permute([2, 0, 1])],
    ["slice(1, 0, undefined, 2)", base.slice(1, 0, undefined, 2)],
    ["slice(2, 1, 4)", base.slice(2, 1, 4)],
    ["select(1, 3)", base.select(1, 3)],
    ["select + 0-d", base.select(0, 2).select(0, 1).select(0, 4)],
    ["expand (stride 0)", base.select(0, 0).select(0, 0).unsqueeze(0).expand([3, 5])],
    ["summarized transpose", big.transpose(0, 1)],
    ["summarized step slice", big.slice(0, 1, undefined, 2).slice(1, 0, undefined, 3)],
    ["int32 transpose", ints.t()],
    ["empty slice", base.slice(1, 6)],
  ];
  it.each(views)("%s prints like its contiguous copy", (_, view) => {
    expect(formatNDArray(view)).toBe(formatNDArray(view.clone()));
  });

  it("a transposed matrix prints its rows in view order", () => {
    const m = NDArray.fromStorage(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(formatNDArray(m.transpose(0, 1))).toBe("tensor([[1., 4.],\n        [2., 5.],\n        [3., 6.]])");
  });
});
