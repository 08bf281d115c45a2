/**
 * @file Timing as WORKLOADS.md defines it: warm-up runs, then the median of at least 10 timed
 * runs inside one process, with the spread and the process's peak RSS reported alongside.
 */
import { performance } from "node:perf_hooks";
import { resourceUsage } from "node:process";

/** Timing settings; the defaults are WORKLOADS.md's minimums. */
export interface TimingOptions {
  warmup?: number;
  iterations?: number;
}

/** Milliseconds per run: median, fastest, slowest, and how many runs were timed. */
export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  iterations: number;
}

/** Times `run` after warming it up. */
export function time(run: () => void, options: TimingOptions = {}): Timing {
  const { warmup = 3, iterations = 10 } = options;
  for (let i = 0; i < warmup; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    run();
    samples.push(performance.now() - t0);
  }
  samples.sort((x, y) => x - y);
  const mid = samples.length >> 1;
  const medianMs = samples.length % 2 ? samples[mid]! : (samples[mid - 1]! + samples[mid]!) / 2;
  return { medianMs, minMs: samples[0]!, maxMs: samples[samples.length - 1]!, iterations };
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return resourceUsage().maxRSS / 1024;
}
