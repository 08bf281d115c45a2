/**
 * @file The fused backward kernels (used by autograd when no graph is recorded) against their
 * definitions written with the other kernels: geluBackward, softmaxBackward,
 * logSoftmaxBackward and layerNormBackward, on random shapes, dtypes, dims and layouts, on each
 * kernel backend.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import type { DType } from "../dtype.js";
import { ndarrays, shapes } from "../testing/arbitraries.js";
import { propertyConfig } from "../testing/config.js";
import { logicalValues } from "../testing/reference.js";
import { expectValues } from "../test-helpers.js";
import { KERNEL_BACKENDS, useKernelBackend } from "./backend-test-helpers.js";
import * as K from "../index.js";

const withDim = ndarrays({ shape: shapes({ minDims: 1 }), dtype: fc.constantFrom<DType>("float32", "float64") }).chain((x) =>
  fc.tuple(fc.constant(x), ndarrays({ shape: x.shape, dtype: x.dtype }), fc.integer({ min: -x.ndim, max: x.ndim - 1 })),
);

describe.each(KERNEL_BACKENDS)("backend %s", (backend) => {
  useKernelBackend(backend);

  describe("fused backward kernels", () => {
    it("geluBackward and geluTanhBackward equal g times the derivative", () => {
      fc.assert(
        fc.property(withDim, ([x, g]) => {
          const xv = logicalValues(x);
          const gv = logicalValues(g);
          const d = (v: number) => 0.5 * (1 + K.scalar.erf(v / Math.SQRT2)) + (v * Math.exp(-v * v / 2)) / Math.sqrt(2 * Math.PI);
          expectValues(K.geluBackward(x, g), x.shape, xv.map((v, i) => gv[i]! * d(v)));
          const c = Math.sqrt(2 / Math.PI);
          const dt = (v: number) => {
            const t = Math.tanh(c * (v + 0.044715 * v ** 3));
            return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v);
          };
          expectValues(K.geluTanhBackward(x, g), x.shape, xv.map((v, i) => gv[i]! * dt(v)));
        }),
        propertyConfig(),
      );
    });

    it("softmaxBackward and logSoftmaxBackward equal their closed forms", () => {
      fc.assert(
        fc.property(withDim, ([x, g, dim]) => {
          const y = K.softmax(x, dim);
          const want = K.mul(y, K.sub(g, K.sum(K.mul(g, y), dim, true)));
          expectValues(K.softmaxBackward(y, g, dim), x.shape, logicalValues(want));
          const ly = K.logSoftmax(x, dim);
          const lwant = K.sub(g, K.mul(K.exp(ly), K.sum(g, dim, true)));
          expectValues(K.logSoftmaxBackward(ly, g, dim), x.shape, logicalValues(lwant));
        }),
        propertyConfig(),
      );
    });

    it("layerNormBackward equals rstd * (gw - mean(gw) - xhat * mean(gw * xhat)) and the row sums", () => {
      fc.assert(
        fc.property(
          withDim.chain(([x, g]) => fc.tuple(fc.constant(x), fc.constant(g), fc.integer({ min: 1, max: x.ndim }), fc.boolean())),
          ([x, g, k, affine]) => {
            const lane = x.shape.slice(x.ndim - k);
            const dims = lane.map((_, i) => x.ndim - k + i);
            const lead = x.shape.slice(0, x.ndim - k).map((_, i) => i);
            const w = affine ? K.add(K.rand(lane, { dtype: x.dtype }), 0.5) : null;
            const eps = 1e-5;
            const centered = K.sub(x, K.mean(x, dims, true));
            const rstd = K.rsqrt(K.add(K.mean(K.square(centered), dims, true), eps));
            const xhat = K.mul(centered, rstd);
            const gw = w ? K.mul(g, w) : g;
            const dx = K.mul(rstd, K.sub(K.sub(gw, K.mean(gw, dims, true)), K.mul(xhat, K.mean(K.mul(gw, xhat), dims, true))));
            const got = K.layerNormBackward(x, g, w, k, eps);
            expectValues(got.dx, x.shape, logicalValues(dx));
            expectValues(got.db!, lane, logicalValues(K.sum(g, lead)));
            if (w) expectValues(got.dw!, lane, logicalValues(K.sum(K.mul(g, xhat), lead)));
          },
        ),
        propertyConfig(),
      );
    });
  });
});
