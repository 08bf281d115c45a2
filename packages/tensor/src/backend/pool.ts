/**
 * @file The worker pool (Node only): `threads - 1` persistent `worker_threads` workers, each with
 * its own instance of the kernel module on the one shared memory. Workers sleep in
 * `Atomics.wait` on a generation word and, once woken, claim tasks of the open job exactly as
 * the calling thread does, then poll for `tuning.spinMs` for a follow-up job before sleeping
 * again. Measured here: a sleeping worker wakes 30-100 us after `Atomics.notify`; a postMessage
 * reaches it in 45-130 us, and its reply would need the caller's event loop, which a synchronous
 * matmul never yields to; a polling worker sees a job within microseconds. Workers are unref'd,
 * so they never keep the process alive, and their source is an inline string, so the same code
 * runs from src/ (vitest, tsx) and from both dist builds. Where `worker_threads` is missing
 * (browsers) there is no pool and jobs run on the calling thread.
 */
import { CTRL_GEN, CTRL_READY, CTRL_SPIN, CTRL_TASKS, MAX_THREADS, setWaker, tuning, type WasmRuntime } from "./wasm.js";

type WorkerThreads = typeof import("node:worker_threads");
type NodeWorker = import("node:worker_threads").Worker;

/** The worker's whole program (CommonJS, run with `eval: true`). */
const WORKER_SOURCE = `
"use strict";
const { workerData } = require("node:worker_threads");
const { module, memory, job, ctrl, tid } = workerData;
// kernelImports of wasm.ts, for a shared memory:
const sleepWhile = (addr, value) => Atomics.wait(new Int32Array(memory.buffer, addr, 1), 0, value, 1);
const { work } = new WebAssembly.Instance(module, { env: { memory, sleepWhile } }).exports;
const words = new Int32Array(memory.buffer, ctrl, ${CTRL_TASKS / 4 + MAX_THREADS});
const GEN = ${CTRL_GEN / 4};
Atomics.store(words, ${CTRL_READY / 4} + tid, 1);
for (;;) {
  const gen = Atomics.load(words, GEN);
  const ran = work(job, tid, 0x7fffffff);
  if (ran > 0) Atomics.add(words, ${CTRL_TASKS / 4} + tid, ran);
  const until = performance.now() + Atomics.load(words, ${CTRL_SPIN / 4}) / 1000;
  let spins = 0;
  while (Atomics.load(words, GEN) === gen) {
    if ((++spins & 255) === 0 && performance.now() > until) {
      Atomics.wait(words, GEN, gen);
      break;
    }
  }
}
`;

/** A Node built-in module, or undefined outside Node (no static import, so bundles load anywhere). */
export function nodeBuiltin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
}

/** The number of logical CPUs (1 where unknown). */
export function cpuCount(): number {
  const os = nodeBuiltin<typeof import("node:os")>("node:os");
  if (os === undefined) {
    const hw = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
    return typeof hw === "number" && hw > 0 ? hw : 1;
  }
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

/** Live workers by thread id (1..MAX_THREADS-1; the caller is 0). */
const workers = new Map<number, NodeWorker>();
let failure = "";

/** Whether worker threads can be started here. */
export function poolSupported(rt: WasmRuntime): boolean {
  return rt.shared && nodeBuiltin<WorkerThreads>("node:worker_threads") !== undefined;
}

/** Why the pool could not start ("" when it did or was not tried). */
export function poolFailure(): string {
  return failure;
}

/** Workers alive now. */
export function poolSize(): number {
  return workers.size;
}

/**
 * Starts workers until the pool holds `count`; false when workers cannot run here. A new worker
 * joins jobs once it is up (tens of ms); until then the caller runs more of the tasks itself.
 */
export function growPool(rt: WasmRuntime, count: number): boolean {
  if (count <= workers.size) return true;
  const wt = poolSupported(rt) ? nodeBuiltin<WorkerThreads>("node:worker_threads") : undefined;
  if (wt === undefined) {
    failure = rt.shared ? "worker_threads is not available" : "shared WebAssembly memory is not available";
    return false;
  }
  try {
    for (let tid = 1; workers.size < count && tid < MAX_THREADS; tid++) {
      if (workers.has(tid)) continue;
      const worker = new wt.Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module: rt.module, memory: rt.memory, job: rt.job, ctrl: rt.ctrl, tid },
        execArgv: [], // no loaders (tsx, vitest) in the workers: they only run the kernel
        name: `typegrad-gemm-${tid}`,
      });
      worker.unref();
      worker.on("error", (err: Error) => {
        failure = `worker ${tid} failed: ${err.message}`;
        workers.delete(tid);
      });
      workers.set(tid, worker);
    }
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  if (workers.size > 0) setWaker(wake);
  return workers.size >= count;
}

/** Terminates every worker (they hold the old runtime's module and memory). */
export function stopPool(): void {
  for (const worker of workers.values()) void worker.terminate();
  workers.clear();
  setWaker(null);
}

/** Workers that are up (instantiated and polling) and the tasks they have run in all, for tests. */
export function poolStats(rt: WasmRuntime): { ready: number; tasks: number } {
  const words = new Int32Array(rt.memory.buffer, rt.ctrl, CTRL_TASKS / 4 + MAX_THREADS);
  let ready = 0;
  let tasks = 0;
  for (const tid of workers.keys()) {
    ready += Atomics.load(words, CTRL_READY / 4 + tid);
    tasks += Atomics.load(words, CTRL_TASKS / 4 + tid);
  }
  return { ready, tasks };
}

/** Bumps the generation word and wakes every sleeping worker. */
function wake(rt: WasmRuntime): void {
  const words = new Int32Array(rt.memory.buffer, rt.ctrl, 16);
  words[CTRL_SPIN / 4] = Math.round(tuning.spinMs * 1000);
  Atomics.add(words, CTRL_GEN / 4, 1);
  Atomics.notify(words, CTRL_GEN / 4);
}
