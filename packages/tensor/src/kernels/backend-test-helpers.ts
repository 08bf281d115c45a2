/**
 * @file Test helpers (not exported): run a suite once per kernel backend. On "wasm" every size
 * threshold of the WebAssembly kernels drops to 0 and chunks shrink to an odd 37 floats, so that
 * even the smallest random arrays reach the kernels and larger ones cross chunk boundaries
 * (rows longer than a chunk included).
 */
import { afterAll, beforeAll } from "vitest";
import { getBackend, setBackend, type BackendName } from "../backend/index.js";
import { kernelTuning } from "../backend/wasm-kernels.js";

/** The backends every kernel suite runs on. */
export const KERNEL_BACKENDS: readonly BackendName[] = ["js", "wasm"];

/** Sets `backend` (with the wasm thresholds at 0) for the enclosing describe block. */
export function useKernelBackend(backend: BackendName): void {
  const saved = { backend: getBackend(), ...kernelTuning };
  beforeAll(() => {
    setBackend(backend);
    Object.assign(kernelTuning, { unaryMin: 0, binaryMin: 0, softmaxMin: 0, layerNormMin: 0, chunkElements: 37 });
  });
  afterAll(() => {
    setBackend(saved.backend);
    const { backend: _, ...tuning } = saved;
    Object.assign(kernelTuning, tuning);
  });
}
