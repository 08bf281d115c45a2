/**
 * @file Timing as WORKLOADS.md defines it: warm-up runs, then the median of at least 10 timed
 * runs inside one process, with the spread and the process's peak RSS reported alongside.
 */
import { performance } from "node:perf_hooks";
import process, { resourceUsage } from "node:process";

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

/** A measurement of the reference systems: the summary, every sample, and whether it was cut short. */
export interface Measured extends Timing {
  warmup: number;
  warmupRequested: number;
  iterationsRequested: number;
  samplesMs: number[];
}

/**
 * Times `run` (sync, or async: a returned promise is awaited inside the timed region) after
 * up to `warmup` warm-up runs. With a `budgetMs` (for systems too slow for the full counts):
 * warm-ups stop early, after at least one, once they have taken `budgetMs / 2`; and a system
 * slower than `budgetMs / iterations` per run (judged from its last warm-up) runs
 * `floor(budgetMs / last warm-up)` timed iterations, but at least 3. The result says how many
 * of each ran.
 */
export async function measure(
  run: () => unknown,
  counts: { warmup: number; iterations: number },
  budgetMs: number | null = null,
): Promise<Measured> {
  let last = 0;
  let warmup = 0;
  let warmTotal = 0;
  while (warmup < counts.warmup && !(budgetMs !== null && warmup >= 1 && warmTotal >= budgetMs / 2)) {
    const t0 = performance.now();
    const r = run();
    if (r instanceof Promise) await r;
    last = performance.now() - t0;
    warmTotal += last;
    warmup++;
  }
  let iterations = counts.iterations;
  if (budgetMs !== null && last * iterations > budgetMs) iterations = Math.max(3, Math.min(iterations, Math.floor(budgetMs / last)));
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const r = run();
    if (r instanceof Promise) await r;
    samples.push(performance.now() - t0);
  }
  const sorted = [...samples].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  const medianMs = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return {
    medianMs,
    minMs: sorted[0]!,
    maxMs: sorted[sorted.length - 1]!,
    iterations,
    warmup,
    warmupRequested: counts.warmup,
    iterationsRequested: counts.iterations,
    samplesMs: samples,
  };
}

/** Resident set size now, in MiB. */
export function rssMiB(): number {
  return process.memoryUsage.rss() / 2 ** 20;
}
