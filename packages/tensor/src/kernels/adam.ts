/**
 * @file The fused Adam/AdamW update that @typegrad/optim runs for a float32 parameter on the
 * wasm backend: one pass over p, g and the two moments, with the bits of optim's own loop (see
 * assembly/adam.ts). Elsewhere (the js backend, float64, strided or small arrays) it declines and
 * optim runs its loop.
 */
import { getBackend } from "../backend/index.js";
import { kernelTuning, wasmAdamStep, type AdamStepCoefficients } from "../backend/wasm-kernels.js";
import type { NDArray } from "../ndarray.js";

export type { AdamStepCoefficients };

/**
 * One Adam/AdamW step in place: p = p*decay, g' = sign*g + l2*p, m = beta1*m + (1-beta1)*g',
 * v = beta2*v + (1-beta2)*g'^2, p += negStepSize*m / (sqrt(v)*invBc2Sqrt + eps), in float64 with m
 * and v rounded to float32 when stored. False (nothing written) where the fused kernel does not apply.
 */
export function adamStep(p: NDArray, g: NDArray, m: NDArray, v: NDArray, c: AdamStepCoefficients): boolean {
  const arrays = [p, g, m, v];
  if (getBackend() !== "wasm" || p.size < kernelTuning.adamMin) return false;
  if (!arrays.every((a) => a.dtype === "float32" && a.size === p.size && a.isContiguous())) return false;
  const [P, G, M, V] = arrays.map((a) => a.data as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
  return wasmAdamStep(P, p.offset, G, g.offset, M, m.offset, V, v.offset, p.size, c);
}
