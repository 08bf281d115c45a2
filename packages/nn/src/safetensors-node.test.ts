/**
 * @file safetensors files on Node: save/load round trips in a temporary folder, atomic
 * replacement (no temporary file left, an old file replaced completely or not at all), and the
 * PyTorch fixtures of packages/nn/test/fixtures (written by scripts/goldens/safetensors_fixture.py)
 * read with their names, dtypes, shapes and values.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tensor, type Tensor } from "@typegrad/autograd";
import { loadSafetensors, saveSafetensors, writeFileAtomic } from "./safetensors-node.js";
import { SafetensorsError, parseSafetensors, safetensorsMetadata, serializeSafetensors, type StateDict } from "./safetensors.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "typegrad-safetensors-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sample = (): StateDict => ({
  "0.weight": tensor([[1, 2], [3, 4]]).transpose(0, 1),
  "0.bias": tensor([0.5, -0.5], { dtype: "float64" }),
  steps: tensor(3, { dtype: "int32" }),
  mask: tensor([true, false, true], { dtype: "bool" }),
});

describe("saveSafetensors / loadSafetensors", () => {
  it("round-trips a state dict and its metadata through a file", () => {
    const path = join(dir, "model.safetensors");
    saveSafetensors(sample(), path, { format: "pt" });
    const back = loadSafetensors(path);
    expect(Object.keys(back)).toEqual(Object.keys(sample()));
    for (const [name, t] of Object.entries(sample())) {
      expect(back[name]!.dtype).toBe(t.dtype);
      expect(back[name]!.tolist()).toEqual(t.tolist());
    }
    const bytes = readFileSync(path);
    expect(safetensorsMetadata(bytes)).toEqual({ format: "pt" });
    expect(new Uint8Array(bytes)).toEqual(serializeSafetensors(sample(), { format: "pt" }));
  });

  it("leaves no temporary file behind", () => {
    const path = join(dir, "model.safetensors");
    saveSafetensors(sample(), path);
    saveSafetensors(sample(), path);
    writeFileAtomic(join(dir, "notes.txt"), "héllo");
    expect(readdirSync(dir).sort()).toEqual(["model.safetensors", "notes.txt"]);
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("héllo");
  });

  it("replaces an existing, longer file completely", () => {
    const path = join(dir, "model.safetensors");
    writeFileSync(path, new Uint8Array(100_000).fill(0xab));
    saveSafetensors({ w: tensor([1, 2]) }, path);
    const bytes = new Uint8Array(readFileSync(path));
    expect(bytes).toEqual(serializeSafetensors({ w: tensor([1, 2]) }));
    expect(statSync(path).size).toBe(bytes.length);
    expect(loadSafetensors(path).w!.tolist()).toEqual([1, 2]);
  });

  it("leaves the old file intact when the state dict cannot be written", () => {
    const path = join(dir, "model.safetensors");
    saveSafetensors(sample(), path);
    const before = readFileSync(path);
    const bad = { ...sample(), oops: [1, 2, 3] } as unknown as StateDict;
    expect(() => saveSafetensors(bad, path)).toThrow(SafetensorsError);
    expect(() => saveSafetensors(sample(), path, { n: 1 } as unknown as Record<string, string>)).toThrow(/metadata value of "n" must be a string/);
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(dir)).toEqual(["model.safetensors"]);
  });

  it("leaves a directory target and its folder untouched when the rename fails", () => {
    const target = join(dir, "model.safetensors");
    mkdirSync(target);
    writeFileSync(join(target, "keep.txt"), "kept");
    expect(() => saveSafetensors(sample(), target)).toThrow(/EISDIR|EEXIST|ENOTEMPTY|EPERM/);
    expect(statSync(target).isDirectory()).toBe(true);
    expect(readFileSync(join(target, "keep.txt"), "utf8")).toBe("kept");
    expect(readdirSync(dir)).toEqual(["model.safetensors"]);
  });

  it("creates nothing when the folder does not exist", () => {
    expect(() => saveSafetensors(sample(), join(dir, "missing", "model.safetensors"))).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("rejects a truncated or corrupt file with a SafetensorsError", () => {
    const path = join(dir, "model.safetensors");
    saveSafetensors(sample(), path);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    expect(() => loadSafetensors(path)).toThrow(/safetensors: tensor data runs to byte \d+, but the data section has \d+ bytes/);
    writeFileSync(path, "not a safetensors file");
    expect(() => loadSafetensors(path)).toThrow(SafetensorsError);
    expect(() => loadSafetensors(join(dir, "absent.safetensors"))).toThrow(/ENOENT/);
  });
});

/** A fixture's JSON: values row-major; non-finite floats as "nan", "inf", "-inf". */
interface Entry {
  dtype: string;
  shape: number[];
  values: (number | string)[];
  code?: string;
}

const fixtures = fileURLToPath(new URL("../test/fixtures/", import.meta.url));
const readJson = <T>(name: string): T => JSON.parse(readFileSync(join(fixtures, name), "utf8")) as T;
const number = (v: number | string): number => (typeof v === "number" ? v : { nan: NaN, inf: Infinity, "-inf": -Infinity }[v] ?? NaN);

function expectMatches(t: Tensor, want: Entry, name: string): void {
  expect(t.dtype, name).toBe(want.dtype);
  expect(t.shape, name).toEqual(want.shape);
  expect(Array.from(t.toArray()), name).toEqual(want.values.map(number));
}

describe("PyTorch fixtures (scripts/goldens/safetensors_fixture.py)", () => {
  it("MultiheadAttention: PyTorch's names, shapes and values", () => {
    const sd = loadSafetensors(join(fixtures, "mha.safetensors"));
    expect(Object.keys(sd)).toEqual(["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]);
    expect(Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, t.shape]))).toEqual({
      in_proj_weight: [24, 8], in_proj_bias: [24], "out_proj.weight": [8, 8], "out_proj.bias": [8],
    });
    const state = readJson<Record<string, Entry>>("mha.state.json");
    expect(Object.keys(state)).toEqual(Object.keys(sd));
    for (const [name, t] of Object.entries(sd)) expectMatches(t, state[name]!, name);
    expect(sd.in_proj_bias!.toArray().some((v) => v !== 0)).toBe(true); // biases are not PyTorch's zeros
    const expected = readJson<{ module: { embed_dim: number; num_heads: number }; input: Entry; attn_output: Entry; attn_weights: Entry }>("mha.expected.json");
    expect(expected.module).toMatchObject({ embed_dim: 8, num_heads: 2 });
    expect([expected.input.shape, expected.attn_output.shape, expected.attn_weights.shape]).toEqual([[3, 2, 8], [3, 2, 8], [2, 3, 3]]);
  });

  it("Linear: PyTorch's names, shapes and values", () => {
    const sd = loadSafetensors(join(fixtures, "linear.safetensors"));
    const state = readJson<Record<string, Entry>>("linear.state.json");
    expect(Object.keys(sd)).toEqual(["weight", "bias"]);
    expect(Object.keys(state)).toEqual(["weight", "bias"]);
    for (const [name, t] of Object.entries(sd)) expectMatches(t, state[name]!, name);
    expect(sd.weight!.shape).toEqual([4, 8]);
    const expected = readJson<{ input: Entry; output: Entry }>("linear.expected.json");
    expect([expected.input.shape, expected.output.shape]).toEqual([[5, 8], [5, 4]]);
  });

  it("typegrad writes the PyTorch-written files back byte for byte", () => {
    for (const stem of ["mha", "linear"]) {
      const original = new Uint8Array(readFileSync(join(fixtures, `${stem}.safetensors`)));
      expect(serializeSafetensors(parseSafetensors(original), safetensorsMetadata(original)), stem).toEqual(original);
    }
  });

  it("every dtype PyTorch writes, converted as PyTorch converts it", () => {
    const bytes = readFileSync(join(fixtures, "dtypes.safetensors"));
    const sd = parseSafetensors(bytes);
    const state = readJson<Record<string, Entry>>("dtypes.state.json");
    expect(Object.keys(sd)).toEqual(Object.keys(state));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))))) as Record<string, { dtype?: string }>;
    for (const [name, want] of Object.entries(state)) {
      expect(header[name]!.dtype, name).toBe(want.code);
      expectMatches(sd[name]!, want, name);
    }
    expect(safetensorsMetadata(bytes)).toEqual({ format: "pt", note: "one tensor per dtype" });
  });
});
