/**
 * @file Smoke tests of every example on tiny sizes (seconds): they run, the loss falls, the
 * files are written, a resumed char-gpt run gives the same numbers as an uninterrupted one,
 * and bad flags are rejected with a clear message.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attentionMap, ATTENTION_MAP_OPTIONS } from "./attention-map.js";
import { CHAR_GPT_OPTIONS, lrFactor, trainCharGpt } from "./char-gpt.js";
import { checkCustomOp } from "./custom-op.js";
import { parseOptions, usage, UsageError, type OptionSpec, type Options } from "./lib/cli.js";
import { encodeText } from "./lib/corpus.js";
import { SORT_OPTIONS, trainSort } from "./sort.js";

const defaults = <S extends Record<string, OptionSpec>>(specs: S) => parseOptions(specs, [])!;
const tmpDirs: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), "typegrad-example-"));
  tmpDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("sort and attention-map", () => {
  it("train, save a checkpoint, and draw its attention", () => {
    const out = tmp();
    const r = trainSort({ ...defaults(SORT_OPTIONS), steps: 40, batch: 32, dModel: 16, heads: 2, evalSize: 64, quiet: true, out });
    expect(mean(r.losses.slice(-5))).toBeLessThan(mean(r.losses.slice(0, 5)));
    expect(existsSync(r.checkpoint)).toBe(true);
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.examples).toHaveLength(4);
    const map = attentionMap({ ...defaults(ATTENTION_MAP_OPTIONS), checkpoint: r.checkpoint, out, quiet: true });
    const svg = readFileSync(map.svg, "utf8");
    expect(svg).toContain("layer 1 head 1");
    expect(map.output).toMatch(/^\d{8}$/);
  });
});

describe("char-gpt", () => {
  const corpus = encodeText(Array.from("the quick brown fox jumps over the lazy dog. ".repeat(80)));
  const tiny = (out: string): Options<typeof CHAR_GPT_OPTIONS> => ({
    ...defaults(CHAR_GPT_OPTIONS), steps: 12, batch: 4, context: 16, dModel: 16, heads: 2, warmup: 2, lr: 3e-3,
    evalEvery: 6, evalBatches: 2, checkpointEvery: 6, sampleLength: 20, quiet: true, out,
  });

  it("trains, validates, writes a checkpoint and a loss curve, and samples", () => {
    const out = tmp();
    const r = trainCharGpt(tiny(out), corpus);
    expect(mean(r.losses.slice(-3))).toBeLessThan(mean(r.losses.slice(0, 3)));
    expect(r.validation.map(([s]) => s)).toEqual([6, 12]);
    for (const f of r.files) expect(existsSync(f)).toBe(true);
    expect(readFileSync(join(out, "loss.svg"), "utf8")).toContain("<polyline");
    expect(r.sample).toHaveLength(20);
  });

  it("resumes exactly: the same losses as an uninterrupted run", () => {
    const full = trainCharGpt(tiny(tmp()), corpus);
    const out = tmp();
    trainCharGpt({ ...tiny(out), stopAt: 6 }, corpus);
    const resumed = trainCharGpt({ ...tiny(out), resume: true }, corpus);
    expect(resumed.losses).toEqual(full.losses);
    expect(resumed.validation).toEqual(full.validation);
    expect(() => trainCharGpt({ ...tiny(out), heads: 4, resume: true }, corpus)).toThrow(/--resume: .* other options \(--heads 2 in the checkpoint, 4 now\)/);
    expect(() => trainCharGpt({ ...tiny(out), lr: 1e-3, resume: true }, corpus)).toThrow(/--lr 0\.003 in the checkpoint, 0\.001 now/);
  });

  it("follows L1's learning-rate schedule", () => {
    const o = defaults(CHAR_GPT_OPTIONS);
    expect(lrFactor(o, 0) * o.lr).toBeCloseTo(1e-5, 15);
    expect(lrFactor(o, 99) * o.lr).toBeCloseTo(1e-3, 15);
    expect(lrFactor(o, 100) * o.lr).toBeCloseTo(1e-3, 15);
    expect(lrFactor(o, 1550) * o.lr).toBeCloseTo(1e-4 + 0.9e-3 * 0.5, 12);
    expect(lrFactor(o, 2999) * o.lr).toBeCloseTo(1e-4 + 0.9e-3 * 0.5 * (1 + Math.cos((Math.PI * 2899) / 2900)), 15);
  });
});

describe("custom-op", () => {
  it("proves softplus's gradients and rejects a wrong backward", () => {
    const r = checkCustomOp({ runs: 5, seed: 1 });
    expect(r.cases).toBe(5);
    expect(r.rejection).toMatch(/gradcheck: gradient of output 0 with respect to input 0 is wrong/);
  });
});

describe("command-line options", () => {
  it("parse typed values and reject bad flags with a clear message", () => {
    expect(parseOptions(SORT_OPTIONS, ["--steps", "7", "--quiet"])).toMatchObject({ steps: 7, quiet: true, batch: 128 });
    expect(parseOptions(SORT_OPTIONS, ["--help"])).toBeNull();
    expect(() => parseOptions(SORT_OPTIONS, ["--steps", "abc"])).toThrow(new UsageError('--steps must be an integer, got "abc"'));
    expect(() => parseOptions(SORT_OPTIONS, ["--steps", "0"])).toThrow(/--steps must be >= 1, got 0/);
    expect(() => parseOptions(SORT_OPTIONS, ["--nope"])).toThrow(UsageError);
    expect(usage("pnpm demo", "Sorts.", SORT_OPTIONS)).toContain("--d-model <int>");
  });
});

describe("pytorch-to-typegrad", () => {
  const source = (file: string) => readFileSync(new URL(file, import.meta.url), "utf8");

  it("is the loop the root README shows, in both languages", () => {
    const readme = source("../../README.md");
    expect(readme).toContain(source("./pytorch-to-typegrad.ts").split("*/\n")[1]!.trim());
    expect(readme).toContain(source("./pytorch-to-typegrad.py").split("\n").slice(1).join("\n").trim());
  });
});
