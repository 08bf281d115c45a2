/**
 * @file `pnpm bench`: the workloads of ../shared/bench/WORKLOADS.md (W0, W1, W2, W3) on typegrad
 * and, in the same sitting, on the JavaScript systems users pick today (TensorFlow.js with its
 * wasm and cpu backends, jax-js with jit) and, with `--with-torch`, PyTorch (bench/torch_ref.py).
 * Each system's workload runs in a child process of its own (./child.ts, or Python), so peak RSS
 * is per system and workload. Prints one JSON line per result, then the tables (Markdown), and
 * writes everything to bench/results/<date>.json.
 *
 * Flags: --systems typegrad,tfjs-wasm,tfjs-cpu,jax-js (default: all four) --with-torch
 * --only W0,W2 --sizes 128,256 (W1) --iterations N --warmup N (exact counts for every system;
 * no budget) --budget S (seconds per measurement for slow systems, default 20; 0 = none)
 * --rounds N (every system N times per workload, in turn; default 3)
 * --python /usr/bin/python3 --torch-threads N --rss-check [--rss-steps 1000] --verify.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { checkSummary, ratioTable, resultsTable, rssTable, SYSTEM_NAMES } from "./report.js";
import { SYSTEMS, WORKLOADS, type Counts, type Failure, type Plan, type Result, type RssCheck, type SystemId, type WorkloadId } from "./systems/types.js";

const { values } = parseArgs({
  options: {
    systems: { type: "string", default: "typegrad,tfjs-wasm,tfjs-cpu,jax-js" },
    "with-torch": { type: "boolean", default: false },
    only: { type: "string" },
    sizes: { type: "string", default: "128,256,512,1024" },
    iterations: { type: "string" },
    warmup: { type: "string" },
    budget: { type: "string", default: "20" },
    python: { type: "string", default: "/usr/bin/python3" },
    "torch-threads": { type: "string" },
    "rss-check": { type: "boolean", default: false },
    "rss-steps": { type: "string", default: "1000" },
    "rss-reference": { type: "string", default: "50" },
    verify: { type: "boolean", default: false },
    rounds: { type: "string" },
  },
});

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`bench: --${name} must be a positive integer, got ${raw}`);
  return n;
}

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, "..");
const systemsGiven = process.argv.some((a) => a === "--systems" || a.startsWith("--systems="));
const systems = values.systems.split(",").map((s) => s.trim()) as SystemId[];
for (const s of systems) if (!SYSTEMS.includes(s) || s === "torch") throw new RangeError(`bench: unknown system ${s} (expected typegrad, tfjs-wasm, tfjs-cpu or jax-js; PyTorch is --with-torch)`);
if (values["with-torch"]) systems.push("torch");
const only = (values.only ?? WORKLOADS.join(",")).toUpperCase().split(",") as WorkloadId[];
for (const w of only) if (!WORKLOADS.includes(w)) throw new RangeError(`bench: unknown workload ${w} (expected W0, W1, W2 or W3)`);
const sizes = values.sizes.split(",").map((s) => positiveInt("sizes", s));
const iterations = values.iterations ? positiveInt("iterations", values.iterations) : undefined;
const warmup = values.warmup ? positiveInt("warmup", values.warmup) : undefined;
const budgetS = Number(values.budget);
if (!(budgetS >= 0)) throw new RangeError(`bench: --budget must be a number of seconds >= 0, got ${values.budget}`);
const budgetMs = iterations !== undefined || budgetS === 0 ? null : budgetS * 1000;

/**
 * Default counts, the same for every system: at least WORKLOADS.md's minimums (3 warm-ups, 10
 * timed), more where a run is short. W0 warms up 2,000 times: V8 reaches steady code for a
 * ~40-op step only after about 2,000 calls (typegrad's median per 500-step window falls from
 * ~600 us to ~300 us over them), and a training loop runs far longer.
 */
const W1_COUNTS: Record<number, Counts> = { 128: { warmup: 10, iterations: 200 }, 256: { warmup: 5, iterations: 50 }, 512: { warmup: 3, iterations: 20 }, 1024: { warmup: 3, iterations: 10 } };
function countsFor(workload: WorkloadId, n?: number): Counts {
  const base = workload === "W0" ? { warmup: 2000, iterations: 2000 } : workload === "W1" ? (W1_COUNTS[n!] ?? { warmup: 3, iterations: 10 }) : { warmup: 3, iterations: 20 };
  return { warmup: warmup ?? base.warmup, iterations: iterations ?? base.iterations };
}
function planFor(system: SystemId, workload: WorkloadId): Plan {
  const counts = workload === "W1" ? sizes.map((n) => countsFor("W1", n)) : [countsFor(workload)];
  return { system, workload, sizes: workload === "W1" ? sizes : [], counts, budgetMs };
}

interface ChildOutput {
  lines: Record<string, unknown>[];
  error?: string;
}

/** Runs a child; collects its `@@RESULT` lines (Node) or JSON lines (Python); other output goes to stderr. */
function runChild(command: string, args: string[], env: NodeJS.ProcessEnv, json: "marked" | "plain"): Promise<ChildOutput> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const out: ChildOutput = { lines: [] };
    let buffer = "";
    const errTail: string[] = [];
    const onLine = (line: string) => {
      if (json === "marked") {
        if (line.startsWith("@@RESULT ")) out.lines.push(JSON.parse(line.slice(9)) as Record<string, unknown>);
        else if (line.startsWith("@@ERROR ")) out.error = JSON.parse(line.slice(8)) as string;
        else if (line.trim() && !/^=+$|TensorFlow\.js in Node\.js/.test(line)) process.stderr.write(`  ${line}\n`);
      } else if (line.startsWith("{")) out.lines.push(JSON.parse(line) as Record<string, unknown>);
      else if (line.trim()) process.stderr.write(`  ${line}\n`);
    };
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        onLine(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      for (const l of text.split("\n")) if (l.trim() && !/^=+$|TensorFlow\.js in Node\.js/.test(l)) {
        errTail.push(l);
        if (errTail.length > 20) errTail.shift();
        process.stderr.write(`  ${l}\n`);
      }
    });
    child.on("error", (e) => resolve({ lines: [], error: `${command}: ${e.message}` }));
    child.on("close", (code) => {
      if (buffer) onLine(buffer);
      if (code !== 0 && !out.error) out.error = `exit code ${code}: ${errTail.slice(-3).join(" / ") || "no output"}`;
      resolve(out);
    });
  });
}

/** The environment PyTorch runs in: its best setup here, without the OpenBLAS overrides. */
function torchEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env["OPENBLAS_CORETYPE"];
  delete env["OPENBLAS_L2_SIZE"];
  return env;
}
const torchArgs = (extra: string[]) => [join(benchDir, "torch_ref.py"), ...(values["torch-threads"] ? ["--threads", values["torch-threads"]] : []), ...extra];

let torchSetup: Record<string, unknown> | undefined;

/** Runs one job in a child process of the system's kind. */
async function runJob(system: SystemId, job: { mode: "run"; plan: Plan } | { mode: "rss"; steps: number; reference: number } | { mode: "verify" }): Promise<ChildOutput> {
  if (system === "torch") {
    const extra =
      job.mode === "run"
        ? ["--plan", JSON.stringify(job.plan)]
        : job.mode === "rss"
          ? ["--rss-check", String(job.steps), "--rss-reference", String(job.reference)]
          : ["--only", "W0,W2,W3", "--warmup", "1", "--iterations", "3"];
    const out = await runChild(values.python, torchArgs(extra), torchEnv(), "plain");
    const setup = out.lines.find((l) => l["setup"] === true);
    if (setup) torchSetup = setup;
    out.lines = out.lines.filter((l) => l["setup"] !== true);
    return out;
  }
  const childJob = job.mode === "run" ? job : { ...job, system };
  return runChild(process.execPath, [...process.execArgv, join(here, "child.ts"), JSON.stringify(childJob)], process.env, "marked");
}

const host = { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version, kernel: release(), loadAverageAtStart: loadavg().map((l) => +l.toFixed(2)) };
const started = new Date();
const stamp = started.toISOString().replace(/[:.]/g, "-");
const outDir = join(benchDir, "results");

function write(doc: object): void {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${stamp}.json`);
  writeFileSync(file, JSON.stringify(doc, null, 1) + "\n");
  console.log(`\nwrote ${file}`);
}

function footer(): string[] {
  const lines = [`machine: ${host.cpu}, ${host.cores} cores, Node ${host.node}, Linux ${host.kernel}; load average at start ${host.loadAverageAtStart.join(" ")}, at end ${loadavg().map((l) => l.toFixed(2)).join(" ")}`];
  if (torchSetup) {
    const blas = torchSetup["blas"] as { openblas?: { library: string; config: string; core: string; threads: number }; mapped: string[] } | undefined;
    const env = torchSetup["env"] as Record<string, string | null>;
    lines.push(
      `PyTorch: ${String(torchSetup["torch"])} (Python ${String(torchSetup["python"])}), intra-op threads ${String(torchSetup["threads"])}, CPU capability ${String(torchSetup["capability"])}; ` +
        (blas?.openblas ? `BLAS: ${blas.openblas.config}, kernel ${blas.openblas.core}, ${blas.openblas.threads} threads (${blas.openblas.library})` : `BLAS: ${blas?.mapped.join(", ")}`) +
        `; OPENBLAS_CORETYPE=${env["OPENBLAS_CORETYPE"] ?? "unset"}, OPENBLAS_L2_SIZE=${env["OPENBLAS_L2_SIZE"] ?? "unset"}`,
    );
  }
  return lines;
}

async function rssCheck(): Promise<void> {
  const steps = positiveInt("rss-steps", values["rss-steps"]);
  const reference = positiveInt("rss-reference", values["rss-reference"]);
  if (reference >= steps) throw new RangeError("bench: --rss-reference must be below --rss-steps");
  const which = systemsGiven ? systems : (["typegrad", ...(values["with-torch"] ? ["torch" as const] : [])] as SystemId[]);
  console.error(`[bench] RSS check: ${steps} W3 steps on ${which.join(", ")} (one child process each, run side by side)`);
  const checks: RssCheck[] = [];
  const failures: Failure[] = [];
  await Promise.all(
    which.map(async (system) => {
      const t0 = performance.now();
      const out = await runJob(system, { mode: "rss", steps, reference });
      const line = out.lines[0] as RssCheck | undefined;
      if (line) {
        checks.push(line);
        console.log(JSON.stringify(line));
        console.error(`[bench] RSS ${system}: step ${reference} ${line.reference.toFixed(1)} MiB, step ${steps} ${line.final.toFixed(1)} MiB, ${(line.growth * 100).toFixed(1)}% -> ${line.pass ? "PASS" : "FAIL"} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      } else failures.push({ system, workload: "W3", error: out.error ?? "no result" });
    }),
  );
  checks.sort((a, b) => which.indexOf(a.system) - which.indexOf(b.system));
  console.log(`\nRSS over ${steps} W3 steps (must stay within 10% of its value after step ${reference}):\n`);
  console.log(rssTable(checks));
  for (const f of failures) console.log(`${SYSTEM_NAMES[f.system]}: could not run: ${f.error}`);
  for (const l of footer()) console.log(l);
  write({ kind: "rss-check", date: started.toISOString(), host, steps, reference, checks, failures, torchSetup });
  if (checks.some((c) => !c.pass) || failures.length) process.exitCode = 1;
}

async function verify(): Promise<void> {
  console.error(`[bench] verify: W0, W2 and W3 from the shared starting values on ${systems.join(", ")}`);
  const rows: { system: SystemId; checks: Record<string, number[]> }[] = [];
  for (const system of systems) {
    const out = await runJob(system, { mode: "verify" });
    if (system === "torch") {
      const checks: Record<string, number[]> = {};
      for (const l of out.lines) checks[String(l["workload"])] = (l["check"] as number[]) ?? [];
      if (out.lines.length) rows.push({ system, checks });
    } else if (out.lines[0]) rows.push(out.lines[0] as { system: SystemId; checks: Record<string, number[]> });
    if (out.error) console.log(`${SYSTEM_NAMES[system]}: could not run: ${out.error}`);
  }
  const ref = rows.find((r) => r.system === "torch") ?? rows[0];
  let worst = 0;
  console.log("\n| system | W0 sum(out*G) | W2 sum(out*G) | W3 losses, steps 1-3 | largest rel. diff vs " + (ref ? SYSTEM_NAMES[ref.system] : "-") + " |\n|---|---|---|---|---|");
  for (const r of rows) {
    let d = 0;
    for (const w of ["W0", "W2", "W3"]) (r.checks[w] ?? []).forEach((v, i) => {
      const b = ref?.checks[w]?.[i];
      if (b !== undefined) d = Math.max(d, Math.abs(v - b) / Math.max(Math.abs(b), 1e-12));
    });
    worst = Math.max(worst, d);
    const f = (w: string) => (r.checks[w] ?? []).map((v) => v.toPrecision(7)).join(", ");
    console.log(`| ${SYSTEM_NAMES[r.system]} | ${f("W0")} | ${f("W2")} | ${f("W3")} | ${d.toExponential(1)} |`);
  }
  console.log(`\n${worst < 1e-4 ? "PASS" : "FAIL"}: every system computes the same losses (largest relative difference ${worst.toExponential(1)}, tolerance 1e-4)`);
  if (worst >= 1e-4) process.exitCode = 1;
}

/**
 * Rounds per workload: each round runs every system once, in turn. The machine's speed swings
 * by up to 2x in phases of seconds (W0's per-100-iteration medians, timed alone, jump between
 * ~185 and ~380 us), and a typegrad, jax-js or PyTorch measurement of any workload takes only
 * seconds, so one round per system can catch one system in a slow phase and another in a fast
 * one: every workload takes 3.
 */
function roundsFor(workload: WorkloadId): number {
  return values.rounds ? positiveInt("rounds", values.rounds) : 3;
}

/**
 * One result per system and row from its rounds: the round with the median median (of an even
 * count, the slower middle one), spread over all.
 */
function mergeRounds(rounds: Result[][]): Result[] {
  const byRow = new Map<string, Result[]>();
  for (const r of rounds.flat()) byRow.set(`${r.system} ${r.label}`, [...(byRow.get(`${r.system} ${r.label}`) ?? []), r]);
  return [...byRow.values()].map((rs) => {
    if (rs.length === 1) return rs[0]!;
    const sorted = [...rs].sort((a, b) => a.medianMs - b.medianMs);
    const mid = sorted[sorted.length >> 1]!;
    return {
      ...mid,
      minMs: Math.min(...rs.map((r) => r.minMs)),
      maxMs: Math.max(...rs.map((r) => r.maxMs)),
      peakRssMiB: Math.max(...rs.map((r) => r.peakRssMiB)),
      roundMediansMs: rs.map((r) => r.medianMs),
    };
  });
}

async function bench(): Promise<void> {
  console.error(`[bench] systems ${systems.join(", ")}; workloads ${only.join(", ")}; ${budgetMs === null ? "exact counts" : `budget ${budgetS} s per measurement for slow systems`}; one child process per system and workload`);
  const results: Result[] = [];
  const failures: Failure[] = [];
  for (const workload of WORKLOADS.filter((w) => only.includes(w))) {
    const rounds: Result[][] = [];
    const failed = new Map<SystemId, string>();
    for (let round = 1; round <= roundsFor(workload); round++) {
      for (const system of systems) {
        const t0 = performance.now();
        const load = +loadavg()[0]!.toFixed(2);
        const out = await runJob(system, { mode: "run", plan: planFor(system, workload) });
        const got = out.lines.filter((l) => typeof l["medianMs"] === "number") as unknown as Result[];
        for (const r of got) {
          r.loadAverage1m = load;
          const { samplesMs: _samples, ...line } = r;
          console.log(JSON.stringify(line));
        }
        rounds.push(got);
        if (out.error || got.length === 0) {
          const error = out.error ?? "no result";
          if (!failed.has(system)) failed.set(system, error);
          console.error(`[bench] ${workload} ${system}: FAILED: ${error.split("\n")[0]}`);
        } else console.error(`[bench] ${workload} ${system}${roundsFor(workload) > 1 ? ` (round ${round})` : ""}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    }
    const merged = mergeRounds(rounds);
    results.push(...merged);
    // A system that failed every round is reported once; one that failed only some rounds
    // keeps its other rounds' result, and the error stays in the log above.
    for (const [system, error] of failed) if (!merged.some((r) => r.system === system)) failures.push({ system, workload, error });
  }
  console.log(`\n${resultsTable(results, failures, systems)}\n`);
  if (systems.includes("typegrad") && systems.length > 1) console.log(`typegrad's median time relative to each system's (below 1: typegrad is faster):\n\n${ratioTable(results, systems)}\n`);
  console.log(
    [
      "median and spread over the timed iterations; 'timed (+warm-up)' counts them; * = fewer than WORKLOADS.md's 10 timed or 3 warm-up iterations",
      `  ${only.filter((w) => roundsFor(w) > 1).map((w) => `${w}: ${roundsFor(w)} rounds`).join(", ") || "1 round each"} (a round runs every system once, in turn; a row shows the round with the median median, and the spread over all rounds).`,
      `  (a system slower than the --budget of ${budgetS} s per measurement runs fewer; typegrad always runs the full counts).`,
      "peak RSS: the child process that ran that workload (W1: all sizes), with its RSS after loading the system in parentheses.",
      ...checkSummary(results),
      ...footer(),
    ].join("\n"),
  );
  write({ kind: "bench", date: started.toISOString(), host, systems, workloads: only, budgetS: budgetMs === null ? null : budgetS, results, failures, torchSetup });
  if (failures.length) process.exitCode = 1;
}

await (values["rss-check"] ? rssCheck() : values.verify ? verify() : bench());
