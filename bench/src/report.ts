/**
 * @file The bench's tables (Markdown, so that they paste into notes as they print): every
 * measurement with its median, spread, counts and peak RSS; typegrad's time relative to each
 * other system; the check values; the RSS-flatness checks.
 */
import type { Failure, Result, RssCheck, SystemId, WorkloadId } from "./systems/types.js";

export const SYSTEM_NAMES: Record<SystemId, string> = {
  typegrad: "typegrad",
  torch: "PyTorch",
  "tfjs-wasm": "TF.js wasm",
  "tfjs-cpu": "TF.js cpu",
  "jax-js": "jax-js",
};

/** A time in the workload's unit. */
function fmtTime(workload: WorkloadId, ms: number): string {
  if (workload === "W0") return `${(ms * 1000).toFixed(0)} us`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** The workload's figure besides the time. */
function figure(r: Result): string {
  if (r.gflops !== undefined) return `${r.gflops.toFixed(1)} GFLOP/s`;
  if (r.tokensPerSecond !== undefined) return `${r.tokensPerSecond.toFixed(0)} tok/s`;
  return "";
}

/** "typegrad is 0.80x PyTorch's time (1.25x faster)". */
export function ratioText(typegradMs: number, otherMs: number): string {
  const r = typegradMs / otherMs;
  const speed = r <= 1 ? `${(1 / r).toFixed(2)}x faster` : `${r.toFixed(2)}x slower`;
  return `${r.toFixed(2)}x time (${speed})`;
}

/** Whether a result's counts fall short of WORKLOADS.md (>= 3 warm-ups, >= 10 timed). */
function shortOfSpec(r: Result): boolean {
  return r.iterations < 10 || r.warmup < 3;
}

/** Markdown table of rows. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

/** The main table: every measurement, grouped by workload, with typegrad's ratio to it. */
export function resultsTable(results: Result[], failures: Failure[], systems: SystemId[]): string {
  const labels = [...new Set(results.map((r) => r.label))];
  const order = (s: SystemId) => systems.indexOf(s);
  const rows: string[][] = [];
  for (const label of labels) {
    const here = results.filter((r) => r.label === label).sort((a, b) => order(a.system) - order(b.system));
    const tg = here.find((r) => r.system === "typegrad");
    for (const r of here) {
      const spread = `${fmtTime(r.workload, r.minMs)} .. ${fmtTime(r.workload, r.maxMs)}`;
      const counts = `${r.iterations} (+${r.warmup})${shortOfSpec(r) ? " *" : ""}`;
      const rss = `${r.peakRssMiB.toFixed(0)} (${r.startRssMiB.toFixed(0)})`;
      const vs = r.system === "typegrad" ? "-" : tg ? ratioText(tg.medianMs, r.medianMs) : "n/a";
      rows.push([label, SYSTEM_NAMES[r.system], fmtTime(r.workload, r.medianMs), spread, figure(r), counts, String(r.threads), rss, vs]);
    }
  }
  for (const f of failures) rows.push([f.workload, SYSTEM_NAMES[f.system], "could not run", f.error.split("\n")[0]!.slice(0, 100), "", "", "", "", ""]);
  return table(["workload", "system", "median", "spread (min .. max)", "figure", "timed (+warm-up)", "threads", "peak RSS MiB (start)", "typegrad vs this"], rows);
}

/** Compact matrix: typegrad's median time over each other system's, per workload. */
export function ratioTable(results: Result[], systems: SystemId[]): string {
  const others = systems.filter((s) => s !== "typegrad");
  const labels = [...new Set(results.map((r) => r.label))];
  const rows = labels.map((label) => {
    const tg = results.find((r) => r.label === label && r.system === "typegrad");
    return [
      label,
      tg ? fmtTime(tg.workload, tg.medianMs) : "-",
      ...others.map((s) => {
        const o = results.find((r) => r.label === label && r.system === s);
        return tg && o ? ratioText(tg.medianMs, o.medianMs) : "-";
      }),
    ];
  });
  return table(["workload", "typegrad", ...others.map((s) => `vs ${SYSTEM_NAMES[s]}`)], rows);
}

/** Check values (same starting values in every system but typegrad's timed run): largest relative difference per workload. */
export function checkSummary(results: Result[]): string[] {
  const lines: string[] = [];
  for (const workload of ["W0", "W2", "W3"] as const) {
    const withCheck = results.filter((r) => r.workload === workload && r.check && r.check.length > 0);
    if (withCheck.length < 2) continue;
    const ref = withCheck[0]!;
    let worst = 0;
    for (const r of withCheck)
      r.check!.forEach((v, i) => {
        const base = ref.check![i];
        if (base !== undefined) worst = Math.max(worst, Math.abs(v - base) / Math.max(Math.abs(base), 1e-12));
      });
    const values = withCheck.map((r) => `${SYSTEM_NAMES[r.system]} ${r.check!.map((v) => v.toPrecision(7)).join("/")}`).join("; ");
    lines.push(`${workload} check (${workload === "W3" ? "losses of steps 1-3" : "sum(out * G)"}): ${values}; largest relative difference ${worst.toExponential(1)} ${worst < 1e-4 ? "(agree)" : "(DIFFER)"}`);
  }
  return lines;
}

/** The RSS-flatness results. */
export function rssTable(checks: RssCheck[]): string {
  const rows = checks.map((c) => {
    const marks = Object.keys(c.rssMiB).map(Number).sort((a, b) => a - b);
    const trace = marks.map((k) => `${k}: ${c.rssMiB[k]!.toFixed(0)}`).join(", ");
    const live = c.liveTensors ? ` live tensors ${Object.entries(c.liveTensors).map(([k, v]) => `${k}: ${v}`).join(", ")}` : "";
    const a = c.memoryMiB?.[c.referenceStep];
    const b = c.memoryMiB?.[c.steps];
    const mem = a && b ? `${a.heapUsed} -> ${b.heapUsed} / ${a.external} -> ${b.external}` : "-";
    return [SYSTEM_NAMES[c.system], String(c.steps), `${c.reference.toFixed(1)}`, `${c.final.toFixed(1)}`, `${(c.growth * 100).toFixed(1)}%`, c.pass ? "PASS" : "FAIL", mem, `${trace}${live}`];
  });
  const ref = checks[0]?.referenceStep ?? 50;
  return table(["system", "steps", `RSS MiB after step ${ref}`, "RSS MiB after last step", "growth", "within 10%", "JS heap used / external MiB", "RSS MiB by step"], rows);
}
