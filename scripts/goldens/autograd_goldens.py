"""Golden values for @typegrad/autograd: outputs, input gradients and Hessian-vector products
computed by PyTorch 1.13 in float64.

Run: /usr/bin/python3 scripts/goldens/autograd_goldens.py
(writes packages/autograd/test/goldens/autograd.golden.json; same bytes on every run).

Each case has a name; packages/autograd/test/goldens.test.ts maps the name to the same
computation written with typegrad, and fails for a case it does not know. A case holds:
  inputs:  [{name, dtype, shape, values, requiresGrad}]   (int32 index tensors as ints, bool masks
           as true/false; PyTorch computes with int64 indices, typegrad with int32)
  outputs: [{dtype, shape, values, gradOutput}]            (gradOutput: the upstream gradient fed to
           backward for a differentiable non-0-d output, else null: 0-d outputs use implicit ones)
  grads:   [{input, shape, values}]                        (torch.autograd.grad of the differentiable
           outputs, with the gradOutputs, w.r.t. every input with requiresGrad)
HVP cases ("kind": "hvp") have one scalar output f and also
  v:       [{input, shape, values}]   and   hvp: [{input, shape, values}]
where hvp = grad(sum_i <grad(f, x_i, create_graph=True), v_i>, x).
Finite floats are JSON numbers (Python's repr: shortest exact round-trip); non-finite ones are
the strings "nan", "inf", "-inf".
"""
import json
import math
import os

import torch

from golden_io import write_cases
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
GEN = torch.Generator().manual_seed(20240601)
OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "autograd", "test",
                        "goldens", "autograd.golden.json")


# ---------------------------------------------------------------- inputs


def uniform(shape, lo=-1.0, hi=1.0, digits=4):
    """Seeded uniform float64 values in [lo, hi), rounded to `digits` decimals (short JSON)."""
    x = torch.rand(shape, generator=GEN, dtype=torch.float64) * (hi - lo) + lo
    return torch.round(x * 10 ** digits) / 10 ** digits


def away(shape, lo=0.5, hi=2.0):
    """Values with |x| in [lo, hi) and a random sign: away from the kinks at 0."""
    sign = torch.where(torch.rand(shape, generator=GEN) < 0.5, -1.0, 1.0)
    return uniform(shape, lo, hi) * sign


def randint(high, shape):
    return torch.randint(0, high, shape, generator=GEN, dtype=torch.int64)


def f64(values, shape=None):
    t = torch.tensor(values, dtype=torch.float64)
    return t.reshape(shape) if shape is not None else t


class Inp:
    """A named input; float inputs require grad unless `grad=False`."""

    def __init__(self, name, value, grad=None):
        self.name = name
        self.value = value
        self.grad = value.is_floating_point() if grad is None else grad


def inp(name, value, grad=None):
    return Inp(name, value, grad)


# ---------------------------------------------------------------- encoding


def num(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(v)


def dtype_name(t):
    return {torch.float64: "float64", torch.int64: "int32", torch.int32: "int32", torch.bool: "bool"}[t.dtype]


def enc(t):
    t = t.detach()
    return {"dtype": dtype_name(t), "shape": list(t.shape), "values": [num(v) for v in t.reshape(-1).tolist()]}


# ---------------------------------------------------------------- cases

CASES = []


def add_case(name, fn, inputs):
    """Records fn(*inputs): outputs, upstream gradients, and the gradients of every grad input."""
    assert name not in {c["name"] for c in CASES}, name
    leaves = [i.value.clone().requires_grad_(i.grad) for i in inputs]
    outs = fn(*leaves)
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    out_json, diff_outs, grad_outs = [], [], []
    for o in outs:
        entry = enc(o)
        entry["gradOutput"] = None
        if o.requires_grad:
            go = None if o.dim() == 0 else uniform(o.shape)
            diff_outs.append(o)
            grad_outs.append(go)
            entry["gradOutput"] = None if go is None else [num(v) for v in go.reshape(-1).tolist()]
        out_json.append(entry)
    grad_leaves = [leaf for leaf, i in zip(leaves, inputs) if i.grad]
    grads = torch.autograd.grad(diff_outs, grad_leaves, grad_outs) if grad_leaves else []
    grad_names = [i.name for i in inputs if i.grad]
    CASES.append({
        "name": name,
        "kind": "grad",
        "inputs": [dict(name=i.name, **enc(i.value), requiresGrad=i.grad) for i in inputs],
        "outputs": out_json,
        "grads": [dict(input=n, **strip(enc(g))) for n, g in zip(grad_names, grads)],
    })


def strip(e):
    return {"shape": e["shape"], "values": e["values"]}


def add_hvp(name, fn, inputs):
    """Records a scalar f, its gradients, and the HVP grad(sum <grad f, v>, x) for a random v."""
    assert name not in {c["name"] for c in CASES}, name
    leaves = [i.value.clone().requires_grad_(i.grad) for i in inputs]
    grad_leaves = [leaf for leaf, i in zip(leaves, inputs) if i.grad]
    grad_names = [i.name for i in inputs if i.grad]
    f = fn(*leaves)
    assert f.dim() == 0
    gs = torch.autograd.grad(f, grad_leaves, create_graph=True)
    vs = [uniform(x.shape) for x in grad_leaves]
    dot = sum((g * v).sum() for g, v in zip(gs, vs))
    hv = torch.autograd.grad(dot, grad_leaves)
    out = enc(f)
    out["gradOutput"] = None
    CASES.append({
        "name": name,
        "kind": "hvp",
        "inputs": [dict(name=i.name, **enc(i.value), requiresGrad=i.grad) for i in inputs],
        "outputs": [out],
        "grads": [dict(input=n, **strip(enc(g))) for n, g in zip(grad_names, gs)],
        "v": [dict(input=n, **strip(enc(v))) for n, v in zip(grad_names, vs)],
        "hvp": [dict(input=n, **strip(enc(h))) for n, h in zip(grad_names, hv)],
    })


# unary ops, each on a [2, 3] input inside the op's smooth domain
UNARY = [
    ("neg", lambda x: -x, uniform),
    ("abs", torch.abs, away),
    ("exp", torch.exp, uniform),
    ("log", torch.log, lambda s: uniform(s, 0.5, 2.0)),
    ("log1p", torch.log1p, lambda s: uniform(s, -0.5, 1.0)),
    ("sqrt", torch.sqrt, lambda s: uniform(s, 0.5, 2.0)),
    ("rsqrt", torch.rsqrt, lambda s: uniform(s, 0.5, 2.0)),
    ("sin", torch.sin, lambda s: uniform(s, -3.0, 3.0)),
    ("cos", torch.cos, lambda s: uniform(s, -3.0, 3.0)),
    ("tanh", torch.tanh, lambda s: uniform(s, -2.0, 2.0)),
    ("sigmoid", torch.sigmoid, lambda s: uniform(s, -3.0, 3.0)),
    ("relu", torch.relu, away),
    ("erf", torch.erf, lambda s: uniform(s, -2.0, 2.0)),
    ("reciprocal", torch.reciprocal, away),
    ("square", torch.square, uniform),
    ("gelu", F.gelu, lambda s: uniform(s, -3.0, 3.0)),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), lambda s: uniform(s, -3.0, 3.0)),
]
for name, fn, make in UNARY:
    add_case(f"unary_{name}", fn, [inp("x", make((2, 3)))])

# PyTorch's conventions at kinks and poles
add_case("kink_relu_abs_at_zero", lambda x: (torch.relu(x), torch.abs(x)),
         [inp("x", f64([-1.5, 0.0, 0.75, 0.0, 2.0, -0.25]))])
add_case("pole_log_sqrt_at_zero", lambda x, y: (torch.log(x), torch.sqrt(y)),
         [inp("x", f64([0.0, 1.0, 2.5])), inp("y", f64([4.0, 0.0, 0.25]))])
add_case("maximum_minimum_ties", lambda a, b: (torch.maximum(a, b), torch.minimum(a, b)),
         [inp("a", f64([1.0, 2.0, -3.0, 4.0, 0.5])), inp("b", f64([1.0, 0.0, -3.0, 5.0, 0.25]))])
add_case("clamp_at_bounds", lambda x: torch.clamp(x, -0.5, 0.5),
         [inp("x", f64([-1.0, -0.5, 0.0, 0.5, 0.75, 0.25]))])
add_case("amax_ties", lambda x: x.amax(1), [inp("x", f64([1.0, 3.0, 3.0, 0.0, 2.0, 2.0, 2.0, -1.0], (2, 4)))])
add_case("max_all_ties", lambda x: x.max(), [inp("x", f64([1.0, 4.0, -2.0, 4.0, 0.5, 4.0], (2, 3)))])

# binary ops with broadcasting and JS-number operands
add_case("add_broadcast", lambda a, b: a + b, [inp("a", uniform((2, 3))), inp("b", uniform((3,)))])
add_case("add_alpha", lambda a, b: torch.add(a, b, alpha=2.5), [inp("a", uniform((2, 1, 3))), inp("b", uniform((4, 1)))])
add_case("sub_broadcast", lambda a, b: a - b, [inp("a", uniform((2, 3, 1))), inp("b", uniform((1, 4)))])
add_case("sub_alpha", lambda a, b: torch.sub(a, b, alpha=-0.5), [inp("a", uniform((3,))), inp("b", uniform((2, 3)))])
add_case("mul_broadcast", lambda a, b: a * b, [inp("a", uniform((3, 1))), inp("b", uniform((1, 4)))])
add_case("div_broadcast", lambda a, b: a / b, [inp("a", uniform((2, 3))), inp("b", away((2, 1)))])
add_case("pow_tensor_tensor", lambda a, b: torch.pow(a, b),
         [inp("a", uniform((2, 3), 0.5, 2.0)), inp("b", uniform((3,), -1.5, 2.0))])
add_case("pow_scalar_exponent", lambda x: (x.pow(2.5), x.pow(-1.5), x.pow(3)), [inp("x", uniform((2, 3), 0.5, 2.0))])
add_case("scalar_operands", lambda x: ((x * 2.5 + 1) - 0.75) / 3, [inp("x", uniform((2, 3)))])
add_case("maximum_minimum_broadcast", lambda a, b: (torch.maximum(a, b), torch.minimum(a, b)),
         [inp("a", uniform((2, 3))), inp("b", uniform((3,)))])

# reductions
add_case("sum_all", lambda x: x.sum(), [inp("x", uniform((2, 3)))])
add_case("sum_dim_keepdim", lambda x: x.sum(1, keepdim=True), [inp("x", uniform((2, 3, 4)))])
add_case("sum_dims", lambda x: x.sum((0, 2)), [inp("x", uniform((2, 3, 4)))])
add_case("mean_all", lambda x: x.mean(), [inp("x", uniform((3, 4)))])
add_case("mean_last_dim", lambda x: x.mean(-1), [inp("x", uniform((2, 3, 4)))])
add_case("mean_dims_keepdim", lambda x: x.mean((0, 1), keepdim=True), [inp("x", uniform((2, 3, 4)))])
add_case("var_correction1_dim", lambda x: x.var(1, correction=1), [inp("x", uniform((3, 4)))])
add_case("var_correction0_dims_keepdim", lambda x: x.var((0, 2), correction=0, keepdim=True),
         [inp("x", uniform((2, 3, 4)))])
add_case("std_correction1_all", lambda x: x.std(None, correction=1), [inp("x", uniform((3, 4)))])
add_case("std_correction0_dim_keepdim", lambda x: x.std(0, correction=0, keepdim=True), [inp("x", uniform((3, 4)))])
add_case("logsumexp_dim", lambda x: x.logsumexp(1), [inp("x", uniform((3, 4), -3.0, 3.0))])
add_case("logsumexp_dims_keepdim", lambda x: x.logsumexp((0, 2), keepdim=True), [inp("x", uniform((2, 3, 4), -3.0, 3.0))])
add_case("softmax_last", lambda x: x.softmax(-1), [inp("x", uniform((2, 3, 4), -3.0, 3.0))])
add_case("softmax_dim0", lambda x: x.softmax(0), [inp("x", uniform((3, 4), -3.0, 3.0))])
add_case("log_softmax_dim1", lambda x: x.log_softmax(1), [inp("x", uniform((2, 3, 4), -3.0, 3.0))])
add_case("amax_dim", lambda x: x.amax(1), [inp("x", uniform((3, 4)))])
add_case("amin_dims_keepdim", lambda x: x.amin((0, 2), keepdim=True), [inp("x", uniform((2, 3, 4)))])
add_case("max_dim", lambda x: tuple(x.max(1)), [inp("x", uniform((3, 4)))])
add_case("min_dim_keepdim", lambda x: tuple(x.min(0, keepdim=True)), [inp("x", uniform((3, 4)))])
add_case("prod_all_one_zero", lambda x: x.prod(), [inp("x", f64([0.5, -1.25, 0.0, 2.0, 1.5, -0.75], (2, 3)))])
add_case("prod_dim_zeros", lambda x: x.prod(1, keepdim=True),
         [inp("x", f64([0.5, -1.5, 2.0, 0.75, 0.0, 1.25, -0.5, 2.0, 0.0, 3.0, 0.0, 1.5], (3, 4)))])

# matmul
add_case("matmul_vec_vec", torch.matmul, [inp("a", uniform((4,))), inp("b", uniform((4,)))])
add_case("matmul_mat_vec", torch.matmul, [inp("a", uniform((3, 4))), inp("b", uniform((4,)))])
add_case("matmul_vec_mat", torch.matmul, [inp("a", uniform((4,))), inp("b", uniform((4, 2)))])
add_case("matmul_mat_mat", torch.matmul, [inp("a", uniform((2, 3))), inp("b", uniform((3, 4)))])
add_case("matmul_batch_broadcast", torch.matmul, [inp("a", uniform((2, 1, 3, 4))), inp("b", uniform((3, 4, 2)))])
add_case("matmul_batch_mat", torch.matmul, [inp("a", uniform((2, 3, 4))), inp("b", uniform((4, 2)))])
add_case("matmul_vec_batch", torch.matmul, [inp("a", uniform((3,))), inp("b", uniform((2, 3, 2)))])
add_case("matmul_gram_transposed", lambda x: x.t() @ x, [inp("x", uniform((3, 2)))])

# movement
add_case("transpose_mul", lambda x, w: x.transpose(0, 2) * w, [inp("x", uniform((2, 3, 4))), inp("w", uniform((4, 3, 1)))])
add_case("permute_mul", lambda x, w: x.permute(2, 0, 1) * w, [inp("x", uniform((2, 3, 4))), inp("w", uniform((3,)))])
add_case("reshape_mul", lambda x, w: x.reshape(4, 6) * w, [inp("x", uniform((2, 3, 4))), inp("w", uniform((4, 1)))])
add_case("reshape_of_transposed", lambda x: x.t().reshape(-1) * torch.arange(12.0), [inp("x", uniform((3, 4)))])
add_case("expand_mul", lambda x, w: x.expand(2, 3, 4) * w, [inp("x", uniform((3, 1))), inp("w", uniform((2, 3, 4)))])
add_case("slice_step", lambda x: x[:, 1:6:2], [inp("x", uniform((3, 7)))])
add_case("slice_negative_start_step", lambda x: x[-3:, ::3], [inp("x", uniform((4, 5)))])
add_case("slice_of_slice", lambda x: x[1:, ::2][:, 1:] * 3.0, [inp("x", uniform((3, 6)))])
add_case("narrow", lambda x: x.narrow(0, 1, 2), [inp("x", uniform((4, 3)))])
add_case("select", lambda x: (x.select(1, 2), x.select(-1, -1)), [inp("x", uniform((2, 3, 4)))])
add_case("cat_dim1", lambda a, b, c: torch.cat([a, b, c], 1),
         [inp("a", uniform((2, 1))), inp("b", uniform((2, 3))), inp("c", uniform((2, 2)))])
add_case("cat_same_input", lambda a: torch.cat([a, a * 2, a], 0), [inp("a", uniform((2, 3)))])
add_case("stack_dim1", lambda a, b: torch.stack([a, b], 1), [inp("a", uniform((2, 3))), inp("b", uniform((2, 3)))])
add_case("squeeze_unsqueeze_flatten", lambda x: x.squeeze(1).t().unsqueeze(0).flatten() * torch.arange(1.0, 7.0),
         [inp("x", uniform((2, 1, 3)))])
add_case("split_chunk", lambda x: (*x.split([1, 3], 1), *x.chunk(2, 0)), [inp("x", uniform((4, 4)))])

# indexing
add_case("gather_dim1_repeated", lambda x, i: x.gather(1, i),
         [inp("x", uniform((3, 4))), inp("index", torch.tensor([[0, 0, 3], [2, 1, 2], [3, 3, 3]]))])
add_case("gather_dim0", lambda x, i: x.gather(0, i),
         [inp("x", uniform((3, 2))), inp("index", torch.tensor([[2, 0], [2, 2], [0, 1], [1, 1]]))])
add_case("scatter_add_dim1_repeated", lambda x, i, s: x.scatter_add(1, i, s),
         [inp("x", uniform((2, 4))), inp("index", torch.tensor([[0, 0, 3], [1, 2, 1]])), inp("src", uniform((2, 3)))])
add_case("scatter_add_dim0", lambda x, i, s: x.scatter_add(0, i, s),
         [inp("x", uniform((3, 2))), inp("index", torch.tensor([[2, 0], [2, 2]])), inp("src", uniform((2, 2)))])
add_case("index_select_dim0_repeated", lambda x, i: x.index_select(0, i),
         [inp("x", uniform((3, 2))), inp("index", torch.tensor([2, 0, 2, 1, 2]))])
add_case("index_select_dim1", lambda x, i: x.index_select(1, i),
         [inp("x", uniform((2, 4, 2))), inp("index", torch.tensor([3, 1, 1]))])

# selection
COND = torch.tensor([[True, False, True], [False, False, True]])
add_case("where_broadcast", lambda c, a, b: torch.where(c, a, b),
         [inp("cond", COND), inp("a", uniform((2, 3))), inp("b", uniform((3,)))])
add_case("where_scalar_other", lambda c, a: torch.where(c, a, torch.tensor(0.5)),
         [inp("cond", COND), inp("a", uniform((2, 3)))])
add_case("clamp_scalars", lambda x: torch.clamp(x, -0.4, 0.3), [inp("x", uniform((2, 4)))])
add_case("clamp_min_only", lambda x: torch.clamp(x, min=0.1), [inp("x", uniform((2, 4)))])
add_case("clamp_tensor_bounds", lambda x, lo, hi: torch.clamp(x, lo, hi),
         [inp("x", uniform((2, 4))), inp("lo", f64([-0.5, -0.1, 0.2, 0.6])), inp("hi", f64([[0.5], [0.0]]))])
add_case("masked_fill_broadcast", lambda x, m: x.masked_fill(m, -2.0),
         [inp("x", uniform((2, 3))), inp("mask", torch.tensor([False, True, True]))])
add_case("tril_triu", lambda x: (x.tril(), x.triu(1), x.tril(-1)), [inp("x", uniform((3, 4)))])
add_case("triu_batch", lambda x: x.triu(), [inp("x", uniform((2, 3, 3)))])

# compositions


def mlp(x, w, b):
    return torch.tanh(x @ w + b).pow(2).mean()


def layer_norm(x, g, b):
    mu = x.mean(-1, keepdim=True)
    var = x.var(-1, correction=0, keepdim=True)
    return (x - mu) / torch.sqrt(var + 1e-5) * g + b


def attention(q, k, v):
    return torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), -1) @ v


def attention_causal(q, k, v, mask):
    scores = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).masked_fill(mask, -math.inf)
    return torch.softmax(scores, -1) @ v


def mlp_cross_entropy(x, w1, b1, w2, b2, t):
    logits = torch.relu(x @ w1 + b1) @ w2 + b2
    return -logits.log_softmax(1).gather(1, t.unsqueeze(1)).mean()


add_case("mlp_tanh_pow_mean", mlp, [inp("x", uniform((4, 3))), inp("w", uniform((3, 5))), inp("b", uniform((5,)))])
add_case("layer_norm_by_hand", layer_norm, [inp("x", uniform((3, 5), -2.0, 2.0)), inp("g", uniform((5,))), inp("b", uniform((5,)))])
add_case("attention_scores", attention, [inp("q", uniform((2, 3, 4))), inp("k", uniform((2, 3, 4))), inp("v", uniform((2, 3, 4)))])
add_case("attention_causal_mask", attention_causal,
         [inp("q", uniform((3, 2))), inp("k", uniform((3, 2))), inp("v", uniform((3, 2))),
          inp("mask", torch.ones(3, 3, dtype=torch.bool).triu(1))])
add_case("mlp_cross_entropy", mlp_cross_entropy,
         [inp("x", uniform((4, 3))), inp("w1", uniform((3, 5))), inp("b1", uniform((5,))), inp("w2", uniform((5, 3))),
          inp("b2", uniform((3,))), inp("target", torch.tensor([2, 0, 1, 2]))])
add_case("shared_input_accumulation", lambda x: x * x + torch.exp(x) * torch.sin(x) - x / (1 + x * x),
         [inp("x", uniform((2, 3)))])
add_case("broadcast_chain", lambda a, b, c: (torch.sigmoid(a * b + c) * a).sum(0),
         [inp("a", uniform((3, 1))), inp("b", uniform((1, 4))), inp("c", uniform((4,)))])
add_case("constant_input", lambda x, c: (x * c).exp().sum(1), [inp("x", uniform((2, 3))), inp("c", uniform((2, 3)), grad=False)])

# Hessian-vector products
add_hvp("hvp_tanh_matmul_sq", lambda x, w: torch.tanh(x @ w).pow(2).sum(),
        [inp("x", uniform((2, 3))), inp("w", uniform((3, 4)), grad=False)])
add_hvp("hvp_logsumexp_quadratic", lambda x, a: ((x @ a) * x).logsumexp(0),
        [inp("x", uniform((4,))), inp("a", uniform((4, 4)), grad=False)])
add_hvp("hvp_x_y_sin", lambda x, y: (x * y * torch.sin(x)).sum(), [inp("x", uniform((2, 3))), inp("y", uniform((2, 3)))])
add_hvp("hvp_cube", lambda x: x.pow(3).sum(), [inp("x", uniform((2, 3)))])
add_hvp("hvp_softmax_logsoftmax", lambda x, c: (x.softmax(-1) * c).sum() + (x.log_softmax(0) * c).sum(),
        [inp("x", uniform((2, 3), -2.0, 2.0)), inp("c", uniform((2, 3)), grad=False)])
add_hvp("hvp_layer_norm", lambda x, g, b: layer_norm(x, g, b).pow(2).mul(torch.arange(1.0, 5.0)).sum(),
        [inp("x", uniform((2, 4))), inp("g", uniform((4,))), inp("b", uniform((4,)))])
add_hvp("hvp_mlp", mlp, [inp("x", uniform((3, 2))), inp("w", uniform((2, 3))), inp("b", uniform((3,)))])

write_cases(OUT_PATH, "scripts/goldens/autograd_goldens.py", CASES)
