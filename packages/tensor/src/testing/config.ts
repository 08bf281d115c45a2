/**
 * @file Property-test settings shared by every suite: the number of runs comes from the
 * environment (TYPEGRAD_NUM_RUNS, default 50) so CI stays fast and a soak run can go deep,
 * and a failing run reports its seed and path so it can be replayed.
 */
import type fc from "fast-check";

/** Runs per property: `TYPEGRAD_NUM_RUNS` or `fallback`. */
export function numRuns(fallback = 50): number {
  const raw = typeof process === "undefined" ? undefined : process.env.TYPEGRAD_NUM_RUNS;
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** fast-check parameters: env-driven run count, and seed/path printed on failure. */
export function propertyConfig(fallbackRuns = 50): fc.Parameters<unknown> {
  return { numRuns: numRuns(fallbackRuns), verbose: 1 };
}
