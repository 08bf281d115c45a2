/**
 * @file The WebAssembly runtimes: picks the kernel variant this engine runs (relaxed SIMD when
 * `WebAssembly.validate` accepts a fused multiply-add, else plain SIMD), instantiates it on a
 * shared memory (when the engine has one) for jobs that the worker pool shares, and on a second,
 * unshared memory for everything the calling thread runs alone: V8 copies into and out of an
 * unshared memory faster (plain memcpy; a shared one is copied with relaxed atomics). Each memory
 * is laid out once (job descriptor, per-thread scratch, then a growable arena reused by every
 * call). A job is run by the calling thread through the kernel's `work` export, with any pool
 * workers claiming tasks of the same job through an atomic ticket (see assembly/gemm.ts); the
 * caller returns once all tasks are done (with hooks that let it copy operands in and results out
 * while the workers run tasks). Nothing here allocates per call beyond small JS views.
 */
import { GEMM_RELAXED_SHARED, GEMM_RELAXED_UNSHARED, GEMM_SIMD_SHARED, GEMM_SIMD_UNSHARED } from "../generated/gemm-wasm.js";

/** Micro-tile and block sizes; they must match assembly/gemm.ts. */
export const MR = 4;
export const NR = 8;
export const KC = 256;
/** Largest row block of one compute task (the per-thread A block is MC_MAX x KC floats). */
export const MC_MAX = 128;
/** Threads (the caller plus workers) that can share one job: one scratch slot each. */
export const MAX_THREADS = 16;

const PAGE = 65536;
/** Must match `--maximumMemory` in scripts/build-wasm.mjs (1 GiB). */
const MAX_PAGES = 16384;
const JOB_BYTES = 256;
const CTRL_BYTES = 256;
const SCRATCH_STRIDE = align((MC_MAX * KC + MR * NR) * 4);

/** Job descriptor fields, in bytes from the job's start (mirrors J_* in assembly/gemm.ts). */
export const J = {
  TICKET: 0, DONE: 8, TOTAL: 12, PACK_TASKS: 16, PACK_DONE: 20, M: 24, N: 28, K: 32, ARS: 36, ACS: 40,
  BRS: 44, BCS: 48, LDC: 52, ROW_BLOCKS: 56, MC: 60, PACK_CHUNKS: 64, CHUNK_PANELS: 68, PACKED_B: 72,
  PACKED_STRIDE: 76, TABLE: 80, SCRATCH: 84, SCRATCH_STRIDE: 88, SHARED_B: 92, THREADS: 96, KIND: 100,
  // An elementwise job (assembly/maps.ts, mapTask)
  MAP_FN: 104, MAP_OP: 108, MAP_COUNT: 112, MAP_CHUNK: 116, MAP_X: 120, MAP_G: 124, MAP_Y: 128,
  A_READY: 132, TASK_DONE: 136, BIAS: 140,
} as const;
/** Job kinds (J.KIND). */
const KIND_GEMM = 0;
const KIND_MAP = 1;
/**
 * Control words shared with the workers, in bytes from `ctrl`: GEN is bumped to wake them, SPIN
 * holds how long (us) they poll for the next job before sleeping; worker `tid` sets word
 * READY/4 + tid once it runs and adds the tasks it ran to TASKS/4 + tid.
 */
export const CTRL_GEN = 0;
export const CTRL_SPIN = 4;
export const CTRL_READY = 64;
export const CTRL_TASKS = 128;

/**
 * Tuning of the wasm matmul, measured on the 2-core AMD EPYC VM this was developed on. Sizes are
 * in flops (2 m n k over a batch). A wasm call costs about 3 us beyond the kernel ([8,32]x[32,32]:
 * 5 us against 15 us for the JS gemm), so all but the tiniest float32 products use it. A
 * sleeping worker takes about 90 us to wake, so the pool pays from about n = 128 (n = 96 while
 * the worker is still polling after a previous job); `spinMs` keeps it polling between the
 * products of a loop. Tests lower the thresholds to reach every path.
 */
export const tuning = {
  /** Below this a float32 product stays on the JS gemm. */
  wasmMinFlops: 2 * 8 * 8 * 16,
  /** From this on a product is shared with the worker threads. */
  parallelMinFlops: 2 * 128 * 128 * 128,
  /** Bytes one job may use in the arena (of the 1 GiB maximum); a larger batch runs as several jobs. */
  arenaBudget: 512 * 1024 * 1024,
  /** How long (ms) an idle worker polls for the next job before it sleeps in Atomics.wait. */
  spinMs: 0.5,
  /**
   * Row-block tasks per thread a parallel job aims for (more: a shorter wait for the last task,
   * smaller blocks). 16 against 4: W3's wait for the worker's last task fell from 7-8 to 5 ms
   * a step, and its step 4 ms faster at p10 in 6 alternating runs.
   */
  tasksPerThread: 16,
};

/** The module's exports (assembly/index.ts); addresses are bytes, counts elements. */
export interface KernelExports {
  work(job: number, tid: number, limit: number): number;
  /** Runs all tasks of a job that was written but not opened (unshared memory only). */
  runAll(job: number): void;
  heapBase(): number;
  /** 1 in the fused multiply-add variant. */
  relaxed(): number;
  /** The kernel's depth block (must equal KC here). */
  KC: WebAssembly.Global;
  unary(op: number, src: number, dst: number, n: number): void;
  unaryGrad(op: number, x: number, g: number, dst: number, n: number): void;
  binary(op: number, a: number, b: number, dst: number, n: number, bn: number): void;
  softmaxRows(p: number, rows: number, n: number, log: number): void;
  softmaxBackwardRows(y: number, g: number, rows: number, n: number, log: number): void;
  layerNormRows(p: number, rows: number, n: number, w: number, b: number, eps: number): void;
  layerNormBackwardRows(x: number, g: number, rows: number, n: number, w: number, eps: number, acc: number): void;
  sumRows(src: number, rows: number, n: number, acc: number): void;
  adamStep(
    p: number, g: number, m: number, v: number, n: number,
    decay: number, l2: number, sign: number, beta1: number, omb1: number, beta2: number, omb2: number, negStep: number, invBc2Sqrt: number, eps: number,
  ): void;
  geluCdf(x: number, y: number, cdf: number, n: number): void;
  geluGradCdf(x: number, cdf: number, g: number, dst: number, n: number): void;
}

/** A loaded kernel module with its memory and layout. */
export interface WasmRuntime {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly exports: KernelExports;
  /** True when the fused multiply-add (relaxed SIMD) variant is in use. */
  readonly relaxedSimd: boolean;
  /** True when the memory is shared, so workers can run tasks of a job. */
  readonly shared: boolean;
  /** Byte address of the job descriptor. */
  readonly job: number;
  /** Byte address of the control words. */
  readonly ctrl: number;
  /** Byte address of the first arena byte. */
  readonly arena: number;
  /** Views of the memory, replaced by `reserve` when it grows (read them after reserving). */
  f32: Float32Array;
  f64: Float64Array;
  i32: Int32Array;
  i64: BigInt64Array;
  /** The ticket generation of the last job. */
  generation: bigint;
}

let runtime: WasmRuntime | null | undefined;
/** The unshared runtime for single-threaded work (the primary one when that is unshared). */
let local: WasmRuntime | null | undefined;
let localWanted = true;
let failure = "";

/** Rounds a byte count up to a multiple of 64 (one cache line). */
export function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/** Base64 to bytes with no Node or DOM dependency beyond `atob`. */
function decode(b64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
}

/** True when this engine validates f32x4.relaxed_madd (Node 22+, current browsers). */
export function hasRelaxedSimd(): boolean {
  const zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
  const body = [0x00, ...zero, ...zero, ...zero, 0xfd, 0x85, 0x02, 0x0b]; // no locals; f32x4.relaxed_madd; end
  const probe = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, //      type section: () -> v128
    0x03, 0x02, 0x01, 0x00, //                        function section: one function of type 0
    0x0a, body.length + 2, 0x01, body.length, ...body, // code section: that function's body
  ]);
  return WebAssembly.validate(probe);
}

/** Whether a shared WebAssembly.Memory can be created here (Node; cross-origin-isolated pages). */
function canShareMemory(): boolean {
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * The primary runtime (on shared memory where the engine has it: the worker pool joins its
 * jobs), loading it on first use; null (see `wasmFailure`) where it cannot load.
 */
export function wasmRuntime(): WasmRuntime | null {
  if (runtime === undefined) runtime = load({});
  return runtime;
}

/**
 * The runtime for work the calling thread does alone: the same kernel variant on an unshared
 * memory, loaded on first use (the primary runtime where it is unshared itself, or where a
 * second instance cannot load); null where WebAssembly cannot load at all.
 */
export function localRuntime(): WasmRuntime | null {
  if (local === undefined) {
    const rt = wasmRuntime();
    local = rt === null || !rt.shared || !localWanted ? rt : (loadQuietly({ relaxedSimd: rt.relaxedSimd, shared: false }) ?? rt);
  }
  return local;
}

/** Which kernel variant to load; each choice defaults to what the engine supports. */
export interface RuntimeOptions {
  relaxedSimd?: boolean;
  shared?: boolean;
  /** Whether single-threaded work gets an unshared memory of its own (default true). */
  local?: boolean;
}

/**
 * Replaces the runtime with a fresh one of the given variant (tests use it to reach every
 * variant in one process). Workers of the old runtime must be stopped first.
 */
export function replaceRuntime(options: RuntimeOptions): WasmRuntime | null {
  failure = "";
  localWanted = options.local ?? true;
  local = undefined;
  runtime = load(options);
  return runtime;
}

/** Why the runtime could not load ("" when it loaded or was not tried). */
export function wasmFailure(): string {
  return failure;
}

function load(options: RuntimeOptions): WasmRuntime | null {
  try {
    return instantiate(options);
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
    return null;
  }
}

function loadQuietly(options: RuntimeOptions): WasmRuntime | null {
  try {
    return instantiate(options);
  } catch {
    return null;
  }
}

/**
 * The module's imports: its memory, and `sleepWhile(addr, value)`, the 1 ms Atomics.wait that a
 * thread waiting for another one's pack tasks falls back to (see assembly/gemm.ts for why it is
 * not wasm's own wait). pool.ts gives its workers the same two.
 */
export function kernelImports(memory: WebAssembly.Memory, shared: boolean) {
  const sleepWhile = (addr: number, value: number): void => {
    if (shared) Atomics.wait(new Int32Array(memory.buffer, addr, 1), 0, value, 1);
  };
  return { memory, sleepWhile };
}

function instantiate(options: RuntimeOptions): WasmRuntime {
  if (typeof WebAssembly !== "object") throw new Error("WebAssembly is not available");
  const relaxedSimd = options.relaxedSimd ?? hasRelaxedSimd();
  const shared = options.shared ?? canShareMemory();
  const b64 = relaxedSimd ? (shared ? GEMM_RELAXED_SHARED : GEMM_RELAXED_UNSHARED) : shared ? GEMM_SIMD_SHARED : GEMM_SIMD_UNSHARED;
  const bytes = decode(b64);
  if (!WebAssembly.validate(bytes)) throw new Error(`this engine does not support WebAssembly ${relaxedSimd ? "relaxed " : ""}SIMD`);
  const module = new WebAssembly.Module(bytes);
  const memory = new WebAssembly.Memory(shared ? { initial: 1, maximum: MAX_PAGES, shared: true } : { initial: 1, maximum: MAX_PAGES });
  const instance = new WebAssembly.Instance(module, { env: kernelImports(memory, shared) });
  const exports = instance.exports as unknown as KernelExports;
  const job = align(exports.heapBase());
  const ctrl = job + JOB_BYTES;
  const arena = ctrl + CTRL_BYTES + MAX_THREADS * SCRATCH_STRIDE;
  const rt: WasmRuntime = {
    module, memory, exports, relaxedSimd, shared, job, ctrl, arena, generation: 0n,
    f32: new Float32Array(0), f64: new Float64Array(0), i32: new Int32Array(0), i64: new BigInt64Array(0),
  };
  if (!reserve(rt, 0)) throw new Error("cannot grow the WebAssembly memory to hold the kernel scratch");
  // Close the ticket so a worker that starts before the first job finds nothing to claim.
  Atomics.store(rt.i64, job / 8 + J.TICKET / 8, 0xffffffffn);
  return rt;
}

/** Refreshes the JS views after the memory grew. */
function refreshViews(rt: WasmRuntime): void {
  const buffer = rt.memory.buffer;
  if (rt.f32.buffer === buffer && rt.f32.length * 4 === buffer.byteLength) return;
  rt.f32 = new Float32Array(buffer);
  rt.f64 = new Float64Array(buffer);
  rt.i32 = new Int32Array(buffer);
  rt.i64 = new BigInt64Array(buffer);
}

/**
 * Makes the arena of `rt` at least `bytes` long (growing the memory with some headroom, never
 * shrinking it) and refreshes its views. False when that would pass the memory's maximum.
 */
export function reserve(rt: WasmRuntime, bytes: number): boolean {
  const need = rt.arena + bytes;
  const have = rt.memory.buffer.byteLength;
  if (need > have) {
    const pages = Math.ceil(need / PAGE);
    if (pages > MAX_PAGES) return false;
    const target = Math.min(MAX_PAGES, Math.max(pages, Math.ceil((have / PAGE) * 1.25)));
    rt.memory.grow(target - have / PAGE);
  }
  refreshViews(rt);
  return true;
}

/** The shape of one job; addresses are bytes into the wasm memory. */
export interface JobSpec {
  m: number;
  n: number;
  k: number;
  aRowStride: number;
  aColStride: number;
  bRowStride: number;
  bColStride: number;
  ldc: number;
  entries: number;
  mc: number;
  packChunks: number;
  chunkPanels: number;
  packedB: number;
  packedStride: number;
  table: number;
  sharedB: boolean;
  /** Byte address of n floats (padded with zeros to whole panels) added to every row of C, or 0. */
  bias: number;
}

/** Pool hook: wakes the workers for the job that was just opened (set by pool.ts). */
let wakeWorkers: ((rt: WasmRuntime) => void) | null = null;

/** Installs (or removes) the function that wakes pool workers for a parallel job. */
export function setWaker(wake: ((rt: WasmRuntime) => void) | null): void {
  wakeWorkers = wake;
}

/**
 * What the caller does around a job's tasks, so that its copies overlap the workers' work. Hooks
 * run on the calling thread, and also (in order, around the tasks) for a job it runs alone.
 */
export interface JobHooks {
  /** Copies in what only the compute tasks read (A); they wait for it. Pack tasks run meanwhile. */
  fill?: () => void;
  /** Copies out what finished tasks wrote; called between the caller's tasks and while it waits. */
  drain?: () => void;
  /** Byte address of one i32 per compute task, which the kernel sets to 1 as the task ends (0: none). */
  taskDone?: number;
}

/**
 * Runs one GEMM job to completion on `threads` threads (the caller, tid 0, and workers with
 * tid < threads): the caller claims tasks like any worker, then waits for tasks that workers
 * still hold.
 */
export function runJob(rt: WasmRuntime, spec: JobSpec, threads: number, hooks: JobHooks = {}): void {
  const rowBlocks = Math.ceil(spec.m / spec.mc);
  const packTasks = (spec.sharedB ? 1 : spec.entries) * spec.packChunks;
  runTasks(rt, packTasks + spec.entries * rowBlocks, packTasks, threads, hooks, [
    J.TASK_DONE, hooks.taskDone ?? 0, J.BIAS, spec.bias,
    J.KIND, KIND_GEMM, J.M, spec.m, J.N, spec.n, J.K, spec.k,
    J.ARS, spec.aRowStride, J.ACS, spec.aColStride, J.BRS, spec.bRowStride, J.BCS, spec.bColStride,
    J.LDC, spec.ldc, J.ROW_BLOCKS, rowBlocks, J.MC, spec.mc, J.PACK_CHUNKS, spec.packChunks,
    J.CHUNK_PANELS, spec.chunkPanels, J.PACKED_B, spec.packedB, J.PACKED_STRIDE, spec.packedStride,
    J.TABLE, spec.table, J.SCRATCH, rt.ctrl + CTRL_BYTES, J.SCRATCH_STRIDE, SCRATCH_STRIDE, J.SHARED_B, spec.sharedB ? 1 : 0,
  ]);
}

/** An elementwise job: `unary` (op over x, in place) or `unaryGrad` (g * op'(x), over g). */
export interface MapJobSpec {
  fn: keyof typeof MAP_FN;
  op: number;
  /** Elements (a multiple of 4) and elements per task (a multiple of 4). */
  count: number;
  chunk: number;
  /** Byte addresses (y: geluGradCdf's Phi, else unused). */
  x: number;
  g: number;
  y?: number;
}

/** Map function codes of assembly/maps.ts (`mapTask`). */
const MAP_FN = { unary: 0, unaryGrad: 1, geluCdf: 2, geluGradCdf: 3 } as const;

/** Runs an elementwise job in chunks on `threads` threads, as `runJob` does a GEMM. */
export function runMapJob(rt: WasmRuntime, spec: MapJobSpec, threads: number): void {
  runTasks(rt, Math.ceil(spec.count / spec.chunk), 0, threads, {}, [
    J.KIND, KIND_MAP, J.MAP_FN, MAP_FN[spec.fn], J.MAP_OP, spec.op,
    J.MAP_COUNT, spec.count, J.MAP_CHUNK, spec.chunk, J.MAP_X, spec.x, J.MAP_G, spec.g, J.MAP_Y, spec.y ?? 0,
  ]);
}

/**
 * Opens a job of `total` tasks, the first `packTasks` of them pack tasks, with its `fields`
 * (pairs, flat: byte offset in the descriptor, i32 value; one array per job, as every matmul
 * runs one); runs it on `threads` threads with the caller's `hooks` and returns once every task
 * is done and drained.
 */
function runTasks(rt: WasmRuntime, total: number, packTasks: number, threads: number, hooks: JobHooks, fields: readonly number[]): void {
  const { i32, i64 } = rt;
  const base = rt.job / 4;
  const { fill, drain } = hooks;
  if (!rt.shared) {
    // No other thread can see this memory: no ticket, no atomics (a tiny product's job is
    // mostly this bookkeeping).
    fill?.();
    i32[base + J.TOTAL / 4] = total;
    i32[base + J.PACK_TASKS / 4] = packTasks;
    for (let f = 0; f < fields.length; f += 2) i32[base + fields[f]! / 4] = fields[f + 1]!;
    rt.exports.runAll(rt.job);
    drain?.();
    return;
  }
  const generation = (rt.generation = (rt.generation + 1n) & 0xffffffffn);
  const ticket = rt.job / 8 + J.TICKET / 8;
  // Close first: a thread still holding the previous ticket value can then claim nothing.
  Atomics.store(i64, ticket, (generation << 32n) | 0xffffffffn);
  i32[base + J.DONE / 4] = 0;
  i32[base + J.TOTAL / 4] = total;
  i32[base + J.PACK_TASKS / 4] = packTasks;
  i32[base + J.PACK_DONE / 4] = 0;
  i32[base + J.THREADS / 4] = threads;
  const ready = base + J.A_READY / 4;
  i32[ready] = fill === undefined ? 1 : 0;
  for (let f = 0; f < fields.length; f += 2) i32[base + fields[f]! / 4] = fields[f + 1]!;
  Atomics.store(i64, ticket, generation << 32n); // open: publishes the fields above
  if (threads > 1 && wakeWorkers !== null) wakeWorkers(rt);
  if (fill !== undefined) {
    fill();
    Atomics.store(i32, ready, 1);
    Atomics.notify(i32, ready);
  }
  if (drain === undefined) rt.exports.work(rt.job, 0, total);
  else while (rt.exports.work(rt.job, 0, 1) > 0) drain();
  const done = base + J.DONE / 4;
  for (let spins = 0; ; spins++) {
    const d = Atomics.load(i32, done);
    if (d === total) break;
    if (drain !== undefined) drain();
    else if (spins > 2000) Atomics.wait(i32, done, d, 100);
  }
  drain?.();
}
