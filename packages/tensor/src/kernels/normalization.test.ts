/** @file layerNorm against a naive per-row reference on random shapes, dtypes, layouts and normalized dims, on each kernel backend. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { zeros } from "../create.js";
import type { DType } from "../dtype.js";
import { ndarrays, shapes } from "../testing/arbitraries.js";
import { propertyConfig } from "../testing/config.js";
import { logicalValues } from "../testing/reference.js";
import { expectValues } from "../test-helpers.js";
import { KERNEL_BACKENDS, useKernelBackend } from "./backend-test-helpers.js";
import { layerNorm } from "./normalization.js";

const FLOATS = fc.constantFrom<DType>("float32", "float64");

describe.each(KERNEL_BACKENDS)("backend %s", (backend) => {
  useKernelBackend(backend);

  describe("layerNorm", () => {
    it("matches (x - mean) / sqrt(biased var + eps) * w + b per row", () => {
      fc.assert(
        fc.property(
          ndarrays({ shape: shapes({ minDims: 1 }), dtype: FLOATS }).chain((x) =>
            fc.integer({ min: 1, max: x.ndim }).chain((k) => {
              const lane = x.shape.slice(x.ndim - k);
              const param = fc.option(ndarrays({ shape: lane, dtype: x.dtype }));
              return fc.tuple(fc.constant(x), fc.constant(k), param, param, fc.constantFrom(1e-5, 0.1));
            }),
          ),
          ([x, k, w, b, eps]) => {
            const n = x.shape.slice(x.ndim - k).reduce((p, s) => p * s, 1);
            const values = logicalValues(x);
            const wv = w ? logicalValues(w) : null;
            const bv = b ? logicalValues(b) : null;
            const want: number[] = [];
            for (let r = 0; r < values.length / n; r++) {
              const row = values.slice(r * n, (r + 1) * n);
              const mean = row.reduce((s, v) => s + v, 0) / n;
              const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
              row.forEach((v, i) => want.push(((v - mean) / Math.sqrt(variance + eps)) * (wv ? wv[i]! : 1) + (bv ? bv[i]! : 0)));
            }
            expectValues(layerNorm(x, k, w, b, eps), x.shape, want);
          },
        ),
        propertyConfig(),
      );
    });

    it("names the op and the shapes on bad input", () => {
      const x = zeros([2, 3]);
      expect(() => layerNorm(x, 3, null, null, 1e-5)).toThrow(/layerNorm: cannot normalize the last 3 dims of shape \[2,3\]/);
      expect(() => layerNorm(x, 1, zeros([2]), null, 1e-5)).toThrow(/layerNorm: weight of shape \[2\] must have the normalized shape \[3\]/);
      expect(() => layerNorm(zeros([2], { dtype: "int32" }), 1, null, null, 1e-5)).toThrow(/layerNorm: expected a float32 or float64 tensor, got int32/);
    });
  });
});
