"""Golden cases for packages/tensor/src/format.ts, printed by PyTorch 1.13.

Run: /usr/bin/python3 scripts/goldens/format_goldens.py > packages/tensor/src/format.golden.json

Each case is {"shape", "dtype", "data", "expected"[, "options"]}. typegrad's int32 plays the
role of PyTorch's default int64, so int32 cases are printed from an int64 tensor (same values)
and their dtype suffix, which PyTorch shows only for empty tensors, reads "dtype=int32". Dtype
suffixes are rewritten *before* PyTorch wraps them, so the line-width check sees the short form.
"""
import json
import math

import torch
import torch._tensor_str as ts

_orig_add_suffixes = ts._add_suffixes
_RENAME = {"dtype=torch.float64": "dtype=float64", "dtype=torch.int64": "dtype=int32",
           "dtype=torch.bool": "dtype=bool"}


def _add_suffixes(tensor_str, suffixes, indent, force_newline):
    for s in suffixes:
        assert not s.startswith("dtype=") or s in _RENAME, s
    return _orig_add_suffixes(tensor_str, [_RENAME.get(s, s) for s in suffixes], indent, force_newline)


ts._add_suffixes = _add_suffixes

TORCH_DTYPE = {"float32": torch.float32, "float64": torch.float64, "int32": torch.int64, "bool": torch.bool}
OPTION_NAMES = {"threshold": "threshold", "edgeItems": "edgeitems", "lineWidth": "linewidth",
                "precision": "precision"}
cases = []


def encode(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def add(t, dtype=None, options=None):
    """Records a case from a tensor (or nested list), converted to dtype."""
    dtype = dtype or ("float32" if not torch.is_tensor(t) else
                      {torch.float32: "float32", torch.float64: "float64", torch.int32: "int32",
                       torch.int64: "int32", torch.bool: "bool"}[t.dtype])
    t = torch.as_tensor(t).to(TORCH_DTYPE[dtype]) if torch.is_tensor(t) else torch.tensor(t, dtype=TORCH_DTYPE[dtype])
    if dtype == "int32":
        assert t.numel() == 0 or (t.min() >= -2**31 and t.max() < 2**31)
    if options:
        torch.set_printoptions(**{OPTION_NAMES[k]: v for k, v in options.items()})
    try:
        expected = str(t)
    finally:
        torch.set_printoptions(profile="default")
    case = {"shape": list(t.shape), "dtype": dtype, "data": [encode(v) for v in t.reshape(-1).tolist()],
            "expected": expected}
    if options:
        case["options"] = options
    cases.append(case)


nan, inf = float("nan"), float("inf")
torch.manual_seed(0)

# 0-d
for v, dt in [(1.5, "float32"), (-2.0, "float32"), (0.0, "float32"), (-0.0, "float32"), (1e-5, "float32"),
              (3.0, "float64"), (nan, "float32"), (-inf, "float64"), (7, "int32"), (-12, "int32"),
              (True, "bool"), (False, "bool"), (123456789.0, "float32"), (0.1, "float64")]:
    add(v, dt)
# empty
for shape in [(0,), (0, 3), (3, 0), (2, 0, 4), (0, 0)]:
    for dt in ["float32", "float64", "int32", "bool"]:
        add(torch.zeros(shape), dt)
# 1-d short, mixed, signs, integer-valued
add([1.0, 2.0, 3.0])
add([1.0, 2.0, 3.0], "float64")
add([-1.0, 2.0, -30.0])
add([0.5, -1.25, 3.0])
add([1.0, -2.5, 100.125, -0.0001])
add([0.0, -0.0])
add([-0.0, 1.5, -2.25])
add([-0.0, 1.0, 2.0])
add([0.0, 0.0, 0.0])
add([1e-5, 2e-5, 3e-6])
add([1e-5, 1.0])
add([1e9, 1.0])
add([1e9, 2e9])
add([1.0, 1001.0])
add([1.0, 1000.0])
add([0.5, 600.0])
add([0.001, 1.5])
add([0.00011, 0.1])
add([1e20, -3e-20], "float64")
add([123456.789, 0.01])
add([1e8, 1.0])
add([1e8 + 8, 2.0])
add([nan, 1.5, -inf, inf])
add([nan, 2.0, inf])
add([nan, inf, -inf])
add([nan])
add([1e-10, nan, 5.0])
add([0.03125, 1.15625, 0.09375, -0.21875])  # exact ties: Python rounds half to even
add([0.03125, 1.15625, 0.09375], "float64")
add([123125.0, 1.0, 0.5])
add([2.5e-5, 1.25e-5], "float64")
add([-5, 17, 3, -100, 0], "int32")
add([0, 1], "int32")
add([True, False, True], "bool")
add([True, True], "bool")
add([False], "bool")
add([1 / 3, 2 / 3, 1.0], "float64")
add([1 / 3, 2 / 3, 1.0])
add([3.14159265358979, -2.718281828], "float64")
add(torch.randn(7) * 1e-3)
add(torch.randn(5) * 1e5)
add(torch.randn(6) * 1e-6, "float64")
# 1-d long: line wrapping
add(torch.randn(30))
add(torch.randn(30), "float64")
add(torch.randn(25) * 100)
add(torch.arange(40.0))
add(torch.arange(40.0) - 20)
add(torch.randint(-1000, 1000, (45,)), "int32")
add(torch.rand(40) > 0.5)
add(torch.randn(20) * 1e6)
add(torch.randn(18), "float64")  # wraps the dtype suffix
add(torch.randn(17), "float64")
add(torch.randn(12) * 1e-7, "float64")
# 2-d, 3-d, 4-d
add([[1.0, 2.0], [3.0, 4.0]])
add([[1.0, 2.0], [3.0, 4.0]], "float64")
add(torch.randn(3, 4))
add(torch.randn(2, 3), "float64")
add(torch.randn(4, 30))
add(torch.randn(3, 12), "float64")
add(torch.randint(-50, 50, (4, 5)), "int32")
add(torch.rand(3, 4) > 0.5)
add(torch.randn(2, 3, 4))
add(torch.randn(2, 2, 3) * 1e4)
add(torch.randn(2, 2, 2, 3))
add(torch.randint(0, 10, (2, 1, 2, 2)), "float64")
add(torch.randn(1, 1, 1, 1))
add(torch.randn(2, 1, 25))
add([[nan, 1.0], [-inf, 0.0]])
add([[1e-8, 1.0], [2.0, 3.0]], "float64")
# summarization
add(torch.randn(2000))
add(torch.randn(2, 1000))
add(torch.randn(1001))
add(torch.randn(1000))
add(torch.randn(40, 40))
add(torch.randn(3, 400, 2))
add(torch.randn(40, 40), "float64")
add(torch.randn(20, 3, 20))
add(torch.randn(2, 3, 13, 13))
add(torch.arange(1500.0))
add(torch.randint(-100000, 100000, (50, 50)), "int32")
add(torch.randint(0, 5, (1200,)), "int32")
add(torch.rand(1200) > 0.3)
add(torch.cat([torch.randn(997), torch.tensor([nan, inf, -inf, 1e-9])]))
# options
add(torch.randn(10), options={"precision": 2})
add(torch.randn(10) * 1e-6, options={"precision": 6})
add(torch.arange(10), "int32", options={"threshold": 5})
add(torch.randn(10, 10), options={"threshold": 20, "edgeItems": 2})
add(torch.randn(30), options={"lineWidth": 40})
add(torch.randn(6), "float64", options={"lineWidth": 50})
add(torch.tensor([2.5, 0.5, 1.5]), options={"precision": 0})
add(torch.tensor([0.125, 2.5e-6]), options={"precision": 0})

print(json.dumps(cases, indent=None, separators=(",", ":")))
