/**
 * @file The backend switch and the WebAssembly runtime around the kernel: selection and its
 * errors, TYPEGRAD_BACKEND / TYPEGRAD_THREADS in a fresh process, relaxed-SIMD detection, a
 * flat memory over 10,000 products of varying sizes, and a process that exits promptly after
 * a matmul that used the worker pool.
 */
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manualSeed, randn } from "../random.js";
import { matmul } from "../kernels/matmul.js";
import { backendInfo, getBackend, getNumThreads, setBackend, setNumThreads } from "./index.js";
import { poolSize } from "./pool.js";
import { hasRelaxedSimd, tuning, wasmRuntime } from "./wasm.js";

const ENTRY = fileURLToPath(new URL("../index.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../../..", import.meta.url));

/** Runs an ESM snippet (with `tg` bound to this package's source) in a fresh Node with `env` (and V8 `flags`). */
function runNode(code: string, env: Record<string, string>, flags: string[] = []): Promise<{ code: number | null; out: string; ms: number }> {
  const script = `const tg = await import(${JSON.stringify(ENTRY)});\n${code}`;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, "--import", "tsx", "--conditions=source", "--input-type=module", "-e", script], {
      cwd: REPO,
      env: { ...process.env, TYPEGRAD_BACKEND: "", TYPEGRAD_THREADS: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (exit) => resolve({ code: exit, out: out.trim(), ms: performance.now() - t0 }));
  });
}

describe("backend selection", () => {
  const saved = { backend: getBackend(), threads: getNumThreads() };
  afterAll(() => {
    setBackend(saved.backend);
    setNumThreads(saved.threads);
  });

  it("defaults to wasm where it loads, and switches both ways", () => {
    expect(wasmRuntime()).not.toBeNull();
    setBackend("js");
    expect(getBackend()).toBe("js");
    expect(backendInfo()).toMatchObject({ backend: "js", wasm: true });
    setBackend("wasm");
    expect(getBackend()).toBe("wasm");
  });

  it("rejects unknown backends and thread counts with named errors", () => {
    expect(() => setBackend("gpu" as "js")).toThrow(/setBackend: expected "wasm" or "js", got "gpu"/);
    expect(() => setNumThreads(0)).toThrow(/setNumThreads: expected an integer from 1 to 16, got 0/);
    expect(() => setNumThreads(2.5)).toThrow(RangeError);
    setNumThreads(3);
    expect(getNumThreads()).toBe(3);
  });

  it("detects relaxed SIMD exactly where the engine has it, and loads that kernel", () => {
    const major = Number(process.versions.node.split(".")[0]);
    const flagged = process.execArgv.includes("--experimental-wasm-relaxed-simd");
    expect(hasRelaxedSimd()).toBe(major >= 22 || flagged);
    expect(wasmRuntime()!.relaxedSimd).toBe(hasRelaxedSimd());
    expect(backendInfo().relaxedSimd).toBe(hasRelaxedSimd());
  });

  it("reads TYPEGRAD_BACKEND and TYPEGRAD_THREADS, and names a bad value", async () => {
    const show = "console.log(JSON.stringify(tg.backendInfo()));";
    const [js, wasm, bad] = await Promise.all([
      runNode(show, { TYPEGRAD_BACKEND: "js", TYPEGRAD_THREADS: "1" }),
      runNode(show, { TYPEGRAD_BACKEND: "wasm", TYPEGRAD_THREADS: "3" }),
      runNode("try { tg.matmul(tg.ones([2, 2]), tg.ones([2, 2])); } catch (e) { console.log(e.name + ': ' + e.message); }", { TYPEGRAD_BACKEND: "gpu" }),
    ]);
    expect(JSON.parse(js.out)).toMatchObject({ backend: "js", threads: 1 });
    expect(JSON.parse(wasm.out)).toMatchObject({ backend: "wasm", wasm: true, threads: 3 });
    expect(bad.out).toBe('RangeError: TYPEGRAD_BACKEND: expected "wasm" or "js", got "gpu"');
  });

  it("lets a process exit promptly after a matmul on the worker pool, from a fresh start", async () => {
    const code = `
      const a = tg.randn([400, 300]), b = tg.randn([300, 500]);
      const c = tg.matmul(a, b);
      await new Promise((r) => setTimeout(r, 200)); // the worker is up by now: the next product uses it
      const d = tg.matmul(a, b);
      const threads = tg.backendInfo().threads;
      tg.setBackend("js");
      const r = tg.matmul(a, b);
      let diff = 0;
      for (let i = 0; i < r.size; i++) diff = Math.max(diff, Math.abs(c.data[i] - r.data[i]), Math.abs(d.data[i] - r.data[i]));
      console.log(JSON.stringify({ diff, threads }));`;
    const run = await runNode(code, { TYPEGRAD_THREADS: "2" });
    expect(run.code).toBe(0);
    const { diff, threads } = JSON.parse(run.out) as { diff: number; threads: number };
    expect(threads).toBe(2);
    expect(diff).toBeLessThan(1e-3);
    expect(run.ms).toBeLessThan(30_000); // a kept-alive worker would hang until the spawn timeout
  });
});

describe("the worker pool on V8's baseline compiler", () => {
  // Node 20's Liftoff miscompiled memory.atomic.wait32 (an 8-byte spill into a 4-byte slot), so a
  // worker that waited for pack tasks could read a zeroed count and wait forever. The kernel now
  // waits through the host; this runs threaded products with Liftoff only, from a cold pool (the
  // first jobs wait on packs most), and compares them with the JS kernels.
  const liftoffOnly = spawnSync(process.execPath, ["--liftoff-only", "-e", "0"]).status === 0;

  it.runIf(liftoffOnly)("gives the JS kernels' products, and finishes", async () => {
    const code = `
      tg.setNumThreads(2);
      const { tuning, wasmRuntime } = await import(${JSON.stringify(fileURLToPath(new URL("./wasm.ts", import.meta.url)))});
      const { poolStats } = await import(${JSON.stringify(fileURLToPath(new URL("./pool.ts", import.meta.url)))});
      tuning.wasmMinFlops = 0;
      tuning.parallelMinFlops = 0;
      tg.manualSeed(1);
      const shapes = [[1, 2, 5], [4, 64, 300], [33, 257, 70], [130, 300, 67], [8, 32, 96]];
      const pairs = shapes.map(([m, k, n]) => [tg.randn([m, k]), tg.randn([n, k]).t()]);
      let diff = 0;
      for (let round = 0; round < 20; round++) {
        for (const [a, b] of pairs) {
          tg.setBackend("wasm");
          const c = tg.matmul(a, b);
          tg.setBackend("js");
          const r = tg.matmul(a, b);
          for (let i = 0; i < r.size; i++) diff = Math.max(diff, Math.abs(c.data[i] - r.data[i]));
        }
        if (round === 0) await new Promise((r) => setTimeout(r, 100)); // the worker is up: it takes part from here
      }
      console.log(JSON.stringify({ diff, workerTasks: poolStats(wasmRuntime()).tasks }));`;
    const run = await runNode(code, { TYPEGRAD_THREADS: "2" }, ["--liftoff-only"]);
    expect(run.code, run.out).toBe(0);
    const { diff, workerTasks } = JSON.parse(run.out) as { diff: number; workerTasks: number };
    expect(workerTasks).toBeGreaterThan(0);
    expect(diff).toBeLessThan(1e-3);
  });
});

describe("wasm memory", () => {
  const saved = { backend: getBackend(), threads: getNumThreads(), ...tuning };
  beforeAll(() => {
    setBackend("wasm");
    setNumThreads(2);
    tuning.wasmMinFlops = 0;
    tuning.parallelMinFlops = 2 * 48 ** 3;
  });
  afterAll(() => {
    setBackend(saved.backend);
    setNumThreads(saved.threads);
    Object.assign(tuning, { wasmMinFlops: saved.wasmMinFlops, parallelMinFlops: saved.parallelMinFlops });
  });

  it("stays flat over 10,000 products of varying sizes (scratch is reused, never allocated per call)", () => {
    manualSeed(3);
    const pairs = Array.from({ length: 24 }, (_, i) => {
      const [m, k, n] = [1 + ((i * 37) % 96), 1 + ((i * 53) % 80), 1 + ((i * 29) % 72)];
      const batch = 1 + (i % 3);
      return [randn([batch, m, k]), i % 2 ? randn([k, n]) : randn([batch, n, k]).transpose(1, 2)] as const;
    });
    const rt = wasmRuntime()!;
    for (const [a, b] of pairs) matmul(a, b);
    const bytes = rt.memory.buffer.byteLength;
    const workers = poolSize();
    for (let i = 0; i < 10_000; i++) {
      const [a, b] = pairs[i % pairs.length]!;
      matmul(a, b);
    }
    expect(rt.memory.buffer.byteLength).toBe(bytes);
    expect(poolSize()).toBe(workers);
  });
});
