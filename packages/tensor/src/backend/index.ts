/**
 * @file Backend selection. "wasm" (the default where it loads) runs float32 matmul in the
 * WebAssembly SIMD kernel, on a pool of worker threads above a size where that pays; "js" keeps
 * everything in the TypeScript kernels, which are also the reference and the fallback (for
 * float64 and int32, for tiny products, and wherever WebAssembly cannot load). The environment
 * variables TYPEGRAD_BACKEND ("wasm" | "js") and TYPEGRAD_THREADS set the initial choice.
 */
import { cpuCount, growPool, poolFailure, poolSize, poolStats, poolSupported, stopPool } from "./pool.js";
import { MAX_THREADS, replaceRuntime, wasmFailure, wasmRuntime, type RuntimeOptions, type WasmRuntime } from "./wasm.js";
import { env } from "../env.js";

/** A kernel backend. */
export type BackendName = "wasm" | "js";

/** What `backendInfo()` reports. */
export interface BackendInfo {
  /** The backend in use. */
  backend: BackendName;
  /** Whether the WebAssembly kernel loaded (it is loaded on first query). */
  wasm: boolean;
  /** Whether it is the fused multiply-add (relaxed SIMD) variant. */
  relaxedSimd: boolean;
  /** Threads a large matmul uses (the caller plus pool workers; 1 on the js backend). */
  threads: number;
  /** Why wasm or the worker pool is unavailable, if either is. */
  reason?: string;
}

let backend: BackendName | undefined;
let threads: number | undefined;

/** The backend in use: the last `setBackend`, else TYPEGRAD_BACKEND, else wasm where it loads. */
export function getBackend(): BackendName {
  if (backend === undefined) {
    const raw = env("TYPEGRAD_BACKEND");
    if (raw !== undefined && raw !== "wasm" && raw !== "js") {
      throw new RangeError(`TYPEGRAD_BACKEND: expected "wasm" or "js", got "${raw}"`);
    }
    backend = raw === "js" ? "js" : wasmRuntime() !== null ? "wasm" : "js";
  }
  return backend;
}

/**
 * Chooses the kernel backend for every later op. "wasm" throws where WebAssembly SIMD cannot load.
 * @example setBackend("js") // the plain TypeScript kernels
 */
export function setBackend(name: BackendName): void {
  if (name !== "wasm" && name !== "js") throw new RangeError(`setBackend: expected "wasm" or "js", got ${JSON.stringify(name)}`);
  if (name === "wasm" && wasmRuntime() === null) {
    throw new Error(`setBackend: the wasm backend cannot load here (${wasmFailure()})`);
  }
  backend = name;
}

/** Threads for large matmuls: the last `setNumThreads`, else TYPEGRAD_THREADS, else the CPU count (at most 16). */
export function getNumThreads(): number {
  if (threads === undefined) {
    const raw = env("TYPEGRAD_THREADS");
    const n = raw === undefined ? NaN : Number(raw);
    if (raw !== undefined && !(Number.isInteger(n) && n >= 1)) {
      throw new RangeError(`TYPEGRAD_THREADS: expected a positive integer, got "${raw}"`);
    }
    threads = Math.min(MAX_THREADS, raw === undefined ? cpuCount() : n);
  }
  return threads;
}

/**
 * Sets how many threads (the caller plus `n - 1` pool workers) large wasm matmuls use; 1 runs
 * everything on the calling thread. Workers already started stay (idle) when n shrinks.
 * @example setNumThreads(1)
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new RangeError(`setNumThreads: expected an integer from 1 to ${MAX_THREADS}, got ${n}`);
  }
  threads = n;
}

/** Threads a job may use now: starts workers on first need; 1 where workers cannot run. */
export function activeThreads(): number {
  const want = getNumThreads();
  if (want === 1) return 1;
  const rt = wasmRuntime();
  if (rt === null || !poolSupported(rt)) return 1;
  if (poolSize() < want - 1) growPool(rt, want - 1);
  return Math.min(want, poolSize() + 1);
}

/**
 * Starts the workers that `getNumThreads()` asks for and resolves once they run (false where
 * there is no pool, or after `timeoutMs`). Internal: tests use it so that the pool takes part.
 */
export async function poolReady(timeoutMs = 10_000): Promise<boolean> {
  const want = getNumThreads() - 1;
  const rt = wasmRuntime();
  if (want < 1 || rt === null || !poolSupported(rt) || !growPool(rt, want)) return false;
  for (const end = Date.now() + timeoutMs; poolStats(rt).ready < want && Date.now() < end; ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return poolStats(rt).ready >= want;
}

/** The backend in use and what the wasm kernel runs with here. */
export function backendInfo(): BackendInfo {
  const rt = wasmRuntime();
  const name = getBackend();
  const info: BackendInfo = {
    backend: name,
    wasm: rt !== null,
    relaxedSimd: rt?.relaxedSimd ?? false,
    threads: name === "wasm" && rt !== null && rt.shared && poolSupported(rt) ? getNumThreads() : 1,
  };
  const reason = rt === null ? wasmFailure() : !rt.shared ? "shared WebAssembly memory is not available" : poolFailure();
  if (reason !== "") info.reason = reason;
  return info;
}

/**
 * Stops the workers and loads a fresh WebAssembly runtime of the given variant (default: what
 * the engine supports). Internal: tests use it to run every kernel variant in one process.
 */
export function reloadWasm(options: RuntimeOptions = {}): WasmRuntime | null {
  stopPool();
  return replaceRuntime(options);
}
