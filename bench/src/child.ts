/**
 * @file One child process of `pnpm bench`: loads one system, runs one job and prints its
 * results as `@@RESULT <json>` lines on stdout (anything else it prints passes through). One
 * process per system and workload, so that each workload's peak RSS is its own.
 *
 * Jobs (argv[2], JSON): `{ "mode": "run", "plan": Plan }`, `{ "mode": "rss", "system", "steps" }`
 * (RSS over many W3 steps), `{ "mode": "verify", "system" }` (check values from the shared init).
 */
import { peakRssMiB, rssMiB } from "./timing.js";
import type { Plan, Result, RssCheck, SystemId, SystemInfo } from "./systems/types.js";

type Job = { mode: "run"; plan: Plan } | { mode: "rss"; system: SystemId; steps: number; reference: number } | { mode: "verify"; system: SystemId };

const emit = (line: object) => process.stdout.write(`@@RESULT ${JSON.stringify(line)}\n`);

type Runner = (info: SystemInfo, plan: Plan) => Promise<Omit<Result, "peakRssMiB" | "startRssMiB">[]>;
type Stepper = { step: () => number | Promise<number>; liveTensors?: () => number };

/** Loads a system: its info, its plan runner and its W3 step factory. */
async function load(system: SystemId): Promise<{ info: SystemInfo; run: Runner; w3: () => Stepper; verify?: () => Promise<Record<string, number[]>> }> {
  if (system === "typegrad") {
    const m = await import("./systems/typegrad.js");
    return { info: m.typegradInfo(), run: m.runTypegrad, w3: () => ({ step: m.typegradW3Step() }), verify: async () => m.verifyTypegrad() };
  }
  if (system === "tfjs-wasm" || system === "tfjs-cpu") {
    const m = await import("./systems/tfjs.js");
    const info = await m.initTfjs(system === "tfjs-wasm" ? "wasm" : "cpu");
    return { info, run: m.runTfjs, w3: () => m.gptSetup() };
  }
  if (system === "jax-js") {
    const m = await import("./systems/jaxjs.js");
    return { info: await m.initJax(), run: m.runJax, w3: () => m.gptSetup() };
  }
  throw new Error(`bench child: system ${system} is not a JavaScript system`);
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? "") as Job;
  if (job.mode === "run") {
    const sys = await load(job.plan.system);
    const startRssMiB = rssMiB();
    const results = await sys.run(sys.info, job.plan);
    const peak = peakRssMiB();
    for (const r of results) emit({ ...r, peakRssMiB: peak, startRssMiB });
    return;
  }
  if (job.mode === "verify") {
    const sys = await load(job.system);
    if (sys.verify) {
      emit({ system: job.system, checks: await sys.verify() });
      return;
    }
    const checks: Record<string, number[]> = {};
    for (const workload of ["W0", "W2", "W3"] as const) {
      const counts = [{ warmup: 0, iterations: workload === "W3" ? 3 : 1 }];
      const [r] = await sys.run(sys.info, { system: job.system, workload, sizes: [], counts, budgetMs: null });
      checks[workload] = r?.check ?? [];
    }
    emit({ system: job.system, checks });
    return;
  }
  const sys = await load(job.system);
  const { step, liveTensors } = sys.w3();
  const rss: Record<string, number> = {};
  const live: Record<string, number> = {};
  const heap: Record<string, { heapUsed: number; heapTotal: number; external: number; arrayBuffers: number }> = {};
  const mib = (b: number) => +(b / 2 ** 20).toFixed(1);
  const marks = new Set([1, 10, job.reference, job.steps]);
  for (let k = 100; k < job.steps; k += 100) marks.add(k);
  let loss = 0;
  for (let i = 1; i <= job.steps; i++) {
    loss = await step();
    if (marks.has(i)) {
      rss[i] = rssMiB();
      const m = process.memoryUsage();
      heap[i] = { heapUsed: mib(m.heapUsed), heapTotal: mib(m.heapTotal), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers) };
      if (liveTensors) live[i] = liveTensors();
      if (i % 100 === 0) process.stderr.write(`[rss ${job.system}] step ${i}/${job.steps}: RSS ${rss[i]!.toFixed(1)} MiB\n`);
    }
  }
  const reference = rss[job.reference]!;
  const final = rss[job.steps]!;
  const growth = (final - reference) / reference;
  const check: RssCheck = { system: job.system, steps: job.steps, rssMiB: rss, referenceStep: job.reference, reference, final, growth, pass: Math.abs(growth) <= 0.1, note: `final loss ${loss.toFixed(4)}` };
  check.memoryMiB = heap;
  if (liveTensors) check.liveTensors = live;
  emit(check);
}

main().catch((e: unknown) => {
  process.stdout.write(`@@ERROR ${JSON.stringify(String(e instanceof Error ? (e.stack ?? e.message) : e))}\n`);
  process.exit(1);
});
