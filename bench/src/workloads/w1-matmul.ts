/**
 * @file W1: C = A @ B for square float32 matrices of n = 128, 256, 512, 1024 with inputs
 * drawn from a seeded normal(0, 1); the figure is GFLOP/s = 2 n^3 / seconds (median).
 */
import { manualSeed, matmul, randn } from "@typegrad/tensor";
import { peakRssMiB, time, type TimingOptions } from "../timing.js";

/** One W1 result line. */
export interface W1Result {
  workload: "W1";
  system: string;
  n: number;
  threads: number;
  gflops: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  iterations: number;
  peakRssMiB: number;
}

/** Runs W1 at each size in `sizes`. */
export function runW1(sizes: readonly number[], options: TimingOptions = {}): W1Result[] {
  return sizes.map((n) => {
    manualSeed(0);
    const a = randn([n, n]);
    const b = randn([n, n]);
    const t = time(() => matmul(a, b), options);
    return {
      workload: "W1",
      system: "typegrad (js)",
      n,
      threads: 1,
      gflops: (2 * n ** 3) / (t.medianMs * 1e6),
      ...t,
      peakRssMiB: peakRssMiB(),
    };
  });
}
