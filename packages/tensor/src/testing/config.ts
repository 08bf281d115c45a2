/**
 * @file Property-test settings shared by every suite. The number of runs comes from
 * TYPEGRAD_NUM_RUNS (default 50) so CI stays fast and a soak run can go deep. The seed comes
 * from TYPEGRAD_SEED: a fixed default, so CI is deterministic; `TYPEGRAD_SEED=random` explores
 * new cases. A failing run always reports its seed and path so it can be replayed.
 */
import type fc from "fast-check";

const DEFAULT_SEED = 20261125;

function env(name: string): string | undefined {
  return typeof process === "undefined" ? undefined : process.env[name];
}

/** Runs per property: `TYPEGRAD_NUM_RUNS` or `fallback`. */
export function numRuns(fallback = 50): number {
  const raw = env("TYPEGRAD_NUM_RUNS");
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** The property seed: `TYPEGRAD_SEED` (an integer, or "random" for a fresh one), else a fixed default. */
export function propertySeed(): number | undefined {
  const raw = env("TYPEGRAD_SEED");
  if (raw === "random") return undefined;
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) ? n : DEFAULT_SEED;
}

/** fast-check parameters: env-driven run count and seed; seed and path are printed on failure. */
export function propertyConfig(fallbackRuns = 50): fc.Parameters<unknown> {
  const seed = propertySeed();
  return seed === undefined ? { numRuns: numRuns(fallbackRuns), verbose: 1 } : { numRuns: numRuns(fallbackRuns), verbose: 1, seed };
}
