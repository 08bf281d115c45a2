/**
 * @file The all-ops suite: for every entry of OP_INFOS, as fast-check properties, the forward
 * against the naive reference on random layouts (expanded included where valid), gradcheck on
 * every element (broadcast pairs come from the samples), and gradgradcheck where it applies.
 * A failing property prints its seed, path and a readable counterexample.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OP_NAMES } from "@typegrad/autograd";
import { propertyConfig } from "@typegrad/tensor/testing";
import { gradcheck, gradgradcheck } from "../src/index.js";
import { OP_INFOS } from "../src/opinfo/index.js";
import { expectMatches, forwardSamples, runsOf } from "./op-checks.js";

const TIMEOUT = 120_000;

describe("OP_INFOS", () => {
  it("has exactly one entry per op of the autograd op table", () => {
    expect(new Set(Object.keys(OP_INFOS))).toEqual(new Set(OP_NAMES));
    expect(Object.keys(OP_INFOS)).toHaveLength(OP_NAMES.length);
  });
});

describe.each(Object.entries(OP_INFOS))("%s", (_name, info) => {
  it("forward matches the naive reference on random layouts", { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(forwardSamples(info), (s) => expectMatches((s.forward ?? s.call)(...s.inputs), s.reference(...s.inputs))),
      propertyConfig(runsOf(info, "forward")),
    );
  });

  it("passes gradcheck on every element", { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(info.sample, (s) => gradcheck((...xs) => s.call(...xs), s.inputs, { ...info.grad, ...s.grad })),
      propertyConfig(runsOf(info, "grad")),
    );
  });

  it.runIf(info.gradgrad)("passes gradgradcheck", { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(info.sample, (s) => gradgradcheck((...xs) => s.call(...xs), s.inputs, { ...info.grad, ...s.grad })),
      propertyConfig(runsOf(info, "gradgrad")),
    );
  });
});
