"""Golden values for @typegrad/nn: modules and functional ops computed by PyTorch 1.13 in float64.

Run: /usr/bin/python3 scripts/goldens/nn_goldens.py
(writes packages/nn/test/goldens/nn.golden.json; same bytes on every run).

Each case is rebuilt by packages/nn/test/goldens.test.ts from its own description:
  name, kind:  "mha" | "layer_norm" | "embedding" | "linear" | "encoder" | "cross_entropy" |
               "nll_loss" | "mse_loss" | "sdpa"
  config:      constructor options, typegrad's camelCase names (modules only)
  call:        forward / function options, camelCase (masks are inputs, not options);
               for "mha", `alias` is "qkv" (query = key = value: one tensor, self-attention),
               "kv" (key = value: one tensor) or null
  state:       {pytorch_name: {shape, values}}: the module's parameters, loaded by name
  inputs:      {name: {dtype, shape, values, requiresGrad}}   (int64 indices stored as int32)
  outputs:     {name: {shape, values, gradOutput} | null}     (gradOutput: the fixed upstream
               gradient fed to backward, or null for an output that gets none; an output that
               PyTorch returns as None, like MHA weights with need_weights=False, is null)
  inputGrads:  {input name: {shape, values}}   for every input with requiresGrad
  paramGrads:  {pytorch_name: {shape, values} | null}   for every parameter (null: no gradient)
Modules run in eval() with dropout 0. Where PyTorch 1.13 lacks a feature the golden comes from
a written-out formula: scaled_dot_product_attention is PyTorch 2's documented reference
(`sdpa_reference` below); typegrad's MultiHeadAttention `isCausal: true` is compared with
PyTorch's explicit `triu(ones(L, S), 1)` bool mask.
Inputs and parameters are seeded uniforms rounded to 4 decimals (exact in JSON). Results are
rounded to 12 significant digits (|rounding| <= 5e-13 relative, far inside the tests'
1e-10 + 1e-8 |want|). Non-finite values are the strings "nan", "inf", "-inf".
"""
import json
import math
import os
import zlib

import torch

from golden_io import write_cases
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "nn", "test",
                        "goldens", "nn.golden.json")
GEN = torch.Generator()

# Shapes: batch N, query length L, key length S, embedding E, heads H (E = 6 rather than 8 keeps the
# JSON under 400 KB; H = 3 != N makes a batch/head mix-up in the [N * H] order a shape error or a
# value mismatch, never a silent match).
N, L, S, E, H = 2, 3, 4, 6, 3


# ---------------------------------------------------------------- inputs


def uniform(shape, lo=-1.0, hi=1.0):
    """Seeded uniform float64 values in [lo, hi), rounded to 4 decimals (short, exact JSON)."""
    x = torch.rand(shape, generator=GEN, dtype=torch.float64) * (hi - lo) + lo
    return torch.round(x * 1e4) / 1e4


def randint(low, high, shape):
    return torch.randint(low, high, shape, generator=GEN, dtype=torch.int64)


def bool_mask(shape, p=0.35, keep_first=False):
    """A random bool mask (True = blocked) that leaves at least one False per row of the last dim:
    column 0 when `keep_first` (so a key padding mask that never pads key 0 can be added), else a
    random column."""
    m = torch.rand(shape, generator=GEN) < p
    rows = m.reshape(-1, shape[-1])
    for r in range(rows.shape[0]):
        rows[r, 0 if keep_first else int(randint(0, shape[-1], ()).item())] = False
    return rows.reshape(shape)


# Key padding (True = padding): batch element 0 pads nothing, element 1 its last two keys.
def padding_mask(n, s):
    m = torch.zeros(n, s, dtype=torch.bool)
    if n > 1:
        m[1, s - 2:] = True
    return m


# ---------------------------------------------------------------- encoding


def num(v):
    if isinstance(v, bool) or isinstance(v, int):
        return v
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float("%.12g" % v)


def dtype_name(t):
    return {torch.float64: "float64", torch.int64: "int32", torch.int32: "int32", torch.bool: "bool"}[t.dtype]


def values(t):
    return [num(v) for v in t.detach().reshape(-1).tolist()]


def enc(t):
    return {"shape": list(t.shape), "values": values(t)}


def enc_input(t, grad):
    return {"dtype": dtype_name(t), "shape": list(t.shape), "values": values(t), "requiresGrad": grad}


# ---------------------------------------------------------------- cases

CASES = []


def seed(name):
    GEN.manual_seed(zlib.crc32(name.encode()))


def record(name, kind, config, call, module, inputs, run, grad_outputs=None):
    """Runs `run(**leaves)` -> {output name: tensor | None}, feeds each output a seeded upstream
    gradient (unless grad_outputs[name] is False), and records the gradients of every grad input
    and every module parameter."""
    assert name not in {c["name"] for c in CASES}, name
    grad_outputs = grad_outputs or {}
    leaves = {k: (v.clone().requires_grad_(g)) for k, (v, g) in inputs.items()}
    outs = run(**leaves)
    out_json, diff, gos = {}, [], []
    for k, o in outs.items():
        if o is None:
            out_json[k] = None
            continue
        entry = enc(o)
        entry["gradOutput"] = None
        if grad_outputs.get(k, True):
            go = uniform(o.shape)
            diff.append(o)
            gos.append(go)
            entry["gradOutput"] = values(go)
        out_json[k] = entry
    params = list(module.named_parameters()) if module is not None else []
    grad_leaves = [leaves[k] for k, (_, g) in inputs.items() if g]
    targets = grad_leaves + [p for _, p in params]
    grads = torch.autograd.grad(diff, targets, gos, allow_unused=True) if targets else []
    input_grads = {k: enc(gr) for k, gr in zip([k for k, (_, g) in inputs.items() if g], grads)}
    param_grads = {n: (None if gr is None else enc(gr)) for (n, _), gr in zip(params, grads[len(grad_leaves):])}
    CASES.append({
        "name": name,
        "kind": kind,
        "config": config,
        "call": call,
        "state": {n: enc(p) for n, p in params},
        "inputs": {k: enc_input(v, g) for k, (v, g) in inputs.items()},
        "outputs": out_json,
        "inputGrads": input_grads,
        "paramGrads": param_grads,
    })


def randomize(module):
    """Seeded values for every parameter (biases included: PyTorch's zero init would hide bugs)."""
    with torch.no_grad():
        for _, p in module.named_parameters():
            p.copy_(uniform(p.shape))
    return module


# ---------------------------------------------------------------- MultiheadAttention


def mha_case(name, *, bias=True, add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False,
             alias=None, l=L, s=S, batched=True, attn_mask=None, key_padding_mask=None, causal=False,
             need_weights=True, average=True, weights_grad=False):
    """attn_mask / key_padding_mask: a function () -> tensor (run after seeding)."""
    seed(name)
    mha = nn.MultiheadAttention(E, H, dropout=0.0, bias=bias, add_bias_kv=add_bias_kv, add_zero_attn=add_zero_attn,
                                kdim=kdim, vdim=vdim, batch_first=batch_first, dtype=torch.float64)
    randomize(mha).eval()
    if alias == "qkv":
        s = l

    def shape(length, dim):
        if not batched:
            return (length, dim)
        return (N, length, dim) if batch_first else (length, N, dim)

    inputs = {"query": (uniform(shape(l, E)), True)}
    if alias != "qkv":
        inputs["key"] = (uniform(shape(s, kdim or E)), True)
    if alias is None:
        inputs["value"] = (uniform(shape(s, vdim or E)), True)
    mask = attn_mask() if attn_mask else None
    if causal:
        assert mask is None
        mask = torch.triu(torch.ones(l, s, dtype=torch.bool), 1)  # what typegrad's isCausal builds
    elif mask is not None:
        inputs["attnMask"] = (mask, False)
    kpm = key_padding_mask() if key_padding_mask else None
    if kpm is not None:
        inputs["keyPaddingMask"] = (kpm, False)

    def run(query, key=None, value=None, attnMask=None, keyPaddingMask=None):
        k = query if alias == "qkv" else key
        v = query if alias == "qkv" else key if alias == "kv" else value
        out, w = mha(query, k, v, key_padding_mask=keyPaddingMask, need_weights=need_weights,
                     attn_mask=mask if causal else attnMask, average_attn_weights=average)
        return {"output": out, "weights": w}

    config = {"embedDim": E, "numHeads": H, "dropout": 0.0, "bias": bias, "addBiasKv": add_bias_kv,
              "addZeroAttn": add_zero_attn, "kdim": kdim, "vdim": vdim, "batchFirst": batch_first}
    call = {"alias": alias, "needWeights": need_weights, "averageAttnWeights": average, "isCausal": causal}
    record(name, "mha", config, call, mha, inputs, run, {"weights": weights_grad})


def float_mask(shape):
    m = uniform(shape, -2.0, 2.0)
    m.reshape(-1)[1] = -math.inf  # one blocked entry (its row keeps finite ones)
    return m


mha_case("mha_no_mask")
mha_case("mha_attn_mask_bool_2d", attn_mask=lambda: bool_mask((L, S)))
mha_case("mha_attn_mask_float_2d", attn_mask=lambda: float_mask((L, S)))
mha_case("mha_attn_mask_bool_3d", attn_mask=lambda: bool_mask((N * H, L, S)))
mha_case("mha_attn_mask_float_3d", attn_mask=lambda: float_mask((N * H, L, S)))
mha_case("mha_key_padding_mask", key_padding_mask=lambda: padding_mask(N, S))
mha_case("mha_key_padding_mask_float", key_padding_mask=lambda: float_mask((N, S)))
mha_case("mha_key_padding_and_attn_mask_bool", attn_mask=lambda: bool_mask((L, S), keep_first=True),
         key_padding_mask=lambda: padding_mask(N, S))
mha_case("mha_key_padding_and_attn_mask_bool_3d", attn_mask=lambda: bool_mask((N * H, L, S), keep_first=True),
         key_padding_mask=lambda: padding_mask(N, S))
mha_case("mha_causal_self", alias="qkv", causal=True)
mha_case("mha_causal_batch_first", batch_first=True, l=4, s=4, causal=True)
mha_case("mha_weights_averaged_with_grad", weights_grad=True, average=True)
mha_case("mha_weights_per_head_with_grad", weights_grad=True, average=False,
         attn_mask=lambda: bool_mask((L, S)))
mha_case("mha_need_weights_false", need_weights=False, key_padding_mask=lambda: padding_mask(N, S))
mha_case("mha_self_attention", alias="qkv")
mha_case("mha_self_attention_batch_first", alias="qkv", batch_first=True, weights_grad=True)
mha_case("mha_shared_key_value", alias="kv")
mha_case("mha_cross_attention_batch_first", batch_first=True, l=2, s=5)
mha_case("mha_kdim_vdim", kdim=5, vdim=4)
mha_case("mha_kdim_vdim_batch_first_masks", kdim=5, vdim=4, batch_first=True,
         attn_mask=lambda: bool_mask((L, S), keep_first=True), key_padding_mask=lambda: padding_mask(N, S))
mha_case("mha_add_bias_kv", add_bias_kv=True, key_padding_mask=lambda: padding_mask(N, S),
         attn_mask=lambda: bool_mask((L, S), keep_first=True))
mha_case("mha_add_zero_attn", add_zero_attn=True, attn_mask=lambda: float_mask((L, S)))
mha_case("mha_add_bias_kv_zero_attn", add_bias_kv=True, add_zero_attn=True,
         key_padding_mask=lambda: padding_mask(N, S))
mha_case("mha_no_bias", bias=False)
mha_case("mha_no_bias_add_bias_kv", bias=False, add_bias_kv=True)
mha_case("mha_unbatched", batched=False, attn_mask=lambda: bool_mask((L, S)),
         key_padding_mask=lambda: torch.tensor([False, False, False, True]), weights_grad=True)
mha_case("mha_unbatched_mask_3d_float", batched=False, attn_mask=lambda: float_mask((H, L, S)))
mha_case("mha_unbatched_self_per_head", batched=False, alias="qkv", average=False, weights_grad=True)


# ---------------------------------------------------------------- LayerNorm, Embedding, Linear


def layer_norm_case(name, normalized_shape, x_shape, affine=True, eps=1e-5):
    seed(name)
    ln = randomize(nn.LayerNorm(normalized_shape, eps=eps, elementwise_affine=affine, dtype=torch.float64))
    record(name, "layer_norm", {"normalizedShape": list(normalized_shape), "eps": eps, "elementwiseAffine": affine},
           {}, ln, {"input": (uniform(x_shape, -2.0, 2.0), True)}, lambda input: {"output": ln(input)})


layer_norm_case("layer_norm_1d", [E], (N, L, E))
layer_norm_case("layer_norm_2d", [3, 4], (2, 3, 4))
layer_norm_case("layer_norm_1d_no_affine", [5], (3, 5), affine=False)
layer_norm_case("layer_norm_2d_no_affine_eps", [2, 5], (3, 2, 5), affine=False, eps=1e-3)


def embedding_case(name, num, dim, indices, padding_idx=None):
    seed(name)
    emb = randomize(nn.Embedding(num, dim, padding_idx=padding_idx, dtype=torch.float64))  # padding row nonzero too
    record(name, "embedding", {"numEmbeddings": num, "embeddingDim": dim, "paddingIdx": padding_idx}, {}, emb,
           {"indices": (torch.tensor(indices, dtype=torch.int64), False)}, lambda indices: {"output": emb(indices)})


embedding_case("embedding_repeated", 6, 4, [[1, 3, 1], [5, 1, 0]])
embedding_case("embedding_padding_idx", 6, 4, [[2, 0, 2, 4], [0, 0, 5, 2]], padding_idx=0)
embedding_case("embedding_negative_padding_idx", 5, 3, [4, 1, 4, 3, 1], padding_idx=-1)


def linear_case(name, fin, fout, x_shape, bias=True):
    seed(name)
    lin = randomize(nn.Linear(fin, fout, bias=bias, dtype=torch.float64))
    record(name, "linear", {"inFeatures": fin, "outFeatures": fout, "bias": bias}, {}, lin,
           {"input": (uniform(x_shape), True)}, lambda input: {"output": lin(input)})


linear_case("linear_2d", 5, 3, (4, 5))
linear_case("linear_3d_no_bias", 4, 6, (2, 3, 4), bias=False)


# ---------------------------------------------------------------- TransformerEncoderLayer


def encoder_case(name, norm_first, activation):
    seed(name)
    layer = nn.TransformerEncoderLayer(E, H, dim_feedforward=16, dropout=0.0, activation=activation,
                                       layer_norm_eps=1e-5, batch_first=True, norm_first=norm_first,
                                       dtype=torch.float64)
    randomize(layer).eval()
    config = {"dModel": E, "nhead": H, "dimFeedforward": 16, "dropout": 0.0, "activation": activation,
              "layerNormEps": 1e-5, "batchFirst": True, "normFirst": norm_first}
    inputs = {"src": (uniform((N, S, E), -2.0, 2.0), True), "srcKeyPaddingMask": (padding_mask(N, S), False)}
    record(name, "encoder", config, {}, layer, inputs,
           lambda src, srcKeyPaddingMask: {"output": layer(src, src_key_padding_mask=srcKeyPaddingMask)})


encoder_case("encoder_post_norm_relu", False, "relu")
encoder_case("encoder_post_norm_gelu", False, "gelu")
encoder_case("encoder_pre_norm_relu", True, "relu")
encoder_case("encoder_pre_norm_gelu", True, "gelu")


# ---------------------------------------------------------------- losses


def class_targets(shape, classes, ignore=None, ignored=()):
    t = randint(0, classes, shape)
    for i in ignored:
        t.reshape(-1)[i] = ignore
    return t


def ce_case(name, input_shape, *, reduction="mean", weight=False, ignore_index=-100, ignored=(), smoothing=0.0,
            prob=False):
    seed(name)
    classes = input_shape[1] if len(input_shape) > 1 else input_shape[0]
    x = uniform(input_shape, -3.0, 3.0)
    target_shape = input_shape[:1] + input_shape[2:] if len(input_shape) > 1 else ()
    if prob:
        target = torch.softmax(uniform(input_shape, -2.0, 2.0), 1 if len(input_shape) > 1 else 0)
        target = torch.round(target * 1e4) / 1e4
    else:
        target = class_targets(target_shape, classes, ignore_index, ignored)
    inputs = {"input": (x, True), "target": (target, prob)}
    if weight:
        inputs["weight"] = (uniform((classes,), 0.2, 2.0), False)
    call = {"reduction": reduction, "ignoreIndex": ignore_index, "labelSmoothing": smoothing}

    def run(input, target, weight=None):
        return {"output": F.cross_entropy(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction,
                                          label_smoothing=smoothing)}

    record(name, "cross_entropy", {}, call, None, inputs, run)


ce_case("ce_2d_mean", (4, 5))
ce_case("ce_2d_sum", (4, 5), reduction="sum")
ce_case("ce_2d_none", (4, 5), reduction="none")
ce_case("ce_unbatched", (5,))
ce_case("ce_nd_mean", (2, 4, 2, 3))
ce_case("ce_nd_sum", (2, 4, 2, 3), reduction="sum")
ce_case("ce_nd_none", (2, 4, 2, 3), reduction="none")
ce_case("ce_weight_mean", (4, 5), weight=True)
ce_case("ce_weight_sum", (4, 5), weight=True, reduction="sum")
ce_case("ce_weight_none", (4, 5), weight=True, reduction="none")
ce_case("ce_ignore_mean", (5, 4), ignored=(1, 3))
ce_case("ce_ignore_none", (5, 4), ignored=(0, 4), reduction="none")
ce_case("ce_ignore_custom_index_weight_mean", (5, 4), weight=True, ignore_index=2, ignored=(1, 2))
ce_case("ce_nd_ignore_weight_mean", (2, 4, 2, 3), weight=True, ignored=(0, 5, 7))
ce_case("ce_smoothing_mean", (4, 5), smoothing=0.1)
ce_case("ce_smoothing_sum", (4, 5), smoothing=0.1, reduction="sum")
ce_case("ce_smoothing_none", (4, 5), smoothing=0.1, reduction="none")
ce_case("ce_smoothing_weight_mean", (4, 5), smoothing=0.1, weight=True)
ce_case("ce_smoothing_weight_none", (4, 5), smoothing=0.1, weight=True, reduction="none")
ce_case("ce_smoothing_ignore_mean", (5, 4), smoothing=0.1, ignored=(1, 3))
ce_case("ce_smoothing_weight_ignore_mean", (5, 4), smoothing=0.1, weight=True, ignored=(0, 2))
ce_case("ce_smoothing_weight_ignore_sum", (5, 4), smoothing=0.1, weight=True, ignored=(0, 2), reduction="sum")
ce_case("ce_smoothing_nd_weight_ignore_mean", (2, 4, 2, 3), smoothing=0.1, weight=True, ignored=(1, 6))
ce_case("ce_prob_mean", (4, 5), prob=True)
ce_case("ce_prob_none", (4, 5), prob=True, reduction="none")
ce_case("ce_prob_smoothing_mean", (4, 5), prob=True, smoothing=0.1)
ce_case("ce_prob_weight_mean", (4, 5), prob=True, weight=True)
ce_case("ce_prob_weight_smoothing_sum", (4, 5), prob=True, weight=True, smoothing=0.1, reduction="sum")
ce_case("ce_prob_nd_weight_smoothing_mean", (2, 4, 2, 3), prob=True, weight=True, smoothing=0.1)


def nll_case(name, input_shape, *, reduction="mean", weight=False, ignore_index=-100, ignored=()):
    seed(name)
    classes = input_shape[1]
    logp = torch.log_softmax(uniform(input_shape, -3.0, 3.0), 1)
    inputs = {"input": (logp, True), "target": (class_targets(input_shape[:1] + input_shape[2:], classes,
                                                               ignore_index, ignored), False)}
    if weight:
        inputs["weight"] = (uniform((classes,), 0.2, 2.0), False)
    call = {"reduction": reduction, "ignoreIndex": ignore_index}
    record(name, "nll_loss", {}, call, None, inputs, lambda input, target, weight=None: {
        "output": F.nll_loss(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction)})


nll_case("nll_mean", (4, 5))
nll_case("nll_sum", (4, 5), reduction="sum")
nll_case("nll_weight_ignore_mean", (5, 4), weight=True, ignored=(2,))
nll_case("nll_nd_weight_none", (2, 3, 4), weight=True, reduction="none")


def mse_case(name, reduction):
    seed(name)
    inputs = {"input": (uniform((3, 4)), True), "target": (uniform((3, 4)), True)}
    record(name, "mse_loss", {}, {"reduction": reduction}, None, inputs,
           lambda input, target: {"output": F.mse_loss(input, target, reduction=reduction)})


for red in ("mean", "sum", "none"):
    mse_case("mse_" + red, red)


# ---------------------------------------------------------------- scaled dot-product attention


def sdpa_reference(query, key, value, attn_mask=None, is_causal=False, scale=None):
    """PyTorch 2's documented reference for F.scaled_dot_product_attention (dropout 0)."""
    l, s = query.size(-2), key.size(-2)
    scale_factor = 1 / math.sqrt(query.size(-1)) if scale is None else scale
    attn_bias = torch.zeros(l, s, dtype=query.dtype)
    if is_causal:
        assert attn_mask is None
        temp_mask = torch.ones(l, s, dtype=torch.bool).tril(diagonal=0)
        attn_bias.masked_fill_(temp_mask.logical_not(), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            attn_bias = attn_bias.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            attn_bias = attn_mask + attn_bias
    attn_weight = query @ key.transpose(-2, -1) * scale_factor
    attn_weight = attn_weight + attn_bias
    attn_weight = torch.softmax(attn_weight, dim=-1)
    return attn_weight @ value


SDPA_H = 2  # SDPA inputs are [N, SDPA_H, L, E]


def sdpa_case(name, *, l=L, s=S, e=4, ev=4, mask=None, is_causal=False, scale=None):
    seed(name)
    inputs = {"query": (uniform((N, SDPA_H, l, e), -2.0, 2.0), True),
              "key": (uniform((N, SDPA_H, s, e), -2.0, 2.0), True),
              "value": (uniform((N, SDPA_H, s, ev)), True)}
    if mask is not None:
        inputs["attnMask"] = (mask(), False)
    record(name, "sdpa", {}, {"isCausal": is_causal, "scale": scale}, None, inputs,
           lambda query, key, value, attnMask=None: {
               "output": sdpa_reference(query, key, value, attn_mask=attnMask, is_causal=is_causal, scale=scale)})


def attend_mask(shape):
    """SDPA convention (True = attend): the negation of a blocking mask with a free column per row."""
    return bool_mask(shape).logical_not()


sdpa_case("sdpa_no_mask", ev=5)
sdpa_case("sdpa_bool_mask_2d", mask=lambda: attend_mask((L, S)))
sdpa_case("sdpa_bool_mask_4d", mask=lambda: attend_mask((N, SDPA_H, L, S)))
sdpa_case("sdpa_float_mask_broadcast", mask=lambda: float_mask((N, 1, L, S)))
sdpa_case("sdpa_causal_l_lt_s", l=3, s=5, is_causal=True)
sdpa_case("sdpa_causal_l_gt_s", l=5, s=3, is_causal=True)
sdpa_case("sdpa_custom_scale", scale=0.3)
sdpa_case("sdpa_causal_custom_scale", l=4, s=4, is_causal=True, scale=1.7)


write_cases(OUT_PATH, "scripts/goldens/nn_goldens.py", CASES)
