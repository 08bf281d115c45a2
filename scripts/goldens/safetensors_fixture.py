"""safetensors fixtures written from PyTorch 1.13 modules, for typegrad's loader and modules.

Run: /usr/bin/python3 scripts/goldens/safetensors_fixture.py
(writes packages/nn/test/fixtures/*; same bytes on every run).

Debian's PyTorch 1.13 has no `safetensors` module, so `save_file` below writes the format by
hand, as `safetensors.torch.save_file` does: an 8-byte little-endian header length N, N bytes
of JSON header {"__metadata__": {"format": "pt"}, name: {"dtype", "shape", "data_offsets"}}
padded with spaces so the data starts 8-byte aligned, then each tensor's raw little-endian
bytes, back to back, in state-dict order.

Files, one set per module (seeded, float32, eval mode):
  mha.safetensors     nn.MultiheadAttention(embed_dim=8, num_heads=2, bias=True); its biases,
                      zero after PyTorch's init, are filled with seeded values so they matter
  mha.state.json      the same state dict as JSON: {name: {dtype, shape, values}}
  mha.expected.json   {module, input: query=key=value [L=3, N=2, E=8], attn_output [3,2,8],
                      attn_weights [2,3,3] (averaged over heads)}
  linear.safetensors, linear.state.json, linear.expected.json: nn.Linear(8, 4), input [5, 8]
  dtypes.safetensors, dtypes.state.json: one small tensor per safetensors dtype typegrad reads
                      (F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL, with F16/BF16 infinities, NaN
                      and subnormals); values are PyTorch's conversion to float64 / int
Values are JSON numbers (Python's repr of the float32 value: exact); bool as 0/1; non-finite
floats as the strings "nan", "inf", "-inf".
"""
import json
import math
import os
import struct

import torch

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "nn", "test", "fixtures")

CODES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
         torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
         torch.bool: "BOOL"}
NUMPY_LE = {torch.float64: "<f8", torch.float32: "<f4", torch.float16: "<f2", torch.int64: "<i8",
            torch.int32: "<i4", torch.int16: "<i2", torch.int8: "i1", torch.uint8: "u1", torch.bool: "u1"}


def raw_bytes(t):
    """The tensor's elements, row-major, as little-endian bytes."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: its bits are an int16
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype(NUMPY_LE[t.dtype]).tobytes()


def save_file(tensors, path, metadata=None):
    """A minimal safetensors.torch.save_file."""
    header, chunks, at = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = raw_bytes(t)
        header[name] = {"dtype": CODES[t.dtype], "shape": list(t.shape), "data_offsets": [at, at + len(b)]}
        chunks.append(b)
        at += len(b)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * ((8 - (8 + len(head)) % 8) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(head)))
        fh.write(head)
        for b in chunks:
            fh.write(b)


def number(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def entry(t):
    """{dtype, shape, values}: typegrad's dtype after loading, and the values, row-major."""
    t = t.detach()
    dtype = {torch.float64: "float64", torch.bool: "bool"}.get(
        t.dtype, "float32" if t.dtype.is_floating_point else "int32")
    wide = t.double() if t.dtype.is_floating_point else t.long()
    return {"dtype": dtype, "shape": list(t.shape), "values": [number(v) for v in wide.reshape(-1).tolist()]}


def write_json(path, doc):
    """One top-level key per line: small diffs, still compact."""
    lines = [f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'), allow_nan=False)}" for k, v in doc.items()]
    with open(path, "w") as fh:
        fh.write("{\n" + ",\n".join(lines) + "\n}\n")


def write_module(stem, module, expected):
    state = module.state_dict()
    save_file(state, os.path.join(OUT_DIR, f"{stem}.safetensors"), {"format": "pt"})
    write_json(os.path.join(OUT_DIR, f"{stem}.state.json"), {k: entry(v) for k, v in state.items()})
    write_json(os.path.join(OUT_DIR, f"{stem}.expected.json"),
               {"generator": "scripts/goldens/safetensors_fixture.py", "torch": torch.__version__, **expected})


def mha():
    torch.manual_seed(0)
    m = torch.nn.MultiheadAttention(embed_dim=8, num_heads=2, bias=True).eval()
    with torch.no_grad():
        m.in_proj_bias.uniform_(-0.5, 0.5)
        m.out_proj.bias.uniform_(-0.5, 0.5)
    x = torch.randn(3, 2, 8)  # [L, N, E]: batch_first=False
    with torch.no_grad():
        out, weights = m(x, x, x, need_weights=True, average_attn_weights=True)
    write_module("mha", m, {
        "module": {"type": "MultiheadAttention", "embed_dim": 8, "num_heads": 2, "bias": True, "batch_first": False},
        "call": "out, weights = m(x, x, x, need_weights=True, average_attn_weights=True)",
        "input": entry(x), "attn_output": entry(out), "attn_weights": entry(weights)})


def linear():
    torch.manual_seed(1)
    m = torch.nn.Linear(8, 4).eval()
    x = torch.randn(5, 8)
    with torch.no_grad():
        y = m(x)
    write_module("linear", m, {"module": {"type": "Linear", "in_features": 8, "out_features": 4, "bias": True},
                               "input": entry(x), "output": entry(y)})


def dtypes():
    torch.manual_seed(2)
    special = [0.0, -0.0, 1.0, -2.5, 65504.0, 6.103515625e-05, 5.960464477539063e-08, math.inf, -math.inf, math.nan]
    tensors = {
        "f64": torch.randn(2, 3, dtype=torch.float64),
        "f32": torch.randn(3, dtype=torch.float32),
        "f16": torch.tensor(special + [0.1, 3.14159], dtype=torch.float16).reshape(3, 4),
        "bf16": torch.tensor([0.0, -0.0, 1.0, -2.5, 3.0e38, 1.0e-40, math.inf, -math.inf, math.nan, 0.1, 3.14159, -1e-3],
                             dtype=torch.bfloat16).reshape(2, 2, 3),
        "i64": torch.tensor([[0, 1, -1], [2**31 - 1, -2**31, 12345]], dtype=torch.int64),
        "i32": torch.tensor([7, -7, 2**31 - 1, -2**31], dtype=torch.int32),
        "i16": torch.tensor([0, 32767, -32768, -1, 5], dtype=torch.int16),
        "i8": torch.tensor([0, 127, -128, -1], dtype=torch.int8),
        "u8": torch.tensor([0, 1, 128, 255], dtype=torch.uint8),
        "bool": torch.tensor([[True, False], [False, True]]),
        "scalar": torch.tensor(1.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }
    save_file(tensors, os.path.join(OUT_DIR, "dtypes.safetensors"), {"format": "pt", "note": "one tensor per dtype"})
    write_json(os.path.join(OUT_DIR, "dtypes.state.json"),
               {k: {**entry(v), "code": CODES[v.dtype]} for k, v in tensors.items()})


if __name__ == "__main__":
    os.makedirs(OUT_DIR, exist_ok=True)
    mha()
    linear()
    dtypes()
