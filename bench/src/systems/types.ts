/**
 * @file What every system's run returns, and the plan a run follows. One result per workload
 * and size; the parent process (../index.ts) gathers them from the child processes.
 */

/** The systems the bench can run. `torch` is bench/torch_ref.py, run by `--with-torch`. */
export const SYSTEMS = ["typegrad", "tfjs-wasm", "tfjs-cpu", "jax-js", "torch"] as const;
export type SystemId = (typeof SYSTEMS)[number];

export const WORKLOADS = ["W0", "W1", "W2", "W3"] as const;
export type WorkloadId = (typeof WORKLOADS)[number];

/** What a loaded system reports about itself. */
export interface SystemInfo {
  /** Version and setup, e.g. "tfjs-core 4.22.0, wasm backend (SIMD, XNNPACK)". */
  detail: string;
  threads: number;
}

/** Warm-up and timed iteration counts for one measurement. */
export interface Counts {
  warmup: number;
  iterations: number;
}

/** What a child process runs: one workload of one system (W1: every size in `sizes`). */
export interface Plan {
  system: SystemId;
  workload: WorkloadId;
  /** W1 only: the matrix sizes. */
  sizes: number[];
  /** Counts per measurement: one entry for W0/W2/W3, one per size for W1. */
  counts: Counts[];
  /**
   * Cap on the timed part of one measurement, in ms: a system slower than that runs fewer timed
   * iterations (at least 3), and the result says so. `null`: run exactly `counts`.
   */
  budgetMs: number | null;
}

/** One measurement: a workload (and size) on a system. Figures derive from `medianMs`. */
export interface Result {
  system: SystemId;
  /** The system's version and setup, e.g. "tfjs-core 4.22.0, wasm backend (SIMD)". */
  detail: string;
  workload: WorkloadId;
  /** Row label, e.g. "W1 n=512". */
  label: string;
  n?: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  warmup: number;
  /** Warm-ups asked for; more than `warmup` when the time budget cut them short. */
  warmupRequested: number;
  iterations: number;
  /** Iterations asked for; more than `iterations` when the time budget cut the run short. */
  iterationsRequested: number;
  threads: number;
  /** W1: GFLOP/s = 2 n^3 / median seconds. */
  gflops?: number;
  /** W3: B * T / median seconds. */
  tokensPerSecond?: number;
  /** W0/W2: sum(out * G) of the first iteration; W3: the loss of the first three steps. */
  check?: number[];
  /** Peak RSS of the child process that ran this workload (all sizes, for W1), MiB. */
  peakRssMiB: number;
  /** RSS right after the system was loaded and initialized, before the workload, MiB. */
  startRssMiB: number;
  /** Every timed sample, ms (absent for typegrad, whose timing helper keeps only the summary). */
  samplesMs?: number[];
  /** The machine's 1-minute load average when this workload's child process started (set by the parent). */
  loadAverage1m?: number;
  /** With several rounds (`--rounds`; W0 by default): each round's median, ms. The row shows the round with the median median, its spread over all rounds. */
  roundMediansMs?: number[];
  note?: string;
}

/** A workload a system could not run. */
export interface Failure {
  system: SystemId;
  workload: WorkloadId;
  error: string;
}

/** One memory-flatness check: RSS over many W3 steps. */
export interface RssCheck {
  system: SystemId;
  steps: number;
  /** RSS (MiB) after these steps (1-based). */
  rssMiB: Record<string, number>;
  /** The step whose RSS is the reference (50). */
  referenceStep: number;
  reference: number;
  final: number;
  /** (final - reference) / reference. */
  growth: number;
  pass: boolean;
  /** Node's `process.memoryUsage()` at the same steps (MiB): where RSS growth sits (JS heap, or external / ArrayBuffer / wasm memory). */
  memoryMiB?: Record<string, { heapUsed: number; heapTotal: number; external: number; arrayBuffers: number }>;
  /** tfjs: live tensors after the reference step and after the last one. */
  liveTensors?: Record<string, number>;
  note?: string;
}
