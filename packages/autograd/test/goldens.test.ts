/**
 * @file typegrad's outputs, input gradients and Hessian-vector products against PyTorch 1.13
 * (float64), from the committed goldens of scripts/goldens/autograd_goldens.py (no Python at
 * test time). Each golden case name maps to the same computation in IMPLS; a case without an
 * implementation, or an implementation without a case, fails. Tolerance per element:
 * |got - want| <= 1e-10 + 1e-8 |want|; non-finite values must match exactly.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { arange, autograd, cat, maximum, minimum, stack, tensor, Tensor, where } from "../src/index.js";

type Value = number | boolean | "nan" | "inf" | "-inf";

interface GoldenTensor {
  dtype: "float64" | "int32" | "bool";
  shape: number[];
  values: Value[];
}
interface GoldenInput extends GoldenTensor {
  name: string;
  requiresGrad: boolean;
}
interface GoldenOutput extends GoldenTensor {
  gradOutput: Value[] | null;
}
interface NamedValues {
  input: string;
  shape: number[];
  values: Value[];
}
interface GoldenCase {
  name: string;
  kind: "grad" | "hvp";
  inputs: GoldenInput[];
  outputs: GoldenOutput[];
  grads: NamedValues[];
  v?: NamedValues[];
  hvp?: NamedValues[];
}

const golden = JSON.parse(readFileSync(new URL("./goldens/autograd.golden.json", import.meta.url), "utf8")) as {
  torch: string;
  cases: GoldenCase[];
};

const ATOL = 1e-10;
const RTOL = 1e-8;

/** A case's computation: its inputs in the golden's order, one output or several. */
type Impl = (...xs: Tensor[]) => Tensor | readonly Tensor[];

const range = (start: number, end: number) => arange(start, end, 1, { dtype: "float64" });

function mlp(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return x.matmul(w).add(b).tanh().pow(2).mean();
}

function layerNorm(x: Tensor, g: Tensor, b: Tensor): Tensor {
  const mu = x.mean(-1, true);
  const variance = x.var(-1, { correction: 0, keepdim: true });
  return x.sub(mu).div(variance.add(1e-5).sqrt()).mul(g).add(b);
}

function attention(q: Tensor, k: Tensor, v: Tensor): Tensor {
  return q.matmul(k.transpose(-2, -1)).div(Math.sqrt(q.shape[q.ndim - 1]!)).softmax(-1).matmul(v);
}

function attentionCausal(q: Tensor, k: Tensor, v: Tensor, mask: Tensor): Tensor {
  const scores = q.matmul(k.transpose(-2, -1)).div(Math.sqrt(q.shape[q.ndim - 1]!)).maskedFill(mask, -Infinity);
  return scores.softmax(-1).matmul(v);
}

function mlpCrossEntropy(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, target: Tensor): Tensor {
  const logits = x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
  return logits.logSoftmax(1).gather(1, target.unsqueeze(1)).mean().neg();
}

const IMPLS: Record<string, Impl> = {
  // unary
  unary_neg: (x) => x.neg(),
  unary_abs: (x) => x.abs(),
  unary_exp: (x) => x.exp(),
  unary_log: (x) => x.log(),
  unary_log1p: (x) => x.log1p(),
  unary_sqrt: (x) => x.sqrt(),
  unary_rsqrt: (x) => x.rsqrt(),
  unary_sin: (x) => x.sin(),
  unary_cos: (x) => x.cos(),
  unary_tanh: (x) => x.tanh(),
  unary_sigmoid: (x) => x.sigmoid(),
  unary_relu: (x) => x.relu(),
  unary_erf: (x) => x.erf(),
  unary_reciprocal: (x) => x.reciprocal(),
  unary_square: (x) => x.square(),
  unary_gelu: (x) => x.gelu(),
  unary_gelu_tanh: (x) => x.gelu({ approximate: "tanh" }),
  // PyTorch's conventions at kinks and poles
  kink_relu_abs_at_zero: (x) => [x.relu(), x.abs()],
  pole_log_sqrt_at_zero: (x, y) => [x.log(), y.sqrt()],
  maximum_minimum_ties: (a, b) => [maximum(a, b), minimum(a, b)],
  clamp_at_bounds: (x) => x.clamp(-0.5, 0.5),
  amax_ties: (x) => x.amax(1),
  max_all_ties: (x) => x.max(),
  // binary
  add_broadcast: (a, b) => a.add(b),
  add_alpha: (a, b) => a.add(b, { alpha: 2.5 }),
  sub_broadcast: (a, b) => a.sub(b),
  sub_alpha: (a, b) => a.sub(b, { alpha: -0.5 }),
  mul_broadcast: (a, b) => a.mul(b),
  div_broadcast: (a, b) => a.div(b),
  pow_tensor_tensor: (a, b) => a.pow(b),
  pow_scalar_exponent: (x) => [x.pow(2.5), x.pow(-1.5), x.pow(3)],
  scalar_operands: (x) => x.mul(2.5).add(1).sub(0.75).div(3),
  maximum_minimum_broadcast: (a, b) => [maximum(a, b), minimum(a, b)],
  // reductions
  sum_all: (x) => x.sum(),
  sum_dim_keepdim: (x) => x.sum(1, true),
  sum_dims: (x) => x.sum([0, 2]),
  mean_all: (x) => x.mean(),
  mean_last_dim: (x) => x.mean(-1),
  mean_dims_keepdim: (x) => x.mean([0, 1], true),
  var_correction1_dim: (x) => x.var(1, { correction: 1 }),
  var_correction0_dims_keepdim: (x) => x.var([0, 2], { correction: 0, keepdim: true }),
  std_correction1_all: (x) => x.std(undefined, { correction: 1 }),
  std_correction0_dim_keepdim: (x) => x.std(0, { correction: 0, keepdim: true }),
  logsumexp_dim: (x) => x.logsumexp(1),
  logsumexp_dims_keepdim: (x) => x.logsumexp([0, 2], true),
  softmax_last: (x) => x.softmax(-1),
  softmax_dim0: (x) => x.softmax(0),
  log_softmax_dim1: (x) => x.logSoftmax(1),
  amax_dim: (x) => x.amax(1),
  amin_dims_keepdim: (x) => x.amin([0, 2], true),
  max_dim: (x) => {
    const { values, indices } = x.max(1);
    return [values, indices];
  },
  min_dim_keepdim: (x) => {
    const { values, indices } = x.min(0, true);
    return [values, indices];
  },
  prod_all_one_zero: (x) => x.prod(),
  prod_dim_zeros: (x) => x.prod(1, true),
  // matmul
  matmul_vec_vec: (a, b) => a.matmul(b),
  matmul_mat_vec: (a, b) => a.matmul(b),
  matmul_vec_mat: (a, b) => a.matmul(b),
  matmul_mat_mat: (a, b) => a.matmul(b),
  matmul_batch_broadcast: (a, b) => a.matmul(b),
  matmul_batch_mat: (a, b) => a.matmul(b),
  matmul_vec_batch: (a, b) => a.matmul(b),
  matmul_gram_transposed: (x) => x.t().matmul(x),
  // movement
  transpose_mul: (x, w) => x.transpose(0, 2).mul(w),
  permute_mul: (x, w) => x.permute([2, 0, 1]).mul(w),
  reshape_mul: (x, w) => x.reshape([4, 6]).mul(w),
  reshape_of_transposed: (x) => x.t().reshape([-1]).mul(range(0, 12)),
  expand_mul: (x, w) => x.expand([2, 3, 4]).mul(w),
  slice_step: (x) => x.slice(1, 1, 6, 2),
  slice_negative_start_step: (x) => x.slice(0, -3).slice(1, 0, undefined, 3),
  slice_of_slice: (x) => x.slice(0, 1).slice(1, 0, undefined, 2).slice(1, 1).mul(3),
  narrow: (x) => x.narrow(0, 1, 2),
  select: (x) => [x.select(1, 2), x.select(-1, -1)],
  cat_dim1: (a, b, c) => cat([a, b, c], 1),
  cat_same_input: (a) => cat([a, a.mul(2), a], 0),
  stack_dim1: (a, b) => stack([a, b], 1),
  squeeze_unsqueeze_flatten: (x) => x.squeeze(1).t().unsqueeze(0).flatten().mul(range(1, 7)),
  split_chunk: (x) => [...x.split([1, 3], 1), ...x.chunk(2, 0)],
  // indexing
  gather_dim1_repeated: (x, index) => x.gather(1, index),
  gather_dim0: (x, index) => x.gather(0, index),
  scatter_add_dim1_repeated: (x, index, src) => x.scatterAdd(1, index, src),
  scatter_add_dim0: (x, index, src) => x.scatterAdd(0, index, src),
  index_select_dim0_repeated: (x, index) => x.indexSelect(0, index),
  index_select_dim1: (x, index) => x.indexSelect(1, index),
  // selection
  where_broadcast: (cond, a, b) => where(cond, a, b),
  where_scalar_other: (cond, a) => where(cond, a, 0.5),
  clamp_scalars: (x) => x.clamp(-0.4, 0.3),
  clamp_min_only: (x) => x.clamp(0.1),
  clamp_tensor_bounds: (x, lo, hi) => x.clamp(lo, hi),
  masked_fill_broadcast: (x, mask) => x.maskedFill(mask, -2),
  tril_triu: (x) => [x.tril(), x.triu(1), x.tril(-1)],
  triu_batch: (x) => x.triu(),
  // compositions
  mlp_tanh_pow_mean: mlp,
  layer_norm_by_hand: layerNorm,
  attention_scores: attention,
  attention_causal_mask: attentionCausal,
  mlp_cross_entropy: mlpCrossEntropy,
  shared_input_accumulation: (x) => x.mul(x).add(x.exp().mul(x.sin())).sub(x.div(x.mul(x).add(1))),
  broadcast_chain: (a, b, c) => a.mul(b).add(c).sigmoid().mul(a).sum(0),
  constant_input: (x, c) => x.mul(c).exp().sum(1),
  // Hessian-vector products (scalar f)
  hvp_tanh_matmul_sq: (x, w) => x.matmul(w).tanh().pow(2).sum(),
  hvp_logsumexp_quadratic: (x, a) => x.matmul(a).mul(x).logsumexp(0),
  hvp_x_y_sin: (x, y) => x.mul(y).mul(x.sin()).sum(),
  hvp_cube: (x) => x.pow(3).sum(),
  hvp_softmax_logsoftmax: (x, c) => x.softmax(-1).mul(c).sum().add(x.logSoftmax(0).mul(c).sum()),
  hvp_layer_norm: (x, g, b) => layerNorm(x, g, b).pow(2).mul(range(1, 5)).sum(),
  hvp_mlp: mlp,
};

// ---------------------------------------------------------------- helpers

const NON_FINITE = { nan: NaN, inf: Infinity, "-inf": -Infinity } as const;

function decode(values: readonly Value[]): number[] {
  return values.map((v) => (typeof v === "string" ? NON_FINITE[v] : typeof v === "boolean" ? Number(v) : v));
}

function build(g: GoldenTensor, requiresGrad: boolean): Tensor {
  const values = decode(g.values);
  const shape = g.shape;
  switch (g.dtype) {
    case "float64":
      return tensor(Float64Array.from(values), { shape, requiresGrad });
    case "int32":
      return tensor(Int32Array.from(values), { shape });
    case "bool":
      return tensor(Uint8Array.from(values), { shape });
  }
}

function buildInputs(c: GoldenCase): Tensor[] {
  return c.inputs.map((i) => build(i, i.requiresGrad));
}

function gradInputs(c: GoldenCase, xs: readonly Tensor[]): Tensor[] {
  return xs.filter((_, k) => c.inputs[k]!.requiresGrad);
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = shape.map(() => 0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}

function close(got: number, want: number): boolean {
  if (!Number.isFinite(want)) return Number.isNaN(want) ? Number.isNaN(got) : got === want;
  return Math.abs(got - want) <= ATOL + RTOL * Math.abs(want);
}

/**
 * Compares `got` with the golden element by element; returns one line per mismatch naming the
 * case, the tensor, the element index, got and want (and a shape mismatch as one line).
 */
function compare(caseName: string, what: string, got: Tensor | null, want: { shape: number[]; values: Value[] }): string[] {
  if (got === null) return [`${caseName}: ${what}: got null, want a tensor of shape [${want.shape.join(",")}]`];
  const gotShape = [...got.shape];
  if (gotShape.length !== want.shape.length || gotShape.some((s, d) => s !== want.shape[d])) {
    return [`${caseName}: ${what}: shape [${gotShape.join(",")}], want [${want.shape.join(",")}]`];
  }
  const values = Array.from(got.toArray(), Number);
  const expected = decode(want.values);
  const out: string[] = [];
  for (let k = 0; k < expected.length; k++) {
    if (!close(values[k]!, expected[k]!)) {
      out.push(`${caseName}: ${what}[${unravel(k, want.shape).join(",")}]: got ${values[k]}, want ${expected[k]} (|diff| ${Math.abs(values[k]! - expected[k]!)})`);
    }
  }
  return out;
}

function report(mismatches: readonly string[]): void {
  if (mismatches.length === 0) return;
  const shown = mismatches.slice(0, 20);
  const more = mismatches.length > shown.length ? `\n... and ${mismatches.length - shown.length} more` : "";
  throw new Error(`${mismatches.length} mismatch(es) against PyTorch ${golden.torch}:\n${shown.join("\n")}${more}`);
}

function runImpl(c: GoldenCase, xs: readonly Tensor[]): Tensor[] {
  const impl = IMPLS[c.name];
  if (!impl) throw new Error(`golden case '${c.name}' has no TS implementation in IMPLS`);
  const out = impl(...xs);
  return out instanceof Tensor ? [out] : [...out];
}

/** Output checks (count, dtype, values, differentiability); returns the mismatch lines. */
function checkOutputs(c: GoldenCase, outs: readonly Tensor[]): string[] {
  if (outs.length !== c.outputs.length) return [`${c.name}: ${outs.length} outputs, want ${c.outputs.length}`];
  return c.outputs.flatMap((want, k) => {
    const got = outs[k]!;
    if (got.dtype !== want.dtype) return [`${c.name}: output ${k} dtype ${got.dtype}, want ${want.dtype}`];
    const lines = compare(c.name, `output ${k}`, got, want);
    if (got.requiresGrad !== (want.dtype === "float64")) lines.push(`${c.name}: output ${k} requiresGrad ${got.requiresGrad}`);
    return lines;
  });
}

/** The differentiable outputs and their upstream gradients (null: implicit ones for 0-d). */
function upstream(c: GoldenCase, outs: readonly Tensor[]): { roots: Tensor[]; gradOutputs: (Tensor | null)[] } {
  const roots: Tensor[] = [];
  const gradOutputs: (Tensor | null)[] = [];
  c.outputs.forEach((o, k) => {
    if (o.dtype !== "float64") return;
    roots.push(outs[k]!);
    gradOutputs.push(o.gradOutput === null ? null : tensor(Float64Array.from(decode(o.gradOutput)), { shape: o.shape }));
  });
  return { roots, gradOutputs };
}

// ---------------------------------------------------------------- tests

describe(`autograd goldens (PyTorch ${golden.torch}, float64)`, () => {
  it("every golden case has a TS implementation and every implementation a golden case", () => {
    const names = golden.cases.map((c) => c.name);
    expect(names.filter((n) => !(n in IMPLS))).toEqual([]);
    expect(Object.keys(IMPLS).filter((n) => !names.includes(n))).toEqual([]);
    expect(new Set(names).size).toBe(names.length);
  });

  const gradCases = golden.cases.filter((c) => c.kind === "grad");
  const hvpCases = golden.cases.filter((c) => c.kind === "hvp");

  describe("outputs and gradients (autograd.grad)", () => {
    it.each(gradCases.map((c) => [c.name, c] as const))("%s", (_, c) => {
      const xs = buildInputs(c);
      const outs = runImpl(c, xs);
      const mismatches = checkOutputs(c, outs);
      const { roots, gradOutputs } = upstream(c, outs);
      const inputs = gradInputs(c, xs);
      const grads = autograd.grad(roots, inputs, { gradOutputs });
      c.grads.forEach((want, k) => mismatches.push(...compare(c.name, `grad ${want.input}`, grads[k] ?? null, want)));
      expect(grads.length).toBe(c.grads.length);
      report(mismatches);
    });
  });

  describe("gradients through backward() into .grad", () => {
    const single = gradCases.filter((c) => c.outputs.filter((o) => o.dtype === "float64").length === 1);
    it.each(single.map((c) => [c.name, c] as const))("%s", (_, c) => {
      const xs = buildInputs(c);
      const { roots, gradOutputs } = upstream(c, runImpl(c, xs));
      roots[0]!.backward(gradOutputs[0]);
      const inputs = gradInputs(c, xs);
      report(c.grads.flatMap((want, k) => compare(c.name, `.grad of ${want.input}`, inputs[k]?.grad ?? null, want)));
    });
  });

  describe("Hessian-vector products (autograd.grad with createGraph, twice)", () => {
    const hvp = (c: GoldenCase, xs: readonly Tensor[]) => {
      const [f] = runImpl(c, xs);
      const inputs = gradInputs(c, xs);
      const grads = autograd.grad([f!], inputs, { createGraph: true });
      const vs = c.v!.map((v) => tensor(Float64Array.from(decode(v.values)), { shape: v.shape }));
      let dot: Tensor | null = null;
      grads.forEach((g, k) => {
        const term = g!.mul(vs[k]!).sum();
        dot = dot === null ? term : dot.add(term);
      });
      return { f: f!, grads, hv: autograd.grad([dot!], inputs) };
    };

    it.each(hvpCases.map((c) => [c.name, c] as const))("%s", (_, c) => {
      const xs = buildInputs(c);
      const { f, grads, hv } = hvp(c, xs);
      const mismatches = checkOutputs(c, [f]);
      c.grads.forEach((want, k) => mismatches.push(...compare(c.name, `grad ${want.input}`, grads[k] ?? null, want)));
      c.hvp!.forEach((want, k) => mismatches.push(...compare(c.name, `hvp ${want.input}`, hv[k] ?? null, want)));
      report(mismatches);
    });

    it("hvp_cube matches the analytic H v = 6 x v", () => {
      const c = golden.cases.find((k) => k.name === "hvp_cube")!;
      const xs = buildInputs(c);
      const { hv } = hvp(c, xs);
      const x = decode(c.inputs[0]!.values);
      const v = decode(c.v![0]!.values);
      const analytic = x.map((xi, k) => 6 * xi * v[k]!);
      report(compare("hvp_cube (analytic)", "hvp x", hv[0] ?? null, { shape: c.inputs[0]!.shape, values: analytic }));
    });
  });
});
