/**
 * @file @typegrad/nn against PyTorch 1.13 (float64): MultiHeadAttention, LayerNorm, Embedding,
 * Linear, TransformerEncoderLayer, the losses and SDPA, from the committed goldens of
 * scripts/goldens/nn_goldens.py (no Python at test time). Each case is rebuilt from its own
 * description (config, state dict by PyTorch names, inputs), run forward and backward with the
 * golden upstream gradients, and every output, input gradient and parameter gradient is compared
 * element by element: |got - want| <= 1e-10 + 1e-8 |want| (non-finite values must match).
 * Also the common pitfalls: attention that splits heads with a bare reshape, or forgets the
 * 1/sqrt(Dh) scale, must be rejected by the same comparison.
 */
import { readFileSync } from "node:fs";
import { autograd, tensor, type Tensor } from "@typegrad/autograd";
import { describe, expect, it } from "vitest";
import {
  Embedding,
  functional as F,
  LayerNorm,
  Linear,
  type Module,
  MultiHeadAttention,
  TransformerEncoderLayer,
} from "../src/index.js";

type Value = number | boolean | "nan" | "inf" | "-inf";

interface Golden {
  shape: number[];
  values: Value[];
}
interface GoldenInput extends Golden {
  dtype: "float64" | "int32" | "bool";
  requiresGrad: boolean;
}
interface GoldenOutput extends Golden {
  gradOutput: Value[] | null;
}
interface GoldenCase {
  name: string;
  kind: "mha" | "layer_norm" | "embedding" | "linear" | "encoder" | "cross_entropy" | "nll_loss" | "mse_loss" | "sdpa";
  config: Record<string, unknown>;
  call: Record<string, unknown>;
  state: Record<string, Golden>;
  inputs: Record<string, GoldenInput>;
  outputs: Record<string, GoldenOutput | null>;
  inputGrads: Record<string, Golden>;
  paramGrads: Record<string, Golden | null>;
}

const golden = JSON.parse(readFileSync(new URL("./goldens/nn.golden.json", import.meta.url), "utf8")) as {
  torch: string;
  cases: GoldenCase[];
};

const ATOL = 1e-10;
const RTOL = 1e-8;
const SHOWN = 4; // mismatching elements listed per tensor

const decode = (v: Value): number | boolean =>
  v === "nan" ? Number.NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v;

function toTensor(g: Golden, dtype: GoldenInput["dtype"] = "float64", requiresGrad = false): Tensor {
  const vals = g.values.map(decode);
  if (dtype === "bool") return tensor(vals as boolean[], { dtype, shape: g.shape });
  const data = dtype === "int32" ? Int32Array.from(vals as number[]) : Float64Array.from(vals as number[]);
  return tensor(data, { dtype, shape: g.shape, requiresGrad });
}

function stateDict(c: GoldenCase, requiresGrad = false): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(c.state).map(([name, g]) => [name, toTensor(g, "float64", requiresGrad)]));
}

function index(flat: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flat % shape[d]!);
    flat = Math.floor(flat / shape[d]!);
  }
  return `[${idx.join(",")}]`;
}

/** Every element of `got` against the golden; one line per problem (empty: it passes). */
function compare(where: string, got: Tensor | null, want: Golden): string[] {
  if (!got) return [`${where}: got null, want a tensor of shape [${want.shape.join(",")}]`];
  if (got.shape.length !== want.shape.length || got.shape.some((s, d) => s !== want.shape[d])) {
    return [`${where}: got shape [${got.shape.join(",")}], want [${want.shape.join(",")}]`];
  }
  const values = got.toArray();
  const bad: string[] = [];
  want.values.forEach((w, i) => {
    const x = Number(values[i]!);
    const y = Number(decode(w));
    const ok = Number.isFinite(y) ? Math.abs(x - y) <= ATOL + RTOL * Math.abs(y) : Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));
    if (!ok) bad.push(`${where}${index(i, want.shape)}: got ${x}, want ${y} (|diff| ${Math.abs(x - y).toExponential(2)})`);
  });
  if (bad.length <= SHOWN) return bad;
  return [...bad.slice(0, SHOWN), `${where}: ... ${bad.length - SHOWN} more of ${want.values.length} elements differ`];
}

interface Run {
  /** The parameters whose gradients are checked, by PyTorch name. */
  params: [string, Tensor][];
  outputs: Record<string, Tensor | null>;
}
type Runner = (c: GoldenCase, x: Record<string, Tensor>) => Run;

const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));

/** The module with the golden's state dict (strict: names must be PyTorch's), in eval mode. */
function loaded<M extends Module>(m: M, c: GoldenCase): M {
  m.loadStateDict(stateDict(c));
  return m.eval();
}

function buildMha(c: GoldenCase): MultiHeadAttention {
  const k = c.config as { embedDim: number; numHeads: number; dropout: number; bias: boolean; addBiasKv: boolean; addZeroAttn: boolean; batchFirst: boolean };
  const { embedDim, numHeads, dropout, bias, addBiasKv, addZeroAttn, batchFirst } = k;
  const options = { dropout, bias, addBiasKv, addZeroAttn, batchFirst, kdim: opt<number>(c.config.kdim), vdim: opt<number>(c.config.vdim) };
  return loaded(new MultiHeadAttention(embedDim, numHeads, { ...options, dtype: "float64" }), c);
}

const RUNNERS: Record<GoldenCase["kind"], Runner> = {
  mha: (c, x) => {
    const m = buildMha(c);
    const alias = c.call.alias as "qkv" | "kv" | null;
    const q = x.query!;
    const k = alias === "qkv" ? q : x.key!;
    const v = alias === "qkv" ? q : alias === "kv" ? k : x.value!;
    const [output, weights] = m.forward(q, k, v, {
      attnMask: x.attnMask ?? null,
      keyPaddingMask: x.keyPaddingMask ?? null,
      needWeights: c.call.needWeights as boolean,
      averageAttnWeights: c.call.averageAttnWeights as boolean,
      isCausal: c.call.isCausal as boolean,
    });
    return { params: [...m.namedParameters()], outputs: { output, weights } };
  },
  layer_norm: (c, x) => {
    const { normalizedShape, eps, elementwiseAffine } = c.config as { normalizedShape: number[]; eps: number; elementwiseAffine: boolean };
    const m = loaded(new LayerNorm(normalizedShape, { eps, elementwiseAffine, dtype: "float64" }), c);
    return { params: [...m.namedParameters()], outputs: { output: m.forward(x.input!) } };
  },
  embedding: (c, x) => {
    const { numEmbeddings, embeddingDim } = c.config as { numEmbeddings: number; embeddingDim: number };
    const m = loaded(new Embedding(numEmbeddings, embeddingDim, { paddingIdx: opt<number>(c.config.paddingIdx), dtype: "float64" }), c);
    return { params: [...m.namedParameters()], outputs: { output: m.forward(x.indices!) } };
  },
  linear: (c, x) => {
    const { inFeatures, outFeatures, bias } = c.config as { inFeatures: number; outFeatures: number; bias: boolean };
    const m = loaded(new Linear(inFeatures, outFeatures, { bias, dtype: "float64" }), c);
    return { params: [...m.namedParameters()], outputs: { output: m.forward(x.input!) } };
  },
  encoder: (c, x) => {
    const { dModel, nhead, ...options } = c.config as {
      dModel: number; nhead: number; dimFeedforward: number; dropout: number; activation: "relu" | "gelu";
      layerNormEps: number; batchFirst: boolean; normFirst: boolean;
    };
    const m = loaded(new TransformerEncoderLayer(dModel, nhead, { ...options, dtype: "float64" }), c);
    return { params: [...m.namedParameters()], outputs: { output: m.forward(x.src!, { srcKeyPaddingMask: x.srcKeyPaddingMask ?? null }) } };
  },
  cross_entropy: (c, x) => {
    const { reduction, ignoreIndex, labelSmoothing } = c.call as { reduction: F.Reduction; ignoreIndex: number; labelSmoothing: number };
    const output = F.crossEntropy(x.input!, x.target!, { weight: x.weight ?? null, ignoreIndex, reduction, labelSmoothing });
    return { params: [], outputs: { output } };
  },
  nll_loss: (c, x) => {
    const { reduction, ignoreIndex } = c.call as { reduction: F.Reduction; ignoreIndex: number };
    return { params: [], outputs: { output: F.nllLoss(x.input!, x.target!, { weight: x.weight ?? null, ignoreIndex, reduction }) } };
  },
  mse_loss: (c, x) => ({ params: [], outputs: { output: F.mseLoss(x.input!, x.target!, { reduction: c.call.reduction as F.Reduction }) } }),
  sdpa: (c, x) => {
    const options = { attnMask: x.attnMask ?? null, isCausal: c.call.isCausal as boolean, scale: opt<number>(c.call.scale) };
    return { params: [], outputs: { output: F.scaledDotProductAttention(x.query!, x.key!, x.value!, options) } };
  },
};

function inputsOf(c: GoldenCase): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(c.inputs).map(([name, g]) => [name, toTensor(g, g.dtype, g.requiresGrad)]));
}

/** Runs a case forward and backward and lists every disagreement with PyTorch. */
function check(c: GoldenCase, runner: Runner = RUNNERS[c.kind]): string[] {
  const x = inputsOf(c);
  const { params, outputs } = runner(c, x);
  const problems: string[] = [];
  const roots: Tensor[] = [];
  const gradOutputs: Tensor[] = [];
  for (const [name, want] of Object.entries(c.outputs)) {
    const got = outputs[name] ?? null;
    if (want === null) {
      if (got !== null) problems.push(`${c.name} / ${name}: got a tensor, want null (PyTorch returns None)`);
      continue;
    }
    problems.push(...compare(`${c.name} / ${name}`, got, want));
    if (got && want.gradOutput) {
      roots.push(got);
      gradOutputs.push(toTensor({ shape: want.shape, values: want.gradOutput }));
    }
  }
  const inputNames = Object.keys(c.inputGrads);
  const targets = [...inputNames.map((n) => x[n]!), ...params.map(([, p]) => p)];
  if (problems.some((p) => p.includes("shape"))) return problems; // gradients would not line up
  const grads = roots.length > 0 && targets.length > 0 ? autograd.grad(roots, targets, { gradOutputs, allowUnused: true }) : [];
  inputNames.forEach((n, i) => problems.push(...compare(`${c.name} / grad ${n}`, grads[i] ?? null, c.inputGrads[n]!)));
  const got = new Map(params.map(([n], i) => [n, grads[inputNames.length + i] ?? null]));
  for (const [n, want] of Object.entries(c.paramGrads)) {
    if (!got.has(n)) problems.push(`${c.name} / grad ${n}: the module has no parameter of this name`);
    else if (want === null) {
      if (got.get(n)?.toArray().some((v) => Number(v) !== 0)) problems.push(`${c.name} / grad ${n}: got a nonzero gradient, want none`);
    } else problems.push(...compare(`${c.name} / grad ${n}`, got.get(n)!, want));
  }
  for (const [n] of params) if (!(n in c.paramGrads)) problems.push(`${c.name}: parameter ${n} is not in PyTorch's module`);
  return problems;
}

function byKind(...kinds: GoldenCase["kind"][]): GoldenCase[] {
  return golden.cases.filter((c) => kinds.includes(c.kind));
}

describe(`nn goldens (PyTorch ${golden.torch}, float64)`, () => {
  it("covers every kind with cases", () => {
    const kinds = new Set(golden.cases.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(Object.keys(RUNNERS).sort());
  });

  it("the comparison rejects a golden gradient off by 1e-6 relative", () => {
    const c = structuredClone(golden.cases.find((g) => g.name === "mha_no_mask")!);
    const nudge = (g: Golden, i: number) => (g.values[i] = Number(g.values[i]) * (1 + 1e-6));
    nudge(c.inputGrads.key!, 7);
    nudge(c.paramGrads.in_proj_weight!, 40);
    const problems = check(c);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^mha_no_mask \/ grad key\[0,1,1\]: got /);
    expect(problems[1]).toMatch(/^mha_no_mask \/ grad in_proj_weight\[6,4\]: got /);
  });

  for (const [title, kinds] of [
    ["MultiHeadAttention", ["mha"]],
    ["layers: LayerNorm, Embedding, Linear, TransformerEncoderLayer", ["layer_norm", "embedding", "linear", "encoder"]],
    ["losses: crossEntropy, nllLoss, mseLoss", ["cross_entropy", "nll_loss", "mse_loss"]],
    ["scaledDotProductAttention (PyTorch 2's reference formula)", ["sdpa"]],
  ] as const) {
    describe(title, () => {
      it.each(byKind(...kinds).map((c) => [c.name, c] as const))("%s", (_, c) => {
        const problems = check(c);
        expect(problems, problems.join("\n")).toEqual([]);
      });
    });
  }
});

// ---------------------------------------------------------------- common pitfalls

type Variant = "correct" | "bareReshape" | "noScale";

/**
 * Batch-first multi-head attention written out with typegrad ops on a golden's MHA weights.
 * "correct": [N, T, E] -> [N, T, H, Dh] -> permute [N, H, T, Dh], scores / sqrt(Dh).
 * "bareReshape": [N, T, E] -> reshape [N, H, T, Dh] directly (and back the same way): wrong.
 * "noScale": the right split, but scores without 1/sqrt(Dh): wrong.
 */
function handWrittenAttention(c: GoldenCase, variant: Variant): Runner {
  return (_, x) => {
    const st = stateDict(c, true);
    const { embedDim: E, numHeads: H } = c.config as { embedDim: number; numHeads: number };
    const Dh = E / H;
    const [wq, wk, wv] = st.in_proj_weight!.chunk(3) as [Tensor, Tensor, Tensor];
    const [bq, bk, bv] = st.in_proj_bias!.chunk(3) as [Tensor, Tensor, Tensor];
    const split = (t: Tensor) => {
      const [n, len] = t.shape as [number, number, number];
      return variant === "bareReshape" ? t.reshape([n, H, len, Dh]) : t.reshape([n, len, H, Dh]).permute([0, 2, 1, 3]);
    };
    const merge = (t: Tensor) => {
      const [n, , len] = t.shape as [number, number, number, number];
      return variant === "bareReshape" ? t.reshape([n, len, E]) : t.permute([0, 2, 1, 3]).reshape([n, len, E]);
    };
    const q = split(x.query!.matmul(wq.t()).add(bq));
    const k = split(x.key!.matmul(wk.t()).add(bk));
    const v = split(x.value!.matmul(wv.t()).add(bv));
    let scores = q.matmul(k.transpose(-2, -1));
    if (variant !== "noScale") scores = scores.div(Math.sqrt(Dh));
    const weights = scores.softmax(-1);
    const output = merge(weights.matmul(v)).matmul(st["out_proj.weight"]!.t()).add(st["out_proj.bias"]!);
    return { params: Object.entries(st), outputs: { output, weights: weights.mean(1) } };
  };
}

describe("common attention pitfalls are rejected by the goldens", () => {
  const c = golden.cases.find((g) => g.name === "mha_cross_attention_batch_first")!;
  const forwardOnly = (problems: string[]) => problems.filter((p) => !p.includes(" / grad "));

  it("typegrad's MultiHeadAttention matches PyTorch on the pitfall case", () => {
    expect(c.config.batchFirst).toBe(true);
    const problems = check(c);
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it("the hand-written reference (right split, right scale) matches too", () => {
    const problems = check(c, handWrittenAttention(c, "correct"));
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it.each(["bareReshape", "noScale"] as const)("%s: the output differs from PyTorch's beyond the tolerance", (variant) => {
    const problems = forwardOnly(check(c, handWrittenAttention(c, variant)));
    expect(problems.some((p) => p.startsWith(`${c.name} / output[`))).toBe(true);
  });
});
