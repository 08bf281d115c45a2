/**
 * @file PyTorch interop: state dicts that Debian's PyTorch 1.13 wrote in the safetensors layout
 * (scripts/goldens/safetensors_fixture.py) load into typegrad modules by PyTorch's key names
 * and give PyTorch's outputs (float32, so to float32 rounding).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { tensor, type Tensor } from "@typegrad/autograd";
import { Linear, loadSafetensors, MultiHeadAttention } from "../src/index.js";

interface Stored {
  shape: number[];
  values: number[];
}

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
interface Expected {
  module: Record<string, number | boolean>;
  input: Stored;
  [output: string]: Stored | Record<string, number | boolean>;
}

const json = (name: string) => JSON.parse(readFileSync(fixture(name), "utf8")) as Expected;

function expectClose(got: Tensor, want: Stored): void {
  expect(got.shape).toEqual(want.shape);
  const values = Array.from(got.toArray() as Float32Array);
  values.forEach((g, i) => expect(Math.abs(g - want.values[i]!)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(want.values[i]!)));
}

describe("PyTorch-written safetensors", () => {
  it("load into MultiHeadAttention and reproduce its output and weights", () => {
    const expected = json("mha.expected.json");
    const mha = new MultiHeadAttention(Number(expected.module.embed_dim), Number(expected.module.num_heads));
    const sd = loadSafetensors(fixture("mha.safetensors").pathname);
    expect(Object.keys(sd).sort()).toEqual(["in_proj_bias", "in_proj_weight", "out_proj.bias", "out_proj.weight"]);
    mha.loadStateDict(sd);
    const x = tensor(Float32Array.from(expected.input.values), { shape: expected.input.shape });
    const [out, weights] = mha.forward(x, x, x);
    expectClose(out, expected.attn_output as Stored);
    expectClose(weights!, expected.attn_weights as Stored);
  });

  it("load into Linear and reproduce its output", () => {
    const expected = json("linear.expected.json");
    const lin = new Linear(Number(expected.module.in_features), Number(expected.module.out_features));
    lin.loadStateDict(loadSafetensors(fixture("linear.safetensors").pathname));
    expectClose(lin.forward(tensor(Float32Array.from(expected.input.values), { shape: expected.input.shape })), expected.output as Stored);
  });
});
